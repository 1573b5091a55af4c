import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const bin = new URL('../../dist/cli/main.js', import.meta.url).pathname

describe('ditto-blockstore CLI (built)', () => {
  it('prints help and exits 0', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help'])
    assert.match(stdout, /Usage: ditto-blockstore <command>/)
  })

  it('prints the deduced configuration as JSON', async () => {
    const { stdout } = await run(process.execPath, [bin, 'config', '--json'])
    const out = JSON.parse(stdout) as { deduced: Record<string, number>; floorsHit: string[] }
    assert.ok(out.deduced['local-max-disk']! >= 256 * 2 ** 20)
    assert.equal(out.deduced['prefetch-workers'], 4)
    assert.ok(Array.isArray(out.floorsHit))
  })

  it('exits 2 on an unknown command', async () => {
    await assert.rejects(run(process.execPath, [bin, 'frobnicate']), (err: { code: number }) => {
      assert.equal(err.code, 2)
      return true
    })
  })
})
