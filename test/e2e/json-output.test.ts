import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import type {CliResult} from '../helpers/cli.js'
import {cliIn} from '../helpers/e2e.js'

/**
 * `--json` is a contract: stdout is exactly one JSON document, for every command. Every command in the
 * built manifest that has a `json` flag is run here as a process, with a minimal valid set of flags,
 * on one prepared SQLite backend (sample data, real ids). A command added to the manifest without a
 * case here fails the coverage test.
 */

interface Ctx {
  dir: string
  users: Record<string, string>
  newUser: string
  strategy: string
  strategyConfig: string
  order: string
}

interface Case {
  args: (c: Ctx) => string[]
  /** Expected exit code (default 0). */
  exit?: number
  /** Pulls ids from the document for later cases. */
  after?: (doc: any, c: Ctx) => void
  timeoutMs?: number
  /** Known to print more than the document on this branch: kept as an expected failure, see the report. */
  fails?: boolean
}

const pw = 'Json-output-pw-1!'

// Run in this order: later cases use what earlier ones created; the engine runs from `start` to `stop`;
// `db rollback` empties the database, so it goes last.
const cases: Array<[string, Case]> = [
  ['init', {args: () => ['init', '--sample-data'], after: (d) => expect(d.sample_data?.created).toBe(true)}],
  ['db:migrate', {args: () => ['db', 'migrate']}],
  ['db:status', {args: () => ['db', 'status']}],
  ['db:seed', {args: () => ['db', 'seed']}],
  ['system:config', {args: () => ['system', 'config', '--key', 'order']}],
  ['system:cleanup-logs', {args: () => ['system', 'cleanup-logs', '--days', '7']}],
  // No security.jwt_secret here: the server refuses to start, and says so as one JSON error document.
  ['api:serve', {args: () => ['api', 'serve', '--port', '0'], exit: 2, after: (d) => expect(d.error?.message ?? d.message).toMatch(/jwt_secret/)}],
  ['user:list', {args: () => ['user', 'list'], after: (d, c) => (c.users = Object.fromEntries(d.users.map((u: any) => [u.username, u.user_id])))}],
  ['user:create', {args: () => ['user', 'create', '--username', 'jsonuser1', '--password', pw, '--name', 'Json User', '--email', 'jsonuser1@example.com', '--type', 'personal'], after: (d, c) => (c.newUser = d.user_id ?? d.user?.user_id)}],
  ['user:create-admin', {args: () => ['user', 'create-admin', '--username', 'jsonadmin1', '--password', pw, '--email', 'jsonadmin1@example.com']}],
  ['user:show', {args: () => ['user', 'show', '--username', 'trader001']}],
  ['user:update', {args: () => ['user', 'update', '--username', 'jsonuser1', '--name', 'Json User 2']}],
  ['user:status', {args: () => ['user', 'status', '--username', 'jsonuser1', '--status', 'suspended', '--reason', 'json test']}],
  ['user:reset-password', {args: () => ['user', 'reset-password', '--username', 'jsonuser1', '--new-password', `${pw}x`]}],
  ['strategy:list', {args: () => ['strategy', 'list']}],
  ['strategy:create', {args: (c) => ['strategy', 'create', '--config', c.strategyConfig, '--user-id', c.users.trader001!], after: (d, c) => (c.strategy = d.strategy_id ?? d.strategy?.strategy_id)}],
  ['strategy:show', {args: (c) => ['strategy', 'show', '--strategy-id', c.strategy]}],
  ['strategy:update', {args: (c) => ['strategy', 'update', '--strategy-id', c.strategy, '--config', c.strategyConfig]}],
  ['strategy:start', {args: (c) => ['strategy', 'start', '--strategy-id', c.strategy]}],
  ['strategy:stop', {args: (c) => ['strategy', 'stop', '--strategy-id', c.strategy, '--reason', 'json test']}],
  ['strategy:performance', {args: () => ['strategy', 'performance', '--strategy-id', 'STR001']}],
  ['strategy:delete', {args: (c) => ['strategy', 'delete', '--strategy-id', c.strategy, '--yes']}],
  ['order:list', {args: () => ['order', 'list']}],
  ['order:create', {args: (c) => ['order', 'create', '--user-id', c.users.trader001!, '--symbol', 'AAPL', '--side', 'buy', '--order-type', 'limit', '--quantity', '100', '--price', '150.50'], after: (d, c) => (c.order = d.order_id ?? d.order?.order_id)}],
  ['order:query', {args: (c) => ['order', 'query', '--order-id', c.order]}],
  ['order:modify', {args: (c) => ['order', 'modify', '--order-id', c.order, '--quantity', '150', '--price', '150.25']}],
  ['order:history', {args: (c) => ['order', 'history', '--order-id', c.order]}],
  ['order:cancel', {args: (c) => ['order', 'cancel', '--order-id', c.order, '--reason', 'json test']}],
  ['order:cancel-batch', {args: (c) => ['order', 'cancel-batch', '--user-id', c.users.trader002!, '--yes']}],
  ['user:delete', {args: () => ['user', 'delete', '--username', 'jsonuser1', '--yes', '--force']}],
  ['monitor:real-time', {args: () => ['monitor', 'real-time', '--once']}],
  ['monitor:alerts', {args: () => ['monitor', 'alerts', '--last-hours', '24']}],
  ['monitor:alerts:ack', {args: () => ['monitor', 'alerts', 'ack', '--id', '999999'], exit: 4}],
  ['monitor:performance-report', {args: () => ['monitor', 'performance-report', '--start-date', '2026-01-01', '--end-date', '2026-01-31']}],
  ['report:daily', {args: () => ['report', 'daily', '--date', '2026-01-15']}],
  ['report:weekly', {args: () => ['report', 'weekly', '--week', '2026-W03']}],
  ['report:monthly', {args: () => ['report', 'monthly', '--month', '2026-01']}],
  ['start', {args: () => ['start', '--daemon'], timeoutMs: 60_000}],
  ['status', {args: () => ['status']}],
  // The engine runs: the watcher rules (engine_dead) do not fire, exit 0.
  ['system:check-alerts', {args: () => ['system', 'check-alerts']}],
  ['system:status', {args: () => ['system', 'status']}],
  // Redis is not configured here, the engine runs: every check passes.
  ['system:health-check', {args: () => ['system', 'health-check']}],
  // restart.ts prints "Stopped pid ..." then start's text before the document: being fixed in restart.ts.
  ['restart', {args: () => ['restart'], timeoutMs: 60_000}],
  ['stop', {args: () => ['stop'], timeoutMs: 60_000}],
  ['demo', {args: () => ['demo', '--headless', '--seconds', '2'], timeoutMs: 60_000}],
  ['db:rollback', {args: () => ['db', 'rollback', '--all', '--yes']}],
]

const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../oclif.manifest.json', import.meta.url)), 'utf8')) as {
  commands: Record<string, {flags: Record<string, unknown>}>
}
const withJson = Object.keys(manifest.commands).filter((id) => 'json' in manifest.commands[id]!.flags)

/** stdout is one JSON document and nothing else (whitespace around it aside). */
function oneDocument(r: CliResult): any {
  const text = r.stdout.trim()
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new Error(`stdout is not exactly one JSON document (exit ${r.code}): ${(error as Error).message}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`)
  }
}

describe('the --json case table', () => {
  it('covers every command of the manifest that has a json flag, once each', () => {
    const ids = cases.map(([id]) => id)
    expect(new Set(ids).size, 'a command appears twice in the table').toBe(ids.length)
    expect([...ids].sort()).toEqual([...withJson].sort())
    expect(withJson.length).toBeGreaterThan(30)
  })
})

describe.sequential('--json prints exactly one JSON document', () => {
  let backend: TestBackend
  const ctx = {} as Ctx
  const run = cliIn(() => backend)

  beforeAll(async () => {
    backend = await createBackend('sqlite')
    ctx.dir = backend.dir
    ctx.strategyConfig = join(backend.dir, 'strategy_config.json')
    writeFileSync(
      ctx.strategyConfig,
      JSON.stringify({
        name: 'JSON test momentum',
        type: 'momentum',
        parameters: {symbols: ['AAPL'], timeframe: '1m', lookback_period: 20, threshold: 0.02, max_position_size: 1000},
        risk_management: {max_daily_loss: 1000, max_drawdown: 0.15, position_sizing: 'fixed'},
      }),
    )
  })

  afterAll(async () => {
    // Whatever failed above, no engine outlives the suite.
    if (backend) await run(['stop', '--timeout', '10'], {timeoutMs: 30_000}).catch(() => {})
    await backend?.cleanup()
  })

  for (const [id, c] of cases) {
    // While the schema is still there (db rollback removes it).
    if (id === 'db:rollback') {
      it('an error (unknown user id) is one {error} document on stdout, exit 4', async () => {
        const r = await run(['user', 'show', '--user-id', 'U999999', '--json'])
        expect(r.code, r.stderr).toBe(4)
        const doc = oneDocument(r)
        expect(Object.keys(doc)).toEqual(['error'])
        expect(doc.error).toMatchObject({code: 'notFound', exit_code: 4, message: expect.any(String)})
        expect(r.stderr).toBe('')
      })
    }
    const test = c.fails ? it.fails : it
    test(`${id.replaceAll(':', ' ')} --json`, async () => {
      const args = [...c.args(ctx), '--json']
      const r = await run(args, {timeoutMs: c.timeoutMs})
      const doc = oneDocument(r)
      expect(typeof doc, r.stdout).toBe('object')
      expect(doc, `${args.join(' ')}: ${r.stdout}`).not.toBeNull()
      expect(r.code, `${args.join(' ')} exit ${r.code}: ${r.stdout.slice(0, 500)} ${r.stderr}`).toBe(c.exit ?? 0)
      c.after?.(doc, ctx)
    }, (c.timeoutMs ?? 30_000) + 10_000)
  }
})
