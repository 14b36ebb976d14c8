import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {openHandle} from '../../src/engine/handle.js'
import {backendKinds, createBackend, type TestBackend} from '../helpers/backends.js'
import {json, type CliResult} from '../helpers/cli.js'
import {cliIn, counts, eventsSince, maxId, ok, openDb, parseJson, rand, refusedUnchanged} from '../helpers/e2e.js'

/**
 * End-to-end: the built `ordermon strategy ...` commands run as child processes against a throwaway
 * database on each backend; results are checked on stdout/stderr, exit codes and the rows themselves.
 */

/** The manual's strategy_config.json, verbatim. */
const manualConfig = {
  strategy_id: 'STR001',
  name: '动量策略',
  type: 'momentum',
  parameters: {
    symbols: ['AAPL', 'GOOGL', 'MSFT'],
    timeframe: '1m',
    lookback_period: 20,
    threshold: 0.02,
    max_position_size: 10000,
    stop_loss: 0.05,
    take_profit: 0.1,
  },
  risk_management: {max_daily_loss: 1000, max_drawdown: 0.15, position_sizing: 'fixed'},
  schedule: {start_time: '09:30', end_time: '16:00', timezone: 'US/Eastern'},
}

const arbConfig = {parameters: {symbols: ['AAPL', 'MSFT'], spread_threshold: 0.5, hedge_ratio: 1}, risk_management: {max_daily_loss: 500}}
const momentumConfig = (name: string) => ({name, type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.03}})

const tables = ['strategies', 'orders', 'order_logs', 'events', 'audit_log', 'fills'] as const

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)

describe.each(backendKinds)('strategy commands on %s', (kind) => {
  let backend: TestBackend
  let db: Knex
  /** The owner of the manual's STR001, created once: an explicit STR001 must come before any generated id. */
  let owner: {username: string; user_id: string}
  let manualCreate: CliResult

  const cli = cliIn(() => backend)

  /** Runs a command that must fail: one "Error:" line, the exit code, nothing on stdout, no row changed. */
  const refused = (args: string[], code: number) => refusedUnchanged(() => counts(db, tables), () => cli(args), code)

  async function strategyRow(strategyId: string) {
    const r = await db('strategies').where({strategy_id: strategyId}).first()
    return r && {...r, parameters: parseJson(r.parameters), risk_management: parseJson(r.risk_management), schedule: parseJson(r.schedule)}
  }

  async function createUser(prefix: string, extra: string[] = []): Promise<{username: string; user_id: string}> {
    const username = `${prefix}_${rand()}`
    const r = await cli(['user', 'create', '--username', username, '--password', `Pw-${rand()}-secret`, '--json', ...extra])
    ok(r)
    return {username, user_id: json(r).user_id}
  }

  function writeConfig(name: string, content: unknown): string {
    writeFileSync(join(backend.dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
    return name
  }

  async function createStrategy(userId: string, name = `s-${rand()}`): Promise<string> {
    const file = writeConfig(`cfg-${rand()}.json`, momentumConfig(name))
    const r = await cli(['strategy', 'create', '--config', file, '--user-id', userId, '--json'])
    ok(r)
    return json(r).strategy_id
  }

  beforeAll(async () => {
    backend = await createBackend(kind)
    const init = await cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    db = openDb(backend)
    owner = await createUser('owner')
    writeConfig('strategy_config.json', manualConfig)
    manualCreate = await cli(['strategy', 'create', '--config', 'strategy_config.json', '--user-id', owner.user_id])
  })

  afterAll(async () => {
    await db?.destroy()
    await backend?.cleanup()
  })

  describe('strategy create', () => {
    it("creates the manual's strategy_config.json as STR001, stopped, with every setting stored", async () => {
      ok(manualCreate)
      expect(manualCreate.stdout).toContain('Created strategy STR001 (动量策略)')
      expect(manualCreate.stdout).toContain('Strategy id\tSTR001')
      expect(manualCreate.stdout).toContain('Status\tstopped')
      const row = await strategyRow('STR001')
      expect(row).toMatchObject({strategy_id: 'STR001', user_id: owner.user_id, name: '动量策略', type: 'momentum', status: 'stopped', version: 1})
      expect(row.parameters).toEqual(manualConfig.parameters)
      expect(row.risk_management).toMatchObject(manualConfig.risk_management)
      expect(row.schedule).toEqual(manualConfig.schedule)
      const audit = await db('audit_log').where({action: 'strategy.create', target: 'STR001'})
      expect(audit).toHaveLength(1)
      const events = await db('events').where({type: 'strategy.created', entity_id: 'STR001'})
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({entity_type: 'strategy', user_id: owner.user_id, source: 'cli'})
    })

    it('takes --name and --type from flags over a parameters-only --config, with a generated STR id', async () => {
      const user = await createUser('arb')
      const events0 = await maxId(db, 'events')
      writeConfig('arb.json', arbConfig)
      const r = await cli(['strategy', 'create', '--name', '套利策略', '--type', 'arbitrage', '--user-id', user.user_id, '--config', 'arb.json', '--json'])
      ok(r)
      const body = json(r)
      expect(body.strategy_id).toMatch(/^STR\d{3,}$/)
      expect(body.strategy_id).not.toBe('STR001')
      expect(body).toMatchObject({name: '套利策略', type: 'arbitrage', user_id: user.user_id, status: 'stopped', version: 1})
      expect(body.parameters).toEqual(arbConfig.parameters)
      const row = await strategyRow(body.strategy_id)
      expect(row).toMatchObject({name: '套利策略', type: 'arbitrage', user_id: user.user_id, status: 'stopped'})
      expect(row.parameters).toEqual(arbConfig.parameters)
      expect(row.risk_management.max_daily_loss).toBe(500)
      expect((await eventsSince(db, events0)).map((e) => e.type)).toEqual(['strategy.created'])
    })
  })

  describe('strategy list', () => {
    let user: {username: string; user_id: string}
    let momentum: string
    let arbitrage: string

    beforeAll(async () => {
      user = await createUser('lister')
      momentum = await createStrategy(user.user_id, '动量-list')
      writeConfig('arb-list.json', arbConfig)
      const r = await cli(['strategy', 'create', '--name', '套利-list', '--type', 'arbitrage', '--user-id', user.user_id, '--config', 'arb-list.json', '--json'])
      ok(r)
      arbitrage = json(r).strategy_id
      ok(await cli(['strategy', 'start', '--strategy-id', momentum]))
    })

    it('prints a tab-separated table with a header row when piped, filtered by --user-id', async () => {
      const r = await cli(['strategy', 'list', '--user-id', user.user_id])
      ok(r)
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines[0]).toBe('Strategy ID\tName\tType\tUser\tStatus\tUpdated')
      expect(lines).toHaveLength(3)
      const rows = lines.slice(1).map((l) => l.split('\t'))
      expect(rows.map((c) => c.slice(0, 5))).toEqual([
        [momentum, '动量-list', 'momentum', user.user_id, 'running'],
        [arbitrage, '套利-list', 'arbitrage', user.user_id, 'stopped'],
      ])
    })

    it('filters by --status and --type and returns {total, page, limit, strategies} with --json', async () => {
      const running = await cli(['strategy', 'list', '--user-id', user.user_id, '--status', 'running', '--json'])
      ok(running)
      const body = json(running)
      expect(Object.keys(body).sort()).toEqual(['limit', 'page', 'strategies', 'total'])
      expect(body).toMatchObject({total: 1, page: 1, limit: 50})
      expect(body.strategies.map((s: any) => s.strategy_id)).toEqual([momentum])
      expect(body.strategies[0]).toMatchObject({status: 'running', type: 'momentum', user_id: user.user_id})

      const arb = json(await cli(['strategy', 'list', '--user-id', user.user_id, '--type', 'arbitrage', '--json']))
      expect(arb.total).toBe(1)
      expect(arb.strategies[0]).toMatchObject({strategy_id: arbitrage, name: '套利-list', status: 'stopped'})

      const none = json(await cli(['strategy', 'list', '--user-id', user.user_id, '--status', 'paused', '--json']))
      expect(none).toMatchObject({total: 0, strategies: []})

      // Across users, the type filter still holds.
      const all = json(await cli(['strategy', 'list', '--type', 'momentum', '--limit', '1000', '--json']))
      expect(all.total).toBeGreaterThanOrEqual(2)
      expect(all.strategies.every((s: any) => s.type === 'momentum')).toBe(true)
      expect(all.strategies.map((s: any) => s.strategy_id)).toEqual(expect.arrayContaining(['STR001', momentum]))
    })
  })

  describe('strategy show / status', () => {
    it('shows the configuration, state and performance; `status` is the same command', async () => {
      const user = await createUser('shower')
      writeConfig('show.json', {...manualConfig, strategy_id: undefined, name: '动量-show'})
      const c = await cli(['strategy', 'create', '--config', 'show.json', '--user-id', user.user_id, '--json'])
      ok(c)
      const sid = json(c).strategy_id

      const show = await cli(['strategy', 'show', '--strategy-id', sid])
      ok(show)
      const out = show.stdout
      expect(out).toContain(`Strategy id\t${sid}`)
      expect(out).toContain('Name\t动量-show')
      expect(out).toContain('Status\tstopped')
      expect(out).toContain('"lookback_period": 20')
      expect(out).toContain('"timezone": "US/Eastern"')
      expect(out).toContain('Total orders\t0')
      expect(out).toContain('Realized P&L\t0.00')
      const at = (s: string) => out.indexOf(s)
      expect(at('# Strategy')).toBeGreaterThanOrEqual(0)
      expect(at('# Strategy')).toBeLessThan(at('# Configuration'))
      expect(at('# Configuration')).toBeLessThan(at('# Performance'))

      const status = await cli(['strategy', 'status', '--strategy-id', sid, '--json'])
      ok(status)
      const body = json(status)
      expect(Object.keys(body).sort()).toEqual(['performance', 'strategy'])
      expect(body.strategy).toMatchObject({strategy_id: sid, name: '动量-show', type: 'momentum', status: 'stopped', user_id: user.user_id})
      expect(body.strategy.parameters).toEqual(manualConfig.parameters)
      expect(body.strategy.schedule).toEqual(manualConfig.schedule)
      expect(body.performance).toMatchObject({strategy_id: sid, total_orders: 0, success_rate: null, realized_pnl: 0})
    })
  })

  describe('strategy start / stop', () => {
    it('starts, stops and pauses, changing the row and writing strategy.started / strategy.stopped / strategy.paused events', async () => {
      const user = await createUser('runner')
      const sid = await createStrategy(user.user_id)
      const events0 = await maxId(db, 'events')

      const start = await cli(['strategy', 'start', '--strategy-id', sid])
      ok(start)
      expect(start.stdout).toContain(`Strategy ${sid}: stopped -> running`)
      let row = await strategyRow(sid)
      expect(row.status).toBe('running')
      expect(row.started_at).not.toBeNull()

      const again = await cli(['strategy', 'start', '--strategy-id', sid])
      ok(again)
      expect(again.stdout).toContain('already running')

      const stop = await cli(['strategy', 'stop', '--strategy-id', sid, '--reason', 'end of day', '--json'])
      ok(stop)
      expect(json(stop)).toMatchObject({previous: 'running', changed: true, strategy: {strategy_id: sid, status: 'stopped'}})
      row = await strategyRow(sid)
      expect(row.status).toBe('stopped')
      expect(row.stopped_at).not.toBeNull()

      ok(await cli(['strategy', 'start', '--strategy-id', sid]))
      const pause = await cli(['strategy', 'stop', '--strategy-id', sid, '--pause'])
      ok(pause)
      expect(pause.stdout).toContain(`Strategy ${sid}: running -> paused`)
      expect((await strategyRow(sid)).status).toBe('paused')

      const events = await eventsSince(db, events0)
      expect(events.map((e) => e.type)).toEqual(['strategy.started', 'strategy.stopped', 'strategy.started', 'strategy.paused'])
      for (const e of events) expect(e).toMatchObject({entity_type: 'strategy', entity_id: sid, user_id: user.user_id, source: 'cli'})
      expect(events[1]!.payload).toMatchObject({from: 'running', to: 'stopped', reason: 'end of day'})
      const audit = await db('audit_log').where({target_type: 'strategy', target: sid}).orderBy('id')
      expect(audit.map((a) => a.action)).toEqual(['strategy.create', 'strategy.start', 'strategy.stop', 'strategy.start', expect.stringMatching(/^strategy\.paus/)])
    })

    it('refuses to start a strategy of a suspended user with exit 5, naming the user status, and changes nothing', async () => {
      const user = await createUser('susp', ['--status', 'suspended'])
      const sid = await createStrategy(user.user_id)
      const line = await refused(['strategy', 'start', '--strategy-id', sid], 5)
      expect(line).toContain(sid)
      expect(line).toContain(user.username)
      expect(line).toMatch(/suspended/)
      expect((await strategyRow(sid)).status).toBe('stopped')
    })
  })

  describe('strategy update', () => {
    it('replaces the settings from --config, reports the changed fields and bumps the version', async () => {
      const user = await createUser('updater')
      const sid = await createStrategy(user.user_id, 'before')
      const events0 = await maxId(db, 'events')
      const file = writeConfig('update.json', {
        name: 'after',
        parameters: {symbols: ['AAPL', 'TSLA'], threshold: 0.05, lookback_period: 30},
        schedule: {start_time: '09:00', end_time: '15:00', timezone: 'Asia/Shanghai'},
      })
      const r = await cli(['strategy', 'update', '--strategy-id', sid, '--config', file])
      ok(r)
      expect(r.stdout).toContain(`Updated ${sid}: name, parameters, schedule.`)
      expect(r.stdout).toContain('Version\t2')
      const row = await strategyRow(sid)
      expect(row).toMatchObject({name: 'after', version: 2})
      expect(row.parameters).toEqual({symbols: ['AAPL', 'TSLA'], threshold: 0.05, lookback_period: 30, timeframe: '1m'})
      expect(row.schedule).toEqual({start_time: '09:00', end_time: '15:00', timezone: 'Asia/Shanghai'})
      const events = await eventsSince(db, events0)
      expect(events.map((e) => e.type)).toEqual(['strategy.updated'])
      expect(events[0]!.payload).toMatchObject({changed: ['name', 'parameters', 'schedule'], version: 2})

      // The same file again changes nothing.
      const same = await cli(['strategy', 'update', '--strategy-id', sid, '--config', file, '--json'])
      ok(same)
      expect(json(same)).toMatchObject({changed: [], strategy: {version: 2}})
      expect(await eventsSince(db, events0)).toHaveLength(1)
    })
  })

  describe('strategy delete', () => {
    it('refuses without --yes on a non-interactive terminal (exit 2) and deletes nothing', async () => {
      const user = await createUser('delno')
      const sid = await createStrategy(user.user_id)
      const line = await refused(['strategy', 'delete', '--strategy-id', sid], 2)
      expect(line).toMatch(/confirmation.*--yes/)
      expect(await strategyRow(sid)).toBeDefined()
    })

    it('refuses a running strategy with exit 5 unless --force', async () => {
      const user = await createUser('delrun')
      const sid = await createStrategy(user.user_id)
      ok(await cli(['strategy', 'start', '--strategy-id', sid]))
      const line = await refused(['strategy', 'delete', '--strategy-id', sid, '--yes'], 5)
      expect(line).toMatch(/running/)
      expect(line).toContain('--force')
      expect((await strategyRow(sid)).status).toBe('running')

      const forced = await cli(['strategy', 'delete', '--strategy-id', sid, '--yes', '--force', '--json'])
      ok(forced)
      expect(json(forced)).toMatchObject({strategy: {strategy_id: sid}, open_orders: 0})
      expect(await strategyRow(sid)).toBeUndefined()
    })

    it('deletes a stopped strategy with --yes, with one audit row and a strategy.deleted event', async () => {
      const user = await createUser('delyes')
      const sid = await createStrategy(user.user_id, 'to-delete')
      const audit0 = await maxId(db, 'audit_log')
      const events0 = await maxId(db, 'events')
      const r = await cli(['strategy', 'delete', '--strategy-id', sid, '--yes'])
      ok(r)
      expect(r.stdout).toContain(`Deleted strategy ${sid} (to-delete).`)
      expect(await strategyRow(sid)).toBeUndefined()
      const audit = await db('audit_log').where('id', '>', audit0)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({action: 'strategy.delete', target: sid})
      expect((await eventsSince(db, events0)).map((e) => [e.type, e.entity_id])).toEqual([['strategy.deleted', sid]])
      expect(json(await cli(['strategy', 'list', '--user-id', user.user_id, '--json'])).total).toBe(0)
    })
  })

  describe('strategy performance', () => {
    it('counts orders, success rate and realized P&L from fills in the date range', async () => {
      const user = await createUser('perf')
      const sid = await createStrategy(user.user_id)
      const place = async (args: string[]) => {
        const r = await cli(['order', 'create', '--user-id', user.user_id, '--strategy-id', sid, '--symbol', 'AAPL', ...args, '--json'])
        ok(r)
        return json(r).order.order_id as string
      }
      const buy = await place(['--side', 'buy', '--quantity', '100', '--price', '151'])
      const sell = await place(['--side', 'sell', '--quantity', '100', '--price', '160'])
      const cancelled = await place(['--side', 'buy', '--quantity', '50', '--price', '140'])
      await place(['--side', 'buy', '--quantity', '10', '--price', '130'])
      ok(await cli(['order', 'cancel', '--order-id', cancelled]))

      const engine = await openHandle({loaded: backend.loaded})
      try {
        const actor = {name: 'test', source: 'engine' as const}
        await engine.orders.fill(buy, {quantity: 60, price: 150}, actor)
        await engine.orders.fill(buy, {quantity: 40, price: 151}, actor)
        await engine.orders.fill(sell, {quantity: 100, price: 160}, actor)
      } finally {
        await engine.close()
      }

      const r = await cli(['strategy', 'performance', '--strategy-id', sid, '--start-date', day(-1), '--end-date', day(1), '--json'])
      ok(r)
      const p = json(r)
      // Bought 100 at an average 150.40, sold 100 at 160: 960 realized, nothing left open.
      expect(p).toMatchObject({
        strategy_id: sid,
        total_orders: 4,
        filled_orders: 2,
        open_orders: 1,
        cancelled_orders: 1,
        success_rate: 0.5,
        fills: 3,
        realized_pnl: 960,
        unrealized_pnl: 0,
        profit_loss: 960,
        positions: [],
      })
      expect(p.period.start).toBe(`${day(-1)}T00:00:00.000Z`)
      expect(p.period.end).toBe(`${day(2)}T00:00:00.000Z`)

      const text = await cli(['strategy', 'performance', '--strategy-id', sid, '--start-date', day(-1), '--end-date', day(1)])
      ok(text)
      expect(text.stdout).toContain('Total orders\t4')
      expect(text.stdout).toContain('Success rate\t50.00%')
      expect(text.stdout).toContain('Realized P&L\t960.00')

      const past = json(await cli(['strategy', 'performance', '--strategy-id', sid, '--start-date', '2024-01-01', '--end-date', '2024-01-31', '--json']))
      expect(past).toMatchObject({total_orders: 0, fills: 0, realized_pnl: 0, success_rate: null})
    })
  })

  describe('bad input: one error line, an exit code, and no row changed', () => {
    it('names the line and column of malformed JSON', async () => {
      const file = writeConfig('malformed.json', '{\n  "name": "x",\n  "type": "momentum",,\n  "parameters": {}\n}\n')
      const line = await refused(['strategy', 'create', '--config', file, '--user-id', owner.user_id], 2)
      expect(line).toContain(file)
      expect(line).toMatch(/line 3, column 22/)
      expect(line).toMatch(/malformed JSON/)
    })

    it('names where a truncated JSON file stops', async () => {
      const full = JSON.stringify({...manualConfig, strategy_id: undefined}, null, 2)
      const text = full.slice(0, full.indexOf('"lookback_period"'))
      const file = writeConfig('truncated.json', text)
      const lines = text.split('\n')
      const line = await refused(['strategy', 'create', '--config', file, '--user-id', owner.user_id], 2)
      expect(line).toContain(`truncated.json: line ${lines.length}, column ${lines.at(-1)!.length + 1}: malformed JSON (the file ends too early)`)
    })

    it.each([
      ['a missing file', ['--config', 'no-such-file.json'], 2, /no-such-file\.json.*no such file/],
      ['JSON that is an array', ['--config', 'array.json'], 2, /array\.json.*JSON object/],
      ['an unknown type in the file', ['--config', 'unknown-type.json'], 2, /type "scalping" is not valid/],
      ['an unknown --type', ['--name', 'x', '--type', 'scalping'], 2, /--type=scalping.*momentum, arbitrage, grid, custom/],
      ['an unknown parameter', ['--config', 'unknown-param.json'], 2, /parameters\.lookback_days is not a known setting/],
      ['a grid with upper <= lower', ['--config', 'grid.json'], 2, /upper_price \(100\) must be above parameters\.lower_price \(120\)/],
      ['a bad schedule time', ['--config', 'schedule.json'], 2, /schedule\.start_time must be a time as HH:MM/],
      ['an unknown --user-id', ['--config', 'ok.json', '--user-id', 'NO_SUCH_USER'], 4, /No user id "NO_SUCH_USER"/],
    ] as Array<[string, string[], number, RegExp]>)('refuses %s', async (_label, flags, code, message) => {
      writeConfig('array.json', [manualConfig])
      writeConfig('unknown-type.json', {name: 'x', type: 'scalping', parameters: {}})
      writeConfig('unknown-param.json', {name: 'x', type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02, lookback_days: 3}})
      writeConfig('grid.json', {name: 'g', type: 'grid', parameters: {symbol: 'AAPL', lower_price: 120, upper_price: 100, levels: 5}})
      writeConfig('schedule.json', {...momentumConfig('x'), schedule: {start_time: '9:30am', end_time: '16:00', timezone: 'US/Eastern'}})
      writeConfig('ok.json', momentumConfig('x'))
      const args = ['strategy', 'create', ...flags]
      if (!flags.includes('--user-id')) args.push('--user-id', owner.user_id)
      expect(await refused(args, code)).toMatch(message)
    })

    it('refuses an unknown --strategy-id with exit 4 on every strategy command', async () => {
      writeConfig('ok-update.json', {name: 'y'})
      for (const args of [
        ['show'],
        ['status'],
        ['start'],
        ['stop'],
        ['update', '--config', 'ok-update.json'],
        ['delete', '--yes'],
        ['performance'],
      ]) {
        const [verb, ...rest] = args
        const line = await refused(['strategy', verb!, '--strategy-id', 'STR999999', ...rest], 4)
        expect(line).toMatch(/No strategy "STR999999"/)
      }
    })

    it('refuses a bad update configuration and leaves the strategy as it was', async () => {
      const before = await strategyRow('STR001')
      writeConfig('bad-update.json', {parameters: {symbols: ['AAPL'], threshold: 2}})
      const line = await refused(['strategy', 'update', '--strategy-id', 'STR001', '--config', 'bad-update.json'], 2)
      expect(line).toMatch(/parameters\.threshold must be at most 1/)
      expect(await strategyRow('STR001')).toEqual(before)
    })
  })
})
