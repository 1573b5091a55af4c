/**
 * PostgreSQL test environment: PG_URL (default the local trust-auth server of
 * .ci/start-postgres.sh), reachability, and throwaway schemas.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** Connection string of the test server. */
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** True when the suite must run (CI=true or PG_REQUIRED=1): unreachable then fails. */
export const PG_REQUIRED = process.env.CI === 'true' || process.env.PG_REQUIRED === '1'

/** Why the server cannot be used, or `undefined` when it answers. */
export async function pgProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (err) {
    return err instanceof Error
      ? err.message || String((err as { code?: string }).code)
      : String(err)
  } finally {
    await client.end().catch(() => {
      // Nothing to end when connect failed; the connect error is what is reported.
    })
  }
}

/**
 * Resolves whether to skip: `undefined` to run, or the one-line skip message. Throws when
 * PostgreSQL is required but unreachable, so CI fails instead of skipping.
 */
export async function pgSkipReason(): Promise<string | undefined> {
  const problem = await pgProblem()
  if (problem === undefined) return undefined
  if (PG_REQUIRED)
    throw new Error(`PostgreSQL required (CI/PG_REQUIRED) but ${PG_URL} is unreachable: ${problem}`)
  return `PostgreSQL suite SKIPPED: ${PG_URL} unreachable (${problem}); run .ci/start-postgres.sh or set PG_URL to enable it`
}

/** A fresh random schema name. */
export function randomSchema(): string {
  return `ditto_test_${randomBytes(6).toString('hex')}`
}

/** Drops a schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
