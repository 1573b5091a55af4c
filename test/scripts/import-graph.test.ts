/**
 * The import graph of src/ has no cycle, no import against the layer order and no import
 * between stores (scripts/import-graph.ts, `npm run graph`). Biome refuses most of these as
 * they are written; this test also counts type-only imports, which biome's cycle rule skips.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { analyse, formatGraph } from '../../scripts/import-graph.js'

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src')

describe('import graph of src/', () => {
  it('has no cycle, no back-edge and no import between stores', () => {
    const g = analyse(src)
    assert.ok(g.files.length > 100, `only ${g.files.length} files found under ${src}`)
    assert.deepEqual(g.cycles, [], formatGraph(g))
    assert.deepEqual(g.backEdges, [], formatGraph(g))
    assert.deepEqual(g.storeEdges, [], formatGraph(g))
  })

  it('finds a planted cycle, back-edge and store import (type-only ones too)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'graph-'))
    try {
      const put = async (path: string, text: string): Promise<void> => {
        await mkdir(dirname(join(dir, path)), { recursive: true })
        await writeFile(join(dir, path), text)
      }
      await put('engine/a.ts', "import type { B } from './b.js'\nexport type A = B\n")
      await put('engine/b.ts', "import { a } from './a.js'\nexport type B = typeof a\n")
      await put('core/c.ts', "export { x } from '../engine/x.js'\n")
      await put('engine/x.ts', 'export const x = 1\n')
      await put('local/l.ts', "import type { R } from '../remote/r.js'\nexport type L = R\n")
      await put('remote/r.ts', 'export type R = number\n')
      const g = analyse(dir)
      assert.deepEqual(g.cycles, [['engine/a.ts', 'engine/b.ts']])
      assert.deepEqual(g.backEdges, [{ from: 'core/c.ts', to: 'engine/x.ts' }])
      assert.deepEqual(g.storeEdges, [{ from: 'local/l.ts', to: 'remote/r.ts' }])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
