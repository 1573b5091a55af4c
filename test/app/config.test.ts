import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { resolveConfig } from '../../src/app/config.js'
import { configToJSON, describeConfig } from '../../src/app/config-print.js'
import { SETTINGS } from '../../src/app/config-schema.js'
import { loadConfig } from '../../src/app/configured-engine.js'
import { toBlockStoreOptions } from '../../src/app/engine-options.js'
import { deduceDefaults } from '../../src/core/defaults.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { DefaultPort } from '../../src/server/block-store-server.js'

const GiB = 2 ** 30
const machine = deduceDefaults({ availableMemory: () => 16 * GiB, availableCPUs: () => 8 })
const tiny = deduceDefaults({ availableMemory: () => 256 * 2 ** 20, availableCPUs: () => 1 })

describe('configuration', () => {
  it('defaults to loopback, port 7474, fs blocks and SQLite under ./data, local-only', () => {
    const { config, sources } = resolveConfig({ cwd: '/w' }, machine)
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, DefaultPort)
    assert.equal(config.localDir, '/w/data/blocks')
    assert.deepEqual(config.metadataConfig, { kind: 'sqlite', path: '/w/data/meta.db' })
    assert.equal(config.remoteConfig, undefined)
    assert.equal(config.localMaxDisk, 4 * GiB)
    assert.equal(sources.localMaxDisk, 'deduced')
    assert.equal(sources.port, 'default')
    const options = toBlockStoreOptions(config)
    assert.deepEqual(options.local, {
      kind: 'fs',
      dir: '/w/data/blocks',
      maxDisk: 4 * GiB,
      maxMemory: 2 * GiB,
      fsync: true,
    })
    assert.equal(options.remote, undefined)
  })

  it('takes flags over environment over file over defaults, and records each source', () => {
    const { config, sources } = resolveConfig(
      {
        cwd: '/w',
        flags: { port: '9001' },
        env: { DITTO_PORT: '9002', DITTO_READ_BUFFER: '1GiB', DITTO_UNRELATED: 'x' },
        file: { port: 9003, readBuffer: '2GiB', retention: 'TTL', retentionTtl: '1h' },
      },
      machine,
    )
    assert.equal(config.port, 9001)
    assert.equal(sources.port, 'flag')
    assert.equal(config.readBuffer, GiB)
    assert.equal(sources.readBuffer, 'env')
    assert.equal(config.retention, 'ttl')
    assert.equal(config.retentionTtl, 3_600_000)
    assert.equal(sources.retention, 'file')
  })

  it('derives the store locations from the data directory', () => {
    const { config } = resolveConfig({ cwd: '/w', env: { DITTO_DATA_DIR: '/var/ditto' } }, machine)
    assert.equal(config.localDir, '/var/ditto/blocks')
    assert.equal(config.metadata, 'sqlite:/var/ditto/meta.db')
  })

  it('maps every remote setting onto the engine options', () => {
    const { config } = resolveConfig(
      {
        flags: {
          remote: 's3://bkt/pre',
          s3Endpoint: 'http://127.0.0.1:9000',
          s3ForcePathStyle: true,
          uploadDelay: '0',
        },
        env: { DITTO_S3_SECRET_ACCESS_KEY: 'sekrit', DITTO_S3_ACCESS_KEY_ID: 'AK' },
      },
      machine,
    )
    const options = toBlockStoreOptions(config)
    assert.deepEqual(options.remote, {
      kind: 's3',
      bucket: 'bkt',
      prefix: 'pre/',
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'AK',
      secretAccessKey: 'sekrit',
      forcePathStyle: true,
    })
    assert.equal(options.syncer?.uploadDelayMs, 0)
  })

  it('never prints the token, secret keys or URL passwords', () => {
    const resolved = resolveConfig(
      {
        flags: {
          token: 'TOKEN-123',
          remote: 's3://bkt',
          metadata: 'postgres://u:pw-456@127.0.0.1/db',
        },
        env: { DITTO_S3_SECRET_ACCESS_KEY: 'SECRET-789' },
      },
      machine,
    )
    const text = describeConfig(resolved).join('\n') + JSON.stringify(configToJSON(resolved))
    for (const secret of ['TOKEN-123', 'pw-456', 'SECRET-789'])
      assert.ok(!text.includes(secret), secret)
    assert.match(text, /token\s+\(set\)/)
  })

  it('prints the floors a small machine hits', () => {
    const lines = describeConfig(resolveConfig({}, tiny)).join('\n')
    assert.match(lines, /floor hit: local-max-disk floored at 256 MiB/)
    assert.match(lines, /floor hit: parallel-uploads/)
    // A floor the user overrode does not apply, so it is not reported.
    const given = describeConfig(resolveConfig({ flags: { parallelUploads: '2' } }, tiny))
    assert.ok(!given.join('\n').includes('parallel-uploads floored'))
  })

  it('prints every setting by its flag with the value the engine runs with', () => {
    const resolved = resolveConfig({ cwd: '/w', env: { DITTO_UPLOAD_DELAY: '5s' } }, machine)
    const text = describeConfig(resolved).join('\n')
    assert.doesNotMatch(text, /engine default/)
    assert.doesNotMatch(text, /parallel_syncs|parallelUploads|uploadInterval/)
    assert.match(text, /^ {2}parallel-uploads +8 +\(deduced from this machine\)$/m)
    assert.match(text, /^ {2}upload-interval +1s +\(default\)$/m)
    assert.match(text, /^ {2}upload-delay +5s +\(environment DITTO_UPLOAD_DELAY\)$/m)
    assert.match(text, /^ {2}fsync +on +\(default\)$/m)
    assert.match(text, /^ {2}local-max-disk +4 GiB +\(deduced from this machine\)$/m)
    // What is printed is what the engine gets.
    const options = toBlockStoreOptions(resolved.config)
    assert.equal(options.syncer?.uploadIntervalMs, 1000)
    assert.equal(options.syncer?.uploadDelayMs, 5000)
    assert.equal(options.syncer?.parallelUploads, 8)
  })

  it('tells the truth about the token: none on loopback, generated beyond it, set when given', () => {
    const line = (inputs: Parameters<typeof resolveConfig>[0]) =>
      describeConfig(resolveConfig(inputs, machine)).find((l) => /^ {2}token /.test(l)) ?? ''
    assert.match(line({}), /none \(loopback only/)
    const open = resolveConfig({ flags: { host: '0.0.0.0' } }, machine)
    assert.match(line({ flags: { host: '0.0.0.0' } }), /generated at start/)
    assert.doesNotMatch(line({ flags: { host: '0.0.0.0' } }), /none/)
    assert.deepEqual((configToJSON(open).settings as Record<string, unknown>).token, {
      flag: 'token',
      value: '(generated)',
      source: 'generated',
    })
    assert.match(line({ flags: { host: '0.0.0.0', token: 't0k' } }), /\(set\) +\(flag\)/)
  })

  it('rejects bad values naming the setting and its source', () => {
    const cases: [Parameters<typeof resolveConfig>[0], RegExp][] = [
      [{ flags: { port: 'http' } }, /--port/],
      [{ env: { DITTO_PORT: '70000' } }, /65535/],
      [{ file: { retention: 'forever' } }, /retention.*config file/],
      [{ flags: { retention: 'ttl' } }, /positive TTL/],
      [{ file: { readBufer: '1GiB' } }, /unknown setting "readBufer"/],
      [{ env: { DITTO_REMOTE: 'ftp://x' } }, /ftp/],
      [{ env: { DITTO_FSYNC: 'maybe' } }, /DITTO_FSYNC/],
    ]
    for (const [inputs, message] of cases) {
      assert.throws(
        () => resolveConfig(inputs, machine),
        (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG') && message.test(e.message),
        String(message),
      )
    }
  })

  it('warns about settings that have no effect', () => {
    const { warnings } = resolveConfig(
      { env: { DITTO_S3_REGION: 'eu' }, file: { retentionTtl: '1h' } },
      machine,
    )
    assert.equal(warnings.length, 2)
  })

  it('gives every setting a unique flag and DITTO_ variable', () => {
    assert.equal(new Set(SETTINGS.map((s) => s.flag)).size, SETTINGS.length)
    assert.ok(SETTINGS.every((s) => /^DITTO_[A-Z0-9_]+$/.test(s.env)))
    assert.equal(SETTINGS.find((s) => s.key === 's3AccessKeyId')?.env, 'DITTO_S3_ACCESS_KEY_ID')
  })

  it('loads a JSON config file named by DITTO_CONFIG, under env and flags', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ditto-config-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = join(dir, 'ditto.json')
    await writeFile(file, JSON.stringify({ port: 8100, dataDir: 'store', durability: 'local' }))
    const resolved = await loadConfig({ env: { DITTO_CONFIG: file }, cwd: dir, flags: {} })
    assert.equal(resolved.config.port, 8100)
    assert.equal(resolved.config.dataDir, join(dir, 'store'))
    await writeFile(file, '[1,2]')
    await assert.rejects(loadConfig({ configFile: file, env: {} }), (e) =>
      isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
  })
})
