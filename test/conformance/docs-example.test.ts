/**
 * docs/implementing-a-store.md shows whole files, each after a `<!-- file: path -->` line:
 * the example backend (test/conformance/example/dir-remote-store.ts) and one suite
 * registration per suite. Each shown block must be that file, with its imports of this
 * package's entry points spelled as a user spells them ('ditto-blockstore',
 * 'ditto-blockstore/conformance', ...). The files themselves are ordinary tests
 * (test/conformance/example/*.test.ts and the suite files named), so a doc whose example
 * breaks fails either here (the doc no longer shows the file) or there (the file no longer
 * passes its suite).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const docPath = join(repo, 'docs/implementing-a-store.md')
const exampleDir = join(repo, 'test/conformance/example')

/** The package's entry points (package.json "exports"), by source file. */
const entryPoints = new Map<string, string>(
  Object.entries(
    JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).exports as Record<
      string,
      { default: string }
    >,
  ).map(([subpath, target]) => [
    target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'),
    subpath === '.' ? 'ditto-blockstore' : `ditto-blockstore${subpath.slice(1)}`,
  ]),
)

/** `path`'s text with imports of the package's sources spelled as a user of the package would. */
function asUserWrites(path: string): string {
  const text = readFileSync(join(repo, path), 'utf8')
  return text.replace(/from '(\.[^']*)'/g, (whole, spec: string) => {
    const target = relative(repo, resolve(repo, dirname(path), spec)).replace(/\.js$/, '.ts')
    if (!target.startsWith('src/')) return whole
    const name = entryPoints.get(target)
    assert.ok(name !== undefined, `${path} imports ${spec}, which is no entry point of the package`)
    return `from '${name}'`
  })
}

/** Each `<!-- file: path -->` of the doc with the fenced block that follows it. */
function shownFiles(): Map<string, string> {
  const doc = readFileSync(docPath, 'utf8')
  const shown = new Map<string, string>()
  for (const m of doc.matchAll(/^<!-- file: (\S+) -->\n```ts\n([\s\S]*?)^```$/gm)) {
    shown.set(m[1]!, m[2]!)
  }
  return shown
}

describe('docs/implementing-a-store.md', () => {
  it('shows each file of its example as it is, and every file of the example', () => {
    const shown = shownFiles()
    const examples = readdirSync(exampleDir).map((f) => `test/conformance/example/${f}`)
    for (const f of examples) assert.ok(shown.has(f), `the doc does not show ${f}`)
    assert.ok(shown.size >= examples.length + 2, 'a registration of each of the four suites')
    for (const [path, block] of shown) {
      assert.equal(block, asUserWrites(path), `the doc's copy of ${path} differs from the file`)
    }
  })

  it('registers each suite in at most 10 lines', () => {
    const suites = new Set<string>()
    for (const block of shownFiles().values()) {
      for (const m of block.matchAll(/^(describe\w+)\(\{\n[\s\S]*?^\}\)$/gm)) {
        suites.add(m[1]!)
        assert.ok(m[0].split('\n').length <= 10, `${m[1]} takes ${m[0].split('\n').length} lines`)
      }
    }
    assert.deepEqual([...suites].sort(), [
      'describeBlockStore',
      'describeLocalStore',
      'describeMetadataStore',
      'describeRemoteStore',
    ])
  })
})
