/**
 * The README's shell lines run as written: the fenced `sh` blocks are read from README.md
 * (never copied here), so editing an example re-checks it. `npm start` is run (without its
 * build step: `npm test` has built dist/) on a free port and a temporary data directory;
 * every `curl` and `ditto-blockstore` line then runs with real curl and npx against it, the
 * README's address swapped for the server's. A payload stored with `curl -T` must read back
 * byte for byte.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { DefaultPort } from '../../src/server/block-store-server.js'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const readmeAddress = `http://127.0.0.1:${DefaultPort}`

/** Every line of the README's fenced `sh` blocks, comments kept (the shell drops them). */
async function readmeShellLines(): Promise<string[]> {
  const text = await readFile(join(root, 'README.md'), 'utf8')
  const lines: string[] = []
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    lines.push(...block[1]!.split('\n').filter((l) => l.trim() !== ''))
  }
  return lines
}

const env = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  // npx must find the command locally and never reach a registry.
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  DITTO_URL: '',
}

describe('README shell examples (built)', () => {
  let work: string
  let server: ReturnType<typeof spawn> | undefined
  let url: string
  let lines: string[]

  before(async () => {
    lines = await readmeShellLines()
    work = await mkdtemp(join(tmpdir(), 'ditto-readme-'))
    // A user's project with the package installed: npx finds the checkout's bin there.
    await writeFile(join(work, 'package.json'), '{"name":"readme-user","private":true}')
    await mkdir(join(work, 'node_modules', '.bin'), { recursive: true })
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>
    }
    // As npm links a bin: the target made executable (tsc writes it without the x bit).
    await chmod(join(root, pkg.bin['ditto-blockstore']!), 0o755)
    await symlink(
      join(root, pkg.bin['ditto-blockstore']!),
      join(work, 'node_modules/.bin/ditto-blockstore'),
    )
    await writeFile(join(work, 'somefile'), `README example ${'x'.repeat(100_000)}\n`)
  })
  after(async () => {
    if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      // npm runs the server in a shell: stop the whole group this test started.
      process.kill(-server.pid, 'SIGTERM')
      await once(server, 'close')
    }
    await rm(work, { recursive: true, force: true })
  })

  it('finds the start line, the curl lines and the command-line examples', () => {
    assert.ok(lines.some((l) => /\bnpm start\b/.test(l)))
    assert.ok(lines.filter((l) => /^curl /.test(l)).length >= 2)
    assert.ok(lines.filter((l) => /^(npx )?ditto-blockstore /.test(l)).length >= 3)
    for (const l of lines.filter((x) => /127\.0\.0\.1:\d+/.test(x))) {
      assert.ok(l.includes(readmeAddress), `"${l}" uses the default address ${readmeAddress}`)
    }
  })

  it('serves with npm start, then every curl and CLI line works as written', async () => {
    assert.ok(lines.some((l) => /\bnpm start\b/.test(l)))
    server = spawn(
      'npm',
      ['start', '--ignore-scripts', '--', '--port', '0', '--data-dir', join(work, 'data')],
      { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    server.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s
    })
    server.stderr!.setEncoding('utf8').on('data', (s: string) => {
      err += s
    })
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no listening line:\n${out}\n${err}`)),
        30_000,
      )
      const look = (): void => {
        const m = /ditto-blockstore listening on (http:\/\/\S+)/.exec(out)
        if (m !== null) {
          clearTimeout(timer)
          resolve(m[1]!.replace(/\/$/, ''))
        }
      }
      server!.stdout!.on('data', look)
      server!.on('close', (code) => reject(new Error(`npm start exited ${code}:\n${out}\n${err}`)))
    })
    const stored = new Map<string, string>()
    let ran = 0
    for (const line of lines) {
      const command = line.replace(/\s+#.*$/, '')
      if (!/^(curl|npx ditto-blockstore|ditto-blockstore) /.test(command)) continue
      const shell = command
        .replaceAll(readmeAddress, url)
        .replace(/^ditto-blockstore /, 'npx ditto-blockstore ')
      const filesBefore = (await readdir(work)).length
      const r = await exec('sh', ['-c', shell], { cwd: work, env, encoding: 'buffer' }).catch(
        (e: { code: number; stderr: Buffer }) => {
          assert.fail(`"${line}" failed (${e.code}): ${e.stderr.toString()}`)
        },
      )
      const stdout = r.stdout.toString()
      assert.doesNotMatch(stdout, /"code":\s*"BS_/, `"${line}" answered an error: ${stdout}`)
      // curl draws its progress meter on stderr when the output is not a terminal.
      if (!command.startsWith('curl ')) {
        assert.equal(r.stderr.toString(), '', `"${line}" printed diagnostics`)
        // A command that silently does nothing is not an example that works.
        const wrote = (await readdir(work)).length > filesBefore
        assert.ok(stdout.length > 0 || wrote, `"${line}" printed or wrote something`)
      }
      const put = /^curl -T (\S+) (\S+)$/.exec(command)
      if (put !== null) stored.set(put[2]!, put[1]!)
      const get = /^curl (\S+)$/.exec(command)
      if (get !== null && stored.has(get[1]!)) {
        const expected = await readFile(join(work, stored.get(get[1]!)!))
        assert.ok(r.stdout.equals(expected), `"${line}" reads back what was stored`)
      }
      ran++
    }
    assert.ok(ran >= 5, `ran ${ran} lines`)
    assert.ok(stored.size > 0, 'a curl -T line was checked by reading it back')
  })
})
