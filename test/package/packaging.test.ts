/**
 * The package as a user gets it: `npm pack`, then the tarball laid out in a fresh project
 * the way npm installs it (package under node_modules/ditto-blockstore, its `bin` linked from
 * node_modules/.bin and made executable), without the network: the tarball is extracted here
 * and the declared dependencies are linked from this checkout's node_modules. The installed
 * command is then run through its links (.bin, npx, npm exec, a global-style link) and must
 * work: --version, --help, and a put/get round trip. `npm test` builds dist/ first.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  name: string
  version: string
  bin: Record<string, string>
  dependencies: Record<string, string>
  exports: Record<string, { types: string; default: string }>
}
// The bin's `#!/usr/bin/env node` must find this node.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }

let tmp: string
let project: string
let installed: string
let files: string[]

async function run(command: string, args: string[], cwd = project) {
  try {
    const r = await exec(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('the packed package, installed', () => {
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'ditto-pack-'))
    const packed = await exec('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: root,
      env,
      maxBuffer: 16 * 1024 * 1024,
    })
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }]
    files = info.files.map((f) => f.path).sort()
    project = join(tmp, 'project')
    installed = join(project, 'node_modules', pkg.name)
    await mkdir(installed, { recursive: true })
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'user-project',
        private: true,
        dependencies: { [pkg.name]: pkg.version },
      }),
    )
    await exec('tar', ['xzf', join(tmp, info.filename), '-C', installed, '--strip-components=1'])
    // Dependencies: each declared package linked on its own (never a whole scope directory),
    // so nothing here can reach into the checkout's other packages.
    for (const dep of Object.keys(pkg.dependencies)) {
      const at = join(project, 'node_modules', dep)
      await mkdir(dirname(at), { recursive: true })
      await symlink(join(root, 'node_modules', dep), at)
    }
    // What npm's bin linking does: a relative link in .bin, the target made executable.
    const own = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      bin: Record<string, string>
    }
    await mkdir(join(project, 'node_modules', '.bin'))
    for (const [name, target] of Object.entries(own.bin)) {
      await chmod(join(installed, target), 0o755)
      await symlink(join('..', pkg.name, target), join(project, 'node_modules', '.bin', name))
    }
  })
  after(async () => rm(tmp, { recursive: true, force: true }))

  it('holds what a user needs and nothing else', async () => {
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/cli/bin.js']) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`)
    }
    for (const entry of Object.values(pkg.exports)) {
      for (const file of [entry.types, entry.default]) {
        assert.ok(files.includes(file.replace(/^\.\//, '')), `${file} is in the tarball`)
      }
    }
    const stray = files.filter(
      (f) =>
        !['package.json', 'README.md', 'LICENSE'].includes(f) &&
        !(f.startsWith('dist/') && /\.(js|d\.ts|js\.map)$/.test(f) && !f.endsWith('.d.ts.map')),
    )
    assert.deepEqual(stray, [], 'no tests, sources, benchmarks or build leftovers')
    assert.match(await readFile(join(installed, 'LICENSE'), 'utf8'), /^MIT License/)
    // Every source map carries its sources: none points at a src/ that is not shipped.
    const maps = files.filter((f) => f.endsWith('.map'))
    assert.ok(maps.length > 0)
    for (const map of maps) {
      const m = JSON.parse(await readFile(join(installed, map), 'utf8')) as {
        sources: string[]
        sourcesContent?: (string | null)[]
      }
      assert.equal(m.sourcesContent?.length, m.sources.length, `${map} inlines its sources`)
      assert.ok(
        m.sourcesContent.every((s) => typeof s === 'string' && s.length > 0),
        map,
      )
    }
  })

  it('runs through node_modules/.bin: --version, --help, a put/get round trip', async () => {
    const bin = join(project, 'node_modules', '.bin', 'ditto-blockstore')
    let r = await run(bin, ['--version'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `${pkg.version}\n`)
    r = await run(bin, ['--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Usage: ditto-blockstore <command>/m)
    const data = join(tmp, 'data')
    const input = join(tmp, 'in.txt')
    const text = 'hello from an installed package\n'.repeat(1000)
    await writeFile(input, text)
    r = await run(bin, ['put', input, 'docs/hello.txt', '--data-dir', data])
    assert.equal(r.code, 0, r.stderr)
    r = await run(bin, ['get', 'docs/hello.txt', '-', '--data-dir', data])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, text)
    assert.ok((await readdir(data)).includes('meta.db'))
  })

  it('runs through npx and npm exec in the project, offline', async () => {
    let r = await run('npx', ['--offline', 'ditto-blockstore', '--version'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `${pkg.version}\n`)
    r = await run('npm', ['exec', '--offline', '--', 'ditto-blockstore', 'help', 'get'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Usage: ditto-blockstore get/m)
  })

  it('runs through a global-style absolute link and as node dist/cli/main.js', async () => {
    const globalBin = join(tmp, 'global-bin')
    await mkdir(globalBin)
    const link = join(globalBin, 'ditto-blockstore')
    await symlink(join(installed, pkg.bin['ditto-blockstore']!), link)
    let r = await run(link, ['--version'], tmp)
    assert.equal(r.stdout, `${pkg.version}\n`)
    r = await run(process.execPath, [join(installed, 'dist/cli/main.js'), '--version'], tmp)
    assert.equal(r.stdout, `${pkg.version}\n`)
    // A module importing the CLI does not run it.
    r = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(join(installed, 'dist/cli/main.js'))})`,
      ],
      tmp,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
  })
})
