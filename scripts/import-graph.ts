/**
 * The import graph of `src/`, drawn from the code: which layer imports which, every import
 * that points against the layer order, and every import cycle. `npm run graph` prints it;
 * test/scripts/import-graph.test.ts fails on a cycle or a back-edge, beside biome's rules.
 *
 * Layers, lowest first: a folder may import only folders of a lower rank (and itself).
 * Type-only imports count: a type from above still couples a layer to what sits on it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Rank of each top-level folder of `src/` (files directly in `src/` are the package root). */
export const LayerRank: Readonly<Record<string, number>> = {
  core: 0,
  platform: 1,
  local: 2,
  remote: 2,
  meta: 2,
  fetch: 3,
  readbuffer: 3,
  gc: 3,
  sync: 4,
  engine: 5,
  conformance: 6,
  server: 6,
  app: 7,
  cli: 8,
  '(root)': 9,
}

/** One import between two files of `src/` (paths relative to `src/`, `/`-separated). */
export interface ImportEdge {
  readonly from: string
  readonly to: string
}

/** What {@link analyse} finds. */
export interface ImportGraph {
  readonly files: readonly string[]
  readonly edges: readonly ImportEdge[]
  /** Imports between layers: "from -> to" with their count. */
  readonly layers: ReadonlyMap<string, number>
  /** Imports into a layer of the same or higher rank than a different importing layer allows. */
  readonly backEdges: readonly ImportEdge[]
  /** Imports between two different stores (local, remote, meta never import each other). */
  readonly storeEdges: readonly ImportEdge[]
  /** Groups of files that import each other in a circle (strongly connected, size > 1). */
  readonly cycles: readonly (readonly string[])[]
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name)
    if (d.isDirectory()) return listTs(path)
    return d.name.endsWith('.ts') ? [path] : []
  })
}

/** The layer a file of `src/` belongs to. */
export function layerOf(file: string): string {
  const first = file.split('/')[0] ?? ''
  return file.includes('/') ? first : '(root)'
}

function posix(path: string): string {
  return path.split(sep).join('/')
}

/** Reads every `.ts` file under `srcDir` and draws its import graph. */
export function analyse(srcDir: string): ImportGraph {
  const files = listTs(srcDir).map((f) => posix(relative(srcDir, f)))
  const known = new Set(files)
  const edges: ImportEdge[] = []
  for (const from of files) {
    const text = readFileSync(join(srcDir, from), 'utf8')
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? '').replace(/\.js$/, '.ts')
      const to = posix(relative(srcDir, resolve(srcDir, dirname(from), spec)))
      if (known.has(to)) edges.push({ from, to })
    }
  }
  const layers = new Map<string, number>()
  const backEdges: ImportEdge[] = []
  const storeEdges: ImportEdge[] = []
  for (const e of edges) {
    const a = layerOf(e.from)
    const b = layerOf(e.to)
    if (a === b) continue
    const key = `${a} -> ${b}`
    layers.set(key, (layers.get(key) ?? 0) + 1)
    if ((LayerRank[b] ?? 99) >= (LayerRank[a] ?? 99)) {
      if (LayerRank[a] === 2 && LayerRank[b] === 2) storeEdges.push(e)
      else backEdges.push(e)
    }
  }
  return { files, edges, layers, backEdges, storeEdges, cycles: cyclesOf(files, edges) }
}

/** Strongly connected groups of more than one file (Tarjan's algorithm, iterative). */
function cyclesOf(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]))
  for (const e of edges) next.get(e.from)?.push(e.to)
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const groups: string[][] = []
  let counter = 0
  for (const root of files) {
    if (index.has(root)) continue
    const work: Array<{ node: string; i: number }> = [{ node: root, i: 0 }]
    index.set(root, counter)
    low.set(root, counter++)
    stack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const top = work[work.length - 1]!
      const out = next.get(top.node) ?? []
      if (top.i < out.length) {
        const to = out[top.i++]!
        if (!index.has(to)) {
          index.set(to, counter)
          low.set(to, counter++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, i: 0 })
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent !== undefined) {
        low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!))
      }
      if (low.get(top.node) === index.get(top.node)) {
        const group: string[] = []
        for (;;) {
          const n = stack.pop()!
          onStack.delete(n)
          group.push(n)
          if (n === top.node) break
        }
        if (group.length > 1) groups.push(group.sort())
      }
    }
  }
  return groups
}

/** The report `npm run graph` prints. */
export function formatGraph(g: ImportGraph): string {
  const lines = [`src/: ${g.files.length} files, ${g.edges.length} imports`, '', 'layers:']
  const byLayer = new Map<string, string[]>()
  for (const [key, n] of [...g.layers].sort()) {
    const [a, b] = key.split(' -> ')
    const list = byLayer.get(a!) ?? []
    list.push(`${b} ${n}`)
    byLayer.set(a!, list)
  }
  const order = Object.keys(LayerRank).sort(
    (a, b) => LayerRank[a]! - LayerRank[b]! || (a < b ? -1 : 1),
  )
  for (const layer of order) {
    lines.push(`  ${layer.padEnd(12)} -> ${(byLayer.get(layer) ?? ['(nothing)']).join(', ')}`)
  }
  const list = (title: string, edges: readonly ImportEdge[]): void => {
    lines.push('', `${title}: ${edges.length}`)
    for (const e of edges) lines.push(`  ${e.from} -> ${e.to}`)
  }
  list('imports against the layer order', g.backEdges)
  list('imports between stores', g.storeEdges)
  lines.push('', `import cycles: ${g.cycles.length}`)
  for (const c of g.cycles) lines.push(`  ${c.join(' <-> ')}`)
  return lines.join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const g = analyse(join(root, 'src'))
  console.log(formatGraph(g))
  if (g.cycles.length > 0 || g.backEdges.length > 0 || g.storeEdges.length > 0) process.exitCode = 1
}
