/**
 * `npm run bench [name...] [--quick] [--repetitions N]`: runs the named workloads (all when
 * none are named) from bench/workloads/<name>.ts, prints a table of figures against their
 * same-run baselines, and writes bench/results/latest.json and bench/results/latest.md.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type Comparison, ratio, type Workload } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))

/** Names of the available workloads (file names in bench/workloads). */
export async function listWorkloads(): Promise<string[]> {
  const files = await readdir(join(here, 'workloads'))
  return files
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
}

/** Loads one workload module by name. */
export async function loadWorkload(name: string): Promise<Workload> {
  const mod = (await import(join(here, 'workloads', `${name}.ts`))) as { default: Workload }
  return mod.default
}

/** Result of one workload in a run. */
export interface WorkloadResult {
  readonly workload: string
  readonly comparisons: Comparison[]
  readonly error?: string
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '-'
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3)
}

/** Renders results as a markdown table. */
export function toMarkdown(results: readonly WorkloadResult[], when: Date): string {
  const lines = [
    `# Benchmark results (${when.toISOString()})`,
    '',
    '| workload | measurement | value | baseline | baseline value | ratio | goal | notes |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const r of results) {
    if (r.error !== undefined) lines.push(`| ${r.workload} | FAILED: ${r.error} | | | | | | |`)
    for (const c of r.comparisons) {
      const q = ratio(c)
      const notes = Object.entries(c.notes ?? {})
        .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
        .join(', ')
      const goal =
        c.goal === undefined
          ? ''
          : `>= ${c.goal}x${q !== undefined && q < c.goal ? ' (MISSED)' : ''}`
      lines.push(
        `| ${r.workload} | ${c.name} | ${fmt(c.value)} ${c.unit} | ${c.baselineName} | ${fmt(c.baseline)} | ${q === undefined ? '-' : `${q.toFixed(2)}x`} | ${goal} | ${notes} |`,
      )
    }
  }
  lines.push('', 'Ratios are oriented so that above 1 is better than the baseline.')
  return `${lines.join('\n')}\n`
}

/** Runs workloads and writes the result files; returns the results. */
export async function runBench(
  names: readonly string[],
  options: { quick?: boolean; repetitions?: number; resultsDir?: string } = {},
): Promise<WorkloadResult[]> {
  const available = await listWorkloads()
  const chosen = names.length === 0 ? available : [...names]
  for (const n of chosen) {
    if (!available.includes(n)) {
      throw new Error(`unknown workload "${n}"; available: ${available.join(', ')}`)
    }
  }
  const quick = options.quick ?? false
  const results: WorkloadResult[] = []
  for (const name of chosen) {
    const workload = await loadWorkload(name)
    const scratchDir = await mkdtemp(join(tmpdir(), `bench-${name}-`))
    console.log(`== ${name}: ${workload.description}`)
    try {
      const comparisons = await workload.run({
        repetitions: options.repetitions ?? (quick ? 1 : 3),
        quick,
        scratchDir,
        log: (m) => console.log(`   ${m}`),
      })
      results.push({ workload: name, comparisons })
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      console.error(`   FAILED: ${message}`)
      results.push({ workload: name, comparisons: [], error: message })
    } finally {
      await rm(scratchDir, { recursive: true, force: true })
    }
  }
  const when = new Date()
  const dir = options.resultsDir ?? join(here, 'results')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'latest.json'), `${JSON.stringify({ when, results }, null, 2)}\n`)
  const md = toMarkdown(results, when)
  await writeFile(join(dir, 'latest.md'), md)
  console.log(`\n${md}`)
  return results
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]
if (isMain) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      repetitions: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    console.log(
      `npm run bench [name...] [--quick] [--repetitions N]\n` +
        `workloads (all when none is named): ${(await listWorkloads()).join(', ')}`,
    )
  } else {
    const results = await runBench(positionals, {
      quick: values.quick ?? false,
      ...(values.repetitions === undefined ? {} : { repetitions: Number(values.repetitions) }),
    })
    if (results.some((r) => r.error !== undefined)) process.exitCode = 1
  }
}
