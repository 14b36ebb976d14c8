import {randomBytes} from 'node:crypto'
import knexFactory, {type Knex} from 'knex'
import {expect, type ExpectStatic} from 'vitest'
import type {TestBackend} from './backends.js'
import {runCli, type CliResult} from './cli.js'

/** Small helpers of the end-to-end suites: the CLI in a backend's directory, row counts, refusals. */

export const rand = () => randomBytes(3).toString('hex')

/** A JSON column as stored: a string on SQLite (and some MariaDB drivers), already parsed otherwise. */
export const parseJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

export interface CliOptions {
  /** Added on top of the target's environment. */
  env?: Record<string, string>
  input?: string
  timeoutMs?: number
}
export type Cli = (args: string[], options?: CliOptions) => Promise<CliResult>

/**
 * runCli in `target().dir` with `target().env`. `target` is read at each call, so it may name a backend
 * that beforeAll makes later: `const cli = cliIn(() => backend)`.
 */
export function cliIn(target: () => {dir: string; env: Record<string, string>}, defaults: {timeoutMs?: number} = {}): Cli {
  return (args, options = {}) => {
    const {dir, env} = target()
    return runCli(args, {env: {...env, ...options.env}, cwd: dir, input: options.input, timeoutMs: options.timeoutMs ?? defaults.timeoutMs})
  }
}

/** A knex of the test's own on the backend's database (destroy it in afterAll). */
export function openDb(backend: TestBackend): Knex {
  return backend.kind === 'sqlite'
    ? knexFactory({client: 'better-sqlite3', connection: {filename: backend.loaded.paths.sqliteFile!}, useNullAsDefault: true})
    : knexFactory({client: 'mysql2', connection: backend.env.ORDERMON_DATABASE_URL!})
}

/** The number of rows `query` matches. */
export async function countOf(query: Knex.QueryBuilder): Promise<number> {
  return Number(((await query.count({n: '*'})) as Array<{n: number | string}>)[0]!.n)
}

/** Row counts per table. */
export async function counts(db: Knex, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const t of tables) out[t] = await countOf(db(t))
  return out
}

export async function maxId(db: Knex, table: string): Promise<number> {
  const row = await db(table).max({m: 'id'}).first()
  return Number(row?.m ?? 0)
}

/** The events after id `id`, oldest first, payloads parsed. */
export async function eventsSince(db: Knex, id: number) {
  const rows = await db('events').where('id', '>', id).orderBy('id')
  return rows.map((r) => ({...r, payload: parseJson(r.payload)}))
}

/** A successful command: exit 0 and nothing on stderr. */
export function ok(r: CliResult): void {
  expect(r.stderr, `stderr of a successful command (exit ${r.code}): ${r.stderr}`).toBe('')
  expect(r.code, r.stderr).toBe(0)
}

/** stderr is exactly one "Error: " line (returned): no stack trace, no oclif decoration, no module-load failure. */
export function oneErrorLine(r: CliResult, ex: ExpectStatic = expect): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  ex(lines, `stderr:\n${r.stderr.slice(0, 2000)}`).toHaveLength(1)
  ex(lines[0]).toMatch(/^Error: /)
  ex(r.stderr).not.toMatch(/\n\s+at |ModuleLoadError|›/)
  return lines[0]!
}

/** A refusal: exit `code`, nothing on stdout, one "Error: " line on stderr (returned). */
export function expectRefusal(r: CliResult, code: number, ex: ExpectStatic = expect): string {
  ex(r.code, `exit code; stderr: ${r.stderr.slice(0, 500)}`).toBe(code)
  const line = oneErrorLine(r, ex)
  ex(r.stdout).toBe('')
  return line
}

/** Runs a command that must be refused (expectRefusal) and change nothing: `snapshot()` is the same before and after. */
export async function refusedUnchanged(snapshot: () => Promise<unknown>, run: () => Promise<CliResult>, code: number, ex: ExpectStatic = expect): Promise<string> {
  const before = await snapshot()
  const line = expectRefusal(await run(), code, ex)
  ex(await snapshot()).toEqual(before)
  return line
}
