import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createSystemDetector } from '../../src/platform/system-detector.js'

describe('createSystemDetector', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'detector-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const file = async (name: string, text: string): Promise<string> => {
    const p = join(dir, name)
    await writeFile(p, text)
    return p
  }

  it('uses physical memory when no cgroup limit is set', async () => {
    const d = createSystemDetector({
      cgroupV2MemoryMax: await file('v2-max', 'max\n'),
      cgroupV1MemoryLimit: join(dir, 'absent'),
      totalMemory: 8 * 2 ** 30,
    })
    assert.equal(d.availableMemory(), 8 * 2 ** 30)
  })

  it('honours a cgroup v2 memory limit below physical memory', async () => {
    const d = createSystemDetector({
      cgroupV2MemoryMax: await file('v2-limit', '1073741824\n'),
      totalMemory: 8 * 2 ** 30,
    })
    assert.equal(d.availableMemory(), 2 ** 30)
  })

  it('honours a cgroup v1 limit and ignores its "unlimited" sentinel', async () => {
    const limited = createSystemDetector({
      cgroupV2MemoryMax: join(dir, 'absent'),
      cgroupV1MemoryLimit: await file('v1-limit', '536870912\n'),
      totalMemory: 8 * 2 ** 30,
    })
    assert.equal(limited.availableMemory(), 512 * 2 ** 20)
    const unlimited = createSystemDetector({
      cgroupV2MemoryMax: join(dir, 'absent'),
      cgroupV1MemoryLimit: await file('v1-unlimited', '9223372036854771712\n'),
      totalMemory: 8 * 2 ** 30,
    })
    assert.equal(unlimited.availableMemory(), 8 * 2 ** 30)
  })

  it('honours a cgroup v2 CPU quota', async () => {
    const d = createSystemDetector({
      cgroupV2CpuMax: await file('cpu', '150000 100000\n'),
      cpus: 8,
    })
    assert.equal(d.availableCPUs(), 2)
    const none = createSystemDetector({
      cgroupV2CpuMax: await file('cpu-max', 'max 100000\n'),
      cpus: 8,
    })
    assert.equal(none.availableCPUs(), 8)
  })

  it('reads this machine without throwing', () => {
    const d = createSystemDetector()
    assert.ok(d.availableMemory() > 0)
    assert.ok(d.availableCPUs() >= 1)
  })
})
