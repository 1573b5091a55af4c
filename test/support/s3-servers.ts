/**
 * Real S3-compatible servers for tests, started by the tests themselves on 127.0.0.1:
 *  - s3rver (npm), always: a child process per test file, killed when the file ends;
 *  - Ceph RADOS Gateway, when the Debian packages are installed: started once (about 15 s) in
 *    /tmp/ditto-ceph and reused by later files while it answers;
 *  - any bucket named by S3_ENDPOINT (+ S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *    S3_REGION).
 * `S3_SERVERS=s3rver,ceph,env` narrows the list.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))

/** One reachable S3-compatible server and the means to get a bucket on it. */
export interface S3TestServer {
  /** "s3rver", "ceph-rgw" or "env". */
  readonly name: string
  readonly endpoint: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly region: string
  /** False when the server drops a ranged GET of an empty object (s3rver). */
  readonly emptyObjectRangeReads: boolean
  /** A fresh empty bucket (or S3_BUCKET for "env"). */
  createBucket(): Promise<string>
  /** Empties and deletes the buckets it created; stops the server if this process started it. */
  stop(): Promise<void>
}

/** Ceph state directory and gateway address used by test/support/ceph/start.sh. */
export const CEPH_STATE_DIR = process.env.DITTO_CEPH_DIR ?? '/tmp/ditto-ceph'
const CEPH_ENDPOINT = 'http://127.0.0.1:7480'
const CEPH_KEY = 'DITTOTESTKEY'
const CEPH_SECRET = 'DITTOTESTSECRET'

/** An admin client for a test server (path style, no optional checksums). */
export function adminClient(
  s: Pick<S3TestServer, 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'region'>,
): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

function wanted(name: string): boolean {
  const list = process.env.S3_SERVERS
  return list === undefined || list.split(',').includes(name)
}

/** Every server available here: s3rver always, Ceph when installed, env when configured. */
export async function availableS3Servers(): Promise<S3TestServer[]> {
  const servers: S3TestServer[] = []
  if (wanted('s3rver')) servers.push(await startS3rver())
  if (wanted('ceph')) {
    const ceph = await startCeph()
    if (ceph !== undefined) servers.push(ceph)
  }
  if (wanted('env') && process.env.S3_ENDPOINT !== undefined) servers.push(envServer())
  return servers
}

/**
 * The most faithful server available: Ceph RGW when installed, else s3rver with a loud line.
 * Benchmarks want it for realistic figures, and tests that delete and write objects of one
 * prefix concurrently (GC beside a writer) need it: s3rver crashes on that pattern (deleting the
 * last object of a "directory" removes it while a PUT into it is opening its file, and the
 * unhandled ENOENT kills the server, seen as ECONNREFUSED), a fault of the test server.
 */
export async function startMostFaithfulS3(): Promise<S3TestServer> {
  if (wanted('ceph')) {
    const ceph = await startCeph()
    if (ceph !== undefined) return ceph
  }
  console.log(
    '!!!!! using s3rver: it may crash when one prefix is deleted and written concurrently ' +
      '(ENOENT on a removed directory); install Ceph RGW for a faithful run !!!!!',
  )
  return startS3rver()
}

function server(
  base: Omit<S3TestServer, 'createBucket' | 'stop'>,
  shutdown: () => Promise<void>,
  fixedBucket?: string,
): S3TestServer {
  const created: string[] = []
  const client = adminClient(base)
  return {
    ...base,
    async createBucket() {
      if (fixedBucket !== undefined) return fixedBucket
      const name = `ditto-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
      await client.send(new CreateBucketCommand({ Bucket: name }))
      created.push(name)
      return name
    },
    async stop() {
      for (const bucket of created.splice(0))
        await emptyAndDelete(client, bucket).catch(() => undefined)
      client.destroy()
      await shutdown()
    },
  }
}

async function emptyAndDelete(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }))
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]))
    if (keys.length === 0) break
    await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
    )
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }))
}

const live = new Set<ChildProcess>()
// A test file that forgets stop() (or crashes) still takes its s3rver down with it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * Starts s3rver as a child process with --openssl-legacy-provider (without it every paginated
 * ListObjectsV2 fails with 500) on a free port of 127.0.0.1, in a temp directory.
 */
export async function startS3rver(): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ditto-s3rver-'))
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js')
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', '0', '-s'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  live.add(child)
  // One tail of the server's output: the startup error shows it, and so does a death under a
  // test (a server that dies must say why).
  let tail = ''
  let stopping = false
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let started = false
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${tail}`)), 15_000)
    child.stdout?.on('data', function listening() {
      const m = /listening on [\d.]+:(\d+)/.exec(tail)
      if (m === null) return
      started = true
      clearTimeout(timer)
      child.stdout?.off('data', listening)
      resolve(Number(m[1]))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (!started) reject(new Error(`s3rver exited with ${code ?? signal}: ${tail}`))
      else if (!stopping) console.error(`s3rver died (code ${code}, signal ${signal}):\n${tail}`)
    })
  })
  const base = {
    name: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    emptyObjectRangeReads: false,
  }
  return server(base, async () => {
    stopping = true
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    live.delete(child)
    await rm(dir, { recursive: true, force: true })
  })
}

async function commandExists(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${cmd}`])
    return true
  } catch {
    return false
  }
}

async function cephAnswers(): Promise<boolean> {
  const client = adminClient({
    endpoint: CEPH_ENDPOINT,
    accessKeyId: CEPH_KEY,
    secretAccessKey: CEPH_SECRET,
    region: 'us-east-1',
  })
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(3000) })
    return true
  } catch {
    return false
  } finally {
    client.destroy()
  }
}

/**
 * Ceph RGW on 127.0.0.1:7480: reused when it already answers with the test credentials,
 * else started with test/support/ceph/start.sh. `undefined` (after one loud line) when the
 * packages are not installed. Stopped by stop() only when this process started it and
 * DITTO_CEPH_KEEP is unset.
 */
export async function startCeph(): Promise<S3TestServer | undefined> {
  if (!(await commandExists('radosgw')) || !(await commandExists('ceph-osd'))) {
    console.log(
      '!!!!! CEPH RGW NOT INSTALLED: S3 tests ran against s3rver only ' +
        '(apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd) !!!!!',
    )
    return undefined
  }
  let startedHere = false
  if (!(await cephAnswers())) {
    await run('bash', [join(here, 'ceph', 'start.sh'), CEPH_STATE_DIR], { timeout: 180_000 })
    startedHere = true
  }
  const base = {
    name: 'ceph-rgw',
    endpoint: CEPH_ENDPOINT,
    accessKeyId: CEPH_KEY,
    secretAccessKey: CEPH_SECRET,
    region: 'us-east-1',
    emptyObjectRangeReads: true,
  }
  return server(base, async () => {
    if (startedHere && process.env.DITTO_CEPH_KEEP === undefined) {
      await run('bash', [join(here, 'ceph', 'stop.sh'), CEPH_STATE_DIR], { timeout: 60_000 })
    }
  })
}

function envServer(): S3TestServer {
  const env = process.env
  const base = {
    name: 'env',
    endpoint: env.S3_ENDPOINT!,
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    region: env.S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
    emptyObjectRangeReads: true,
  }
  return server(base, async () => undefined, env.S3_BUCKET)
}
