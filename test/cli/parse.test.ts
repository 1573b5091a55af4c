/**
 * The command-line parser on its own: per-command option tables, values, contradictions,
 * suggestions. Nothing is opened here; the built CLI's behaviour is in usage.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { COMMAND_SPECS } from '../../src/cli/command-specs.js'
import { commandHelp } from '../../src/cli/help.js'
import { closest, parseCommandLine, UsageError } from '../../src/cli/parse.js'

const refused = (argv: string[], message: RegExp): void => {
  assert.throws(
    () => parseCommandLine(argv),
    (e) => e instanceof UsageError && message.test(e.message),
    argv.join(' '),
  )
}

describe('command-line parser', () => {
  it('reads a command, its arguments, options and settings', () => {
    const inv = parseCommandLine(['gc', '--dry-run', '--grace', '2h', '--data-dir', 'd', '--json'])
    assert.equal(inv.kind, 'run')
    if (inv.kind !== 'run') return
    assert.equal(inv.spec.name, 'gc')
    assert.deepEqual(inv.options, { 'dry-run': true, grace: '2h' })
    assert.deepEqual(inv.settings, { dataDir: 'd' })
    assert.equal(inv.json, true)
    const fsync = parseCommandLine(['config', '--no-fsync'])
    assert.ok(fsync.kind === 'run' && fsync.settings.fsync === false)
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version' })
    assert.deepEqual(parseCommandLine(['ls', '-h']), { kind: 'help', command: 'ls' })
    assert.deepEqual(parseCommandLine([]), { kind: 'help', command: undefined })
    const stdin = parseCommandLine(['put', '-', 'id'])
    assert.ok(stdin.kind === 'run' && stdin.args[0] === '-')
  })

  it('refuses what a command does not take', () => {
    refused(['rm', 'x', '--dry-run'], /^rm does not take --dry-run$/)
    refused(['get', 'x', '--limit', '3'], /get does not take --limit/)
    refused(['serve', '--url', 'http://127.0.0.1:1'], /serve does not take --url/)
    refused(['stats', '--host', 'h'], /stats does not take --host/)
    refused(['ls', '--limit', '--json'], /--limit needs a value/)
    refused(['ls', '--json=1'], /--json takes no value/)
    refused(['ls', '--limit', '1', '--limit', '2'], /given twice/)
    refused(['config', '--fsync', '--no-fsync'], /contradict/)
    refused(['stat'], /usage: ditto-blockstore stat <id>/)
    refused(['drain', 'extra'], /usage: ditto-blockstore drain/)
    refused(['help', 'a', 'b'], /at most one/)
  })

  it('suggests a close command or option, and nothing for a far one', () => {
    assert.equal(closest('stauts', ['stat', 'stats', 'put']), 'stats')
    assert.equal(closest('trunc', ['truncate', 'put']), 'truncate')
    assert.equal(closest('xyz', ['stat', 'put']), undefined)
    refused(['evcit'], /did you mean evict\?/)
    refused(['gc', '--max-deletion', '3'], /did you mean --max-deletions\?/)
  })

  it('has help for every command listing exactly the options it takes', () => {
    for (const spec of COMMAND_SPECS) {
      const help = commandHelp(spec.name)!
      assert.match(help, new RegExp(`^Usage: ditto-blockstore ${spec.name}`))
      for (const option of Object.keys(spec.options))
        assert.match(help, new RegExp(`--${option}\\b`))
      assert.equal(help.includes('--url URL'), spec.kind === 'target', spec.name)
    }
  })
})
