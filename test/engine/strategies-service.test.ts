import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Knex} from 'knex'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import {loadConfig, type Actor} from '../../src/engine/index.js'
import {openHandle, type EngineHandle} from '../../src/engine/handle.js'
import {OrdermonError, type ErrorKind} from '../../src/engine/errors.js'
import {parseJsonConfig, readJsonConfig} from '../../src/engine/domain/strategies/config-file.js'
import {expectKind, useEngine} from '../helpers/suite.js'

const actor: Actor = {name: 'test', source: 'cli'}
const venue: Actor = {name: 'venue', source: 'engine'}

function expectThrowsKind(run: () => unknown, kind: ErrorKind, message?: RegExp | string): OrdermonError {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected an OrdermonError').toBeInstanceOf(OrdermonError)
  const e = caught as OrdermonError
  expect(e.kind, e.message).toBe(kind)
  if (message !== undefined) expect(e.message).toMatch(message)
  return e
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const exactly = (s: string) => new RegExp(`^${esc(s)}$`)

/** The manual's strategy_config.json (its strategy_id left out: ids are generated unless given). */
const manualConfig = () => ({
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
})

const gridConfig = (over: Record<string, unknown> = {}) => ({name: '网格策略', type: 'grid', parameters: {symbol: 'btc/usd', lower_price: 100, upper_price: 200, levels: 10, ...over}})

describe.each(backendKinds)('StrategyService on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex

  beforeAll(() => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
  })

  const tables = ['strategies', 'orders', 'order_logs', 'events', 'audit_log'] as const
  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await knex(table).where(where).count({n: '*'}))[0]!.n)
  const counts = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const)))
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

  async function failsCleanly(run: () => Promise<unknown>, kind: ErrorKind, message?: RegExp | string): Promise<OrdermonError> {
    const before = await counts()
    const e = await expectKind(run(), kind, message)
    expect(await counts()).toEqual(before)
    return e
  }

  let userSeq = 0
  const newUser = async (prefix: string) => engine.users.create({username: `${prefix}_${++userSeq}`, password: 'password123'}, actor)

  describe('create', () => {
    it('creates the manual\'s momentum strategy, stopped, with risk defaults from config', async () => {
      const u = await newUser('manual')
      const before = await counts()
      const s = await engine.strategies.create({config: manualConfig(), user_id: u.user_id}, actor)
      expect(s.strategy_id).toMatch(/^STR\d{3}$/)
      expect(s).toMatchObject({user_id: u.user_id, name: '动量策略', type: 'momentum', status: 'stopped', module_path: null, status_reason: null, version: 1, started_at: null, stopped_at: null})
      expect(s.parameters).toEqual(manualConfig().parameters)
      // given values kept, position_limit from config/strategy.yaml (default 100000)
      expect(s.risk_management).toEqual({max_daily_loss: 1000, max_drawdown: 0.15, position_sizing: 'fixed', position_limit: 100000})
      expect(s.schedule).toEqual({start_time: '09:30', end_time: '16:00', timezone: 'US/Eastern'})
      expect(s.created_at).toMatch(/Z$/)
      expect(await counts()).toEqual({...before, strategies: before.strategies + 1, events: before.events + 1, audit_log: before.audit_log + 1})
      const audit = await knex('audit_log').where({target: s.strategy_id})
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({actor: 'test', action: 'strategy.create', target_type: 'strategy', result: 'ok'})
      expect(json(audit[0].details)).toEqual({user_id: u.user_id, name: '动量策略', type: 'momentum'})
      const events = await engine.store.events.forEntity('strategy', s.strategy_id)
      expect(events.map((e) => [e.type, e.user_id, e.source])).toEqual([['strategy.created', u.user_id, 'cli']])
      expect(events[0]!.payload).toEqual({name: '动量策略', type: 'momentum', status: 'stopped'})
      expect(await engine.strategies.get(s.strategy_id)).toEqual(s)
    })

    it('fills momentum defaults and the config\'s risk limits when none are given', async () => {
      const u = await newUser('defaults')
      const s = await engine.strategies.create({config: {name: 'm', type: 'momentum', user_id: u.user_id, parameters: {symbols: ['aapl'], threshold: 0.01}}}, actor)
      expect(s.parameters).toEqual({symbols: ['AAPL'], threshold: 0.01, timeframe: '1m', lookback_period: 20})
      expect(s.risk_management).toEqual({max_daily_loss: 10000, max_drawdown: 0.2, position_limit: 100000})
      expect(s.schedule).toBeNull()
    })

    it('creates arbitrage and grid strategies; flags override the file', async () => {
      const u = await newUser('types')
      const arb = await engine.strategies.create({config: {name: '套利策略', type: 'arbitrage', user_id: u.user_id, parameters: {symbols: ['aapl', 'msft'], spread_threshold: 0.5, hedge_ratio: 1.2}}}, actor)
      expect(arb).toMatchObject({type: 'arbitrage', status: 'stopped', name: '套利策略'})
      expect(arb.parameters).toEqual({symbols: ['AAPL', 'MSFT'], spread_threshold: 0.5, hedge_ratio: 1.2})
      const grid = await engine.strategies.create({config: gridConfig(), user_id: u.user_id, name: 'Grid by flag'}, actor)
      expect(grid).toMatchObject({type: 'grid', name: 'Grid by flag'})
      expect(grid.parameters).toEqual({symbol: 'BTC/USD', lower_price: 100, upper_price: 200, levels: 10})
      expect(Number(grid.strategy_id.slice(3))).toBe(Number(arb.strategy_id.slice(3)) + 1)
    })

    it('honours an explicit strategy_id, refuses a taken one, and generates past it', async () => {
      const u = await newUser('explicit')
      const s = await engine.strategies.create({config: {...gridConfig(), strategy_id: 'STR500', user_id: u.user_id}}, actor)
      expect(s.strategy_id).toBe('STR500')
      await failsCleanly(() => engine.strategies.create({config: {...gridConfig(), strategy_id: 'STR500', user_id: u.user_id}}, actor), 'conflict', exactly('Strategy id STR500 is already taken.'))
      const next = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      expect(next.strategy_id).toMatch(/^STR\d{3}$/)
      expect(Number(next.strategy_id.slice(3))).toBeGreaterThan(500)
      const named = await engine.strategies.create({config: {...gridConfig(), strategy_id: 'my-grid_1', user_id: u.user_id}}, actor)
      expect(named.strategy_id).toBe('my-grid_1')
      await failsCleanly(() => engine.strategies.create({config: {...gridConfig(), strategy_id: 'bad id!', user_id: u.user_id}}, actor), 'invalidInput', /^strategy_id "bad id!" is not valid/)
    })

    const withParams = (p: Record<string, unknown>) => ({...manualConfig(), parameters: {...manualConfig().parameters, ...p}})
    const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an unknown type', {...manualConfig(), type: 'scalping'}, exactly('type "scalping" is not valid: use one of momentum, arbitrage, grid, custom.')],
      ['no type', {...manualConfig(), type: undefined}, exactly('type is required (one of momentum, arbitrage, grid, custom).')],
      ['no name', {...manualConfig(), name: undefined}, exactly('name is required.')],
      [
        'an unknown parameter key',
        withParams({foo: 1}),
        exactly('parameters.foo is not a known setting (allowed: symbols, timeframe, lookback_period, threshold, max_position_size, stop_loss, take_profit, order_quantity).'),
      ],
      ['arbitrage with 1 symbol', {name: 'a', type: 'arbitrage', parameters: {symbols: ['AAPL'], spread_threshold: 0.5}}, exactly('parameters.symbols must list exactly 2 symbols (got 1).')],
      ['arbitrage with 3 symbols', {name: 'a', type: 'arbitrage', parameters: {symbols: ['AAPL', 'MSFT', 'GOOGL'], spread_threshold: 0.5}}, exactly('parameters.symbols must list exactly 2 symbols (got 3).')],
      ['arbitrage without spread_threshold', {name: 'a', type: 'arbitrage', parameters: {symbols: ['AAPL', 'MSFT']}}, exactly('parameters.spread_threshold is required.')],
      ['grid with upper = lower', gridConfig({upper_price: 100}), exactly('parameters.upper_price (100) must be above parameters.lower_price (100).')],
      ['grid with upper < lower', gridConfig({upper_price: 90}), exactly('parameters.upper_price (90) must be above parameters.lower_price (100).')],
      ['grid with 1 level', gridConfig({levels: 1}), exactly('parameters.levels must be at least 2 (got 1).')],
      ['grid with 2.5 levels', gridConfig({levels: 2.5}), exactly('parameters.levels must be a whole number (got 2.5).')],
      ['threshold 0', withParams({threshold: 0}), exactly('parameters.threshold must be greater than 0 (got 0).')],
      ['negative threshold', withParams({threshold: -0.02}), exactly('parameters.threshold must be greater than 0 (got -0.02).')],
      ['threshold as text', withParams({threshold: '0.02'}), /^parameters\.threshold must be a number \(got .*0\.02.*\)\.$/],
      ['a symbol listed twice', withParams({symbols: ['AAPL', 'aapl']}), exactly('parameters.symbols lists a symbol twice.')],
      ['an SQL-like symbol', withParams({symbols: ["AAPL'; DROP TABLE strategies;--"]}), /^parameters\.symbols\[0\] must be a symbol like "AAPL"/],
      ['an unknown timeframe', withParams({timeframe: '2m'}), /^parameters\.timeframe must be one of 1s, 5s, 15s, 30s, 1m, 5m, 15m, 30m, 1h, 4h, 1d \(got .*2m.*\)\.$/],
      ['schedule start 25:00', {...manualConfig(), schedule: {start_time: '25:00', end_time: '16:00', timezone: 'UTC'}}, /^schedule\.start_time must be a time as HH:MM, 00:00 to 23:59 \(got .*25:00.*\)\.$/],
      ['schedule end 24:00', {...manualConfig(), schedule: {start_time: '09:30', end_time: '24:00'}}, /^schedule\.end_time must be a time as HH:MM, 00:00 to 23:59 \(got .*24:00.*\)\.$/],
      [
        'schedule timezone Mars/Base',
        {...manualConfig(), schedule: {start_time: '09:30', end_time: '16:00', timezone: 'Mars/Base'}},
        exactly('schedule.timezone "Mars/Base" is not a known time zone (use an IANA name such as America/New_York or Asia/Shanghai).'),
      ],
      ['schedule with an unknown key', {...manualConfig(), schedule: {start_time: '09:30', end_time: '16:00', tz: 'UTC'}}, exactly('schedule.tz is not a known setting (allowed: start_time, end_time, timezone, days).')],
      ['max_drawdown above the config limit 0.2', {...manualConfig(), risk_management: {max_drawdown: 0.25}}, exactly('risk_management.max_drawdown 0.25 is above the allowed 0.2 (strategy.risk_management.max_drawdown).')],
      ['max_daily_loss above the config limit', {...manualConfig(), risk_management: {max_daily_loss: 10001}}, exactly('risk_management.max_daily_loss 10001 is above the allowed 10000 (strategy.risk_management.max_daily_loss).')],
      ['an unknown position_sizing', {...manualConfig(), risk_management: {position_sizing: 'martingale'}}, /^risk_management\.position_sizing must be one of fixed, percent, kelly, volatility/],
      [
        'an unknown top-level key',
        {...manualConfig(), owner: 'me'},
        exactly('Unknown key "owner" in the strategy configuration (allowed: strategy_id, name, type, user_id, parameters, risk_management, schedule, module_path, description).'),
      ],
      ['parameters that are not an object', {...manualConfig(), parameters: ['AAPL']}, exactly('parameters must be an object.')],
    ]
    it.each(invalid)('refuses %s with invalidInput and writes nothing', async (_label, config, message) => {
      const u = await engine.users.find({username: 'strategy_validation'}).catch(() => engine.users.create({username: 'strategy_validation', password: 'password123'}, actor))
      const e = await failsCleanly(() => engine.strategies.create({config: JSON.parse(JSON.stringify(config)), user_id: u.user_id}, actor), 'invalidInput', message)
      expect(e.exitCode).toBe(2)
      expect(await count('strategies', {user_id: u.user_id})).toBe(0)
    })

    it('refuses a missing user (invalidInput) and an unknown one (notFound)', async () => {
      await failsCleanly(() => engine.strategies.create({config: manualConfig()}, actor), 'invalidInput', exactly('The strategy needs a user.'))
      await failsCleanly(() => engine.strategies.create({config: manualConfig(), user_id: '  '}, actor), 'invalidInput', exactly('The strategy needs a user.'))
      await failsCleanly(() => engine.strategies.create({config: manualConfig(), user_id: 'U999999'}, actor), 'notFound', exactly('No user id "U999999".'))
    })

    it('enforces strategy.max_per_user from the configuration', async () => {
      const loaded = loadConfig({cwd: ctx.backend.dir, env: {...ctx.backend.env, ORDERMON__STRATEGY__MAX_PER_USER: '3'}})
      expect(loaded.config.strategy.max_per_user).toBe(3)
      const limited = await openHandle({loaded})
      try {
        const u = await newUser('limited')
        for (let i = 1; i <= 3; i++) await limited.strategies.create({config: {...gridConfig(), name: `g${i}`}, user_id: u.user_id}, actor)
        await failsCleanly(
          () => limited.strategies.create({config: {...gridConfig(), name: 'g4'}, user_id: u.user_id}, actor),
          'conflict',
          exactly(`User ${u.username} already has 3 strategies, the limit (strategy.max_per_user = 3).`),
        )
        expect(await count('strategies', {user_id: u.user_id})).toBe(3)
        // the limit is per user
        const other = await newUser('limited_other')
        expect((await limited.strategies.create({config: gridConfig(), user_id: other.user_id}, actor)).status).toBe('stopped')
        // after a delete there is room again
        const [first] = (await limited.strategies.list({user_id: u.user_id})).strategies
        await limited.strategies.delete(first!.strategy_id, {}, actor)
        expect((await limited.strategies.create({config: {...gridConfig(), name: 'g5'}, user_id: u.user_id}, actor)).name).toBe('g5')
      } finally {
        await limited.close()
      }
    })
  })

  describe('start and stop', () => {
    it('refuses to start for a suspended user', async () => {
      const u = await newUser('susp')
      const s = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      await engine.users.setStatus({user_id: u.user_id}, 'suspended', actor)
      await failsCleanly(() => engine.strategies.start(s.strategy_id, actor), 'conflict', exactly(`Strategy ${s.strategy_id} cannot start: its user ${u.username} is suspended.`))
      expect(await engine.strategies.get(s.strategy_id)).toEqual(s)
      // stopping needs no active user
      expect((await engine.strategies.stop(s.strategy_id, actor, {pause: true})).strategy.status).toBe('paused')
    })

    it('stopped -> running -> stopped, paused -> running; each change audited with an event', async () => {
      const u = await newUser('runner')
      const s = await engine.strategies.create({config: manualConfig(), user_id: u.user_id}, actor)
      const id = s.strategy_id

      let before = await counts()
      const started = await engine.strategies.start(id, actor)
      expect(started).toMatchObject({previous: 'stopped', changed: true})
      expect(started.strategy).toMatchObject({status: 'running', version: 2, stopped_at: null, status_reason: null})
      expect(started.strategy.started_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(Math.abs(Date.parse(started.strategy.started_at!) - Date.now())).toBeLessThan(60_000)
      expect(await counts()).toEqual({...before, events: before.events + 1, audit_log: before.audit_log + 1})
      let audit = await knex('audit_log').where({target: id}).orderBy('id', 'desc').first()
      expect(audit).toMatchObject({action: 'strategy.start', actor: 'test', target_type: 'strategy'})
      expect(json(audit.details)).toEqual({from: 'stopped', to: 'running', reason: null})
      let events = await engine.store.events.forEntity('strategy', id)
      expect(events.at(-1)).toMatchObject({type: 'strategy.started', user_id: u.user_id, source: 'cli'})
      expect(events.at(-1)!.payload).toEqual({from: 'stopped', to: 'running', reason: null})

      // starting a running strategy changes nothing
      before = await counts()
      const again = await engine.strategies.start(id, actor)
      expect(again).toMatchObject({previous: 'running', changed: false})
      expect(again.strategy.version).toBe(2)
      expect(await counts()).toEqual(before)

      const stopped = await engine.strategies.stop(id, actor, {reason: 'end of day'})
      expect(stopped).toMatchObject({previous: 'running', changed: true})
      expect(stopped.strategy).toMatchObject({status: 'stopped', version: 3, status_reason: 'end of day', started_at: started.strategy.started_at})
      expect(stopped.strategy.stopped_at).toMatch(/Z$/)
      audit = await knex('audit_log').where({target: id}).orderBy('id', 'desc').first()
      expect(audit.action).toBe('strategy.stop')
      expect(json(audit.details)).toEqual({from: 'running', to: 'stopped', reason: 'end of day'})

      await engine.strategies.start(id, actor)
      const paused = await engine.strategies.stop(id, actor, {pause: true})
      expect(paused).toMatchObject({previous: 'running', changed: true})
      expect(paused.strategy).toMatchObject({status: 'paused', version: 5})
      const resumed = await engine.strategies.start(id, actor)
      expect(resumed).toMatchObject({previous: 'paused', changed: true})
      expect(resumed.strategy).toMatchObject({status: 'running', version: 6})

      events = await engine.store.events.forEntity('strategy', id)
      expect(events.map((e) => e.type)).toEqual(['strategy.created', 'strategy.started', 'strategy.stopped', 'strategy.started', 'strategy.paused', 'strategy.started'])
      expect((await knex('audit_log').where({target: id}).orderBy('id').pluck('action')) as string[]).toEqual([
        'strategy.create',
        'strategy.start',
        'strategy.stop',
        'strategy.start',
        'strategy.pause',
        'strategy.start',
      ])
      await expectKind(engine.strategies.start('STR999', actor), 'notFound', exactly('No strategy "STR999".'))
      await expectKind(engine.strategies.stop('STR999', actor), 'notFound')
    })
  })

  describe('list', () => {
    it('filters by user, status and type', async () => {
      const u = await newUser('lister')
      const a = await engine.strategies.create({config: manualConfig(), user_id: u.user_id}, actor)
      const b = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      await engine.strategies.start(b.strategy_id, actor)
      const all = await engine.strategies.list({user_id: u.user_id})
      expect(all.total).toBe(2)
      expect(all.strategies.map((s) => s.strategy_id)).toEqual([a.strategy_id, b.strategy_id])
      expect((await engine.strategies.list({user_id: u.user_id, status: 'running'})).strategies.map((s) => s.strategy_id)).toEqual([b.strategy_id])
      expect((await engine.strategies.list({user_id: u.user_id, type: 'momentum'})).strategies.map((s) => s.strategy_id)).toEqual([a.strategy_id])
      expect((await engine.strategies.list({user_id: u.user_id, limit: 1, page: 2})).strategies.map((s) => s.strategy_id)).toEqual([b.strategy_id])
      await expectKind(engine.strategies.list({status: 'active'}), 'invalidInput', /status "active" is not valid: use one of running, paused, stopped, error/)
      await expectKind(engine.strategies.list({type: 'hft'}), 'invalidInput', /type "hft" is not valid/)
    })
  })

  describe('update', () => {
    it('replaces parameters, bumps the version, refuses a type change', async () => {
      const u = await newUser('updater')
      const s = await engine.strategies.create({config: manualConfig(), user_id: u.user_id}, actor)
      const before = await counts()
      const r = await engine.strategies.update(s.strategy_id, {parameters: {symbols: ['tsla'], threshold: 0.05}}, actor)
      expect(r.changed).toEqual(['parameters'])
      // replaced, not merged: max_position_size, stop_loss, take_profit are gone; momentum defaults come back
      expect(r.strategy.parameters).toEqual({symbols: ['TSLA'], threshold: 0.05, timeframe: '1m', lookback_period: 20})
      expect(r.strategy.version).toBe(2)
      expect(r.strategy.risk_management).toEqual(s.risk_management)
      expect(r.strategy.schedule).toEqual(s.schedule)
      expect(await counts()).toEqual({...before, events: before.events + 1, audit_log: before.audit_log + 1})
      const audit = await knex('audit_log').where({target: s.strategy_id}).orderBy('id', 'desc').first()
      expect(audit.action).toBe('strategy.update')
      expect(json(audit.details)).toEqual({changed: ['parameters']})
      const events = await engine.store.events.forEntity('strategy', s.strategy_id)
      expect(events.at(-1)).toMatchObject({type: 'strategy.updated'})
      expect(events.at(-1)!.payload).toEqual({changed: ['parameters'], version: 2})
      expect(await engine.strategies.get(s.strategy_id)).toEqual(r.strategy)

      const r2 = await engine.strategies.update(s.strategy_id, {name: 'renamed', schedule: {start_time: '10:00', end_time: '15:00', timezone: 'Asia/Shanghai'}, type: 'momentum'}, actor)
      expect(r2.changed.sort()).toEqual(['name', 'schedule'])
      expect(r2.strategy).toMatchObject({name: 'renamed', version: 3, schedule: {start_time: '10:00', end_time: '15:00', timezone: 'Asia/Shanghai'}})

      // the same values again: nothing changes, nothing is written
      const quiet = await counts()
      const r3 = await engine.strategies.update(s.strategy_id, {name: 'renamed'}, actor)
      expect(r3.changed).toEqual([])
      expect(r3.strategy.version).toBe(3)
      expect(await counts()).toEqual(quiet)

      await failsCleanly(() => engine.strategies.update(s.strategy_id, {type: 'grid'}, actor), 'invalidInput', exactly(`A strategy's type cannot change (${s.strategy_id} is momentum).`))
      await failsCleanly(() => engine.strategies.update(s.strategy_id, {parameters: {symbols: ['AAPL'], threshold: 0}}, actor), 'invalidInput', /^parameters\.threshold must be greater than 0/)
      await failsCleanly(() => engine.strategies.update(s.strategy_id, {risk_management: {max_drawdown: 0.5}}, actor), 'invalidInput', /max_drawdown 0\.5 is above the allowed 0\.2/)
      await failsCleanly(() => engine.strategies.update(s.strategy_id, {user_id: 'U999999'}, actor), 'invalidInput', /cannot move to another user/)
      await failsCleanly(() => engine.strategies.update(s.strategy_id, {colour: 'red'}, actor), 'invalidInput', /^Unknown key "colour"/)
      await failsCleanly(() => engine.strategies.update('STR999', {name: 'x'}, actor), 'notFound')
      expect((await engine.strategies.get(s.strategy_id)).version).toBe(3)
    })
  })

  describe('delete', () => {
    it('refuses a running strategy unless forced', async () => {
      const u = await newUser('del_running')
      const s = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      await engine.strategies.start(s.strategy_id, actor)
      await failsCleanly(() => engine.strategies.delete(s.strategy_id, {}, actor), 'conflict', exactly(`Strategy ${s.strategy_id} is running; stop it first.`))
      const r = await engine.strategies.delete(s.strategy_id, {force: true}, actor)
      expect(r).toMatchObject({open_orders: 0, strategy: {strategy_id: s.strategy_id, status: 'running'}})
      expect(await count('strategies', {strategy_id: s.strategy_id})).toBe(0)
      await expectKind(engine.strategies.get(s.strategy_id), 'notFound')
    })

    it('refuses open orders unless forced; the orders stay, without a strategy', async () => {
      const u = await newUser('del_orders')
      const s = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      const open = (await engine.orders.create({user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'BTC/USD', side: 'buy', quantity: 1, price: 150}, actor)).order
      const done = (await engine.orders.create({user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'BTC/USD', side: 'sell', quantity: 2, price: 160}, actor)).order
      await engine.orders.fill(done.order_id, {quantity: 2, price: 160}, venue)
      await failsCleanly(() => engine.strategies.delete(s.strategy_id, {}, actor), 'conflict', exactly(`Strategy ${s.strategy_id} has 1 open order(s); not deleted.`))

      const before = await counts()
      const r = await engine.strategies.delete(s.strategy_id, {force: true}, actor)
      expect(r.open_orders).toBe(1)
      expect(await counts()).toEqual({...before, strategies: before.strategies - 1, events: before.events + 1, audit_log: before.audit_log + 1})
      const audit = await knex('audit_log').where({target: s.strategy_id, action: 'strategy.delete'}).first()
      expect(json(audit.details)).toEqual({name: '网格策略', open_orders: 1, forced: true})
      expect((await engine.store.events.forEntity('strategy', s.strategy_id)).at(-1)).toMatchObject({type: 'strategy.deleted', user_id: u.user_id})
      expect(await engine.orders.get(open.order_id)).toMatchObject({status: 'pending', strategy_id: null, version: 1})
      expect(await engine.orders.get(done.order_id)).toMatchObject({status: 'filled', strategy_id: null})
      expect(await engine.orders.history(open.order_id)).toHaveLength(1)
    })

    it('deletes a stopped strategy with only closed orders without force', async () => {
      const u = await newUser('del_closed')
      const s = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      const o = (await engine.orders.create({user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'BTC/USD', side: 'buy', quantity: 1, price: 150}, actor)).order
      await engine.orders.cancel(o.order_id, actor)
      expect((await engine.strategies.delete(s.strategy_id, {}, actor)).open_orders).toBe(0)
      expect(await engine.orders.get(o.order_id)).toMatchObject({status: 'cancelled', strategy_id: null})
    })
  })

  describe('performance', () => {
    it('counts orders and computes PnL from the fills', async () => {
      const u = await newUser('perf')
      const s = await engine.strategies.create({config: manualConfig(), user_id: u.user_id}, actor)
      const other = await engine.strategies.create({config: gridConfig(), user_id: u.user_id}, actor)
      const place = async (symbol: string, side: string, quantity: number, price: number, strategy_id = s.strategy_id) =>
        (await engine.orders.create({user_id: u.user_id, strategy_id, symbol, side, quantity, price}, actor)).order.order_id
      const o1 = await place('AAPL', 'buy', 100, 10)
      const o2 = await place('AAPL', 'sell', 60, 12)
      const o3 = await place('MSFT', 'buy', 50, 20)
      const o4 = await place('AAPL', 'sell', 100, 9)
      const o5 = await place('AAPL', 'buy', 10, 11)
      const o6 = await place('AAPL', 'sell', 40, 8)
      const noise = await place('AAPL', 'buy', 1000, 1, other.strategy_id)
      await engine.orders.fill(o1, {quantity: 100, price: 10, fee: 2}, venue) // long 100 AAPL @10; realized -2 (fee): drawdown 2 from the starting 0
      await engine.orders.fill(o2, {quantity: 60, price: 12}, venue) //           sell 60: realized += 60*(12-10) = 120 -> 118 (peak)
      await engine.orders.fill(o3, {quantity: 20, price: 20}, venue) //           long 20 MSFT @20, o3 partially filled
      await engine.orders.cancel(o4, actor)
      await engine.orders.finish(o5, 'rejected', 'risk', venue)
      await engine.orders.fill(o6, {quantity: 40, price: 8}, venue) //            sell 40: realized += 40*(8-10) = -80 -> 38; drawdown 118-38 = 80
      await engine.orders.fill(noise, {quantity: 1000, price: 1}, venue) //       another strategy: not counted

      const p = await engine.strategies.performance(s.strategy_id)
      expect(p).toMatchObject({
        strategy_id: s.strategy_id,
        period: {start: null, end: null},
        total_orders: 6,
        filled_orders: 3, // o1, o2, o6
        open_orders: 1, // o3
        cancelled_orders: 1,
        rejected_orders: 1,
        expired_orders: 0,
        success_rate: 0.5, // 3 / 6
        fill_rate: 0.6111, // filled 100+60+20+40 = 220 of 100+60+50+100+10+40 = 360 -> 0.61111
        traded_quantity: 220,
        fills: 4,
        realized_pnl: 38, // -2 + 120 - 80
        unrealized_pnl: 0, // AAPL flat; MSFT 20 @20 marked at its last fill 20
        profit_loss: 38,
        fees: 2,
        max_drawdown: 80, // 118 -> 38
        max_drawdown_pct: 0.678, // 80 / 118 = 0.677966 -> 0.678
      })
      expect(p.positions).toEqual([{symbol: 'MSFT', quantity: 20, avg_cost: 20, mark_price: 20, unrealized_pnl: 0}])

      // marks: MSFT 20 @20 marked at 25 -> 20*5 = 100; AAPL is flat so its mark does not matter
      const marked = await engine.strategies.performance(s.strategy_id, {marks: {MSFT: 25, AAPL: 50}})
      expect(marked).toMatchObject({realized_pnl: 38, unrealized_pnl: 100, profit_loss: 138})

      // date ranges (UTC; the end date is inclusive)
      const future = await engine.strategies.performance(s.strategy_id, {start_date: '2999-01-01'})
      expect(future).toMatchObject({
        period: {start: '2999-01-01T00:00:00.000Z', end: null},
        total_orders: 0,
        filled_orders: 0,
        open_orders: 0,
        success_rate: null,
        fill_rate: null,
        traded_quantity: 0,
        fills: 0,
        realized_pnl: 0,
        unrealized_pnl: 0,
        profit_loss: 0,
        fees: 0,
        max_drawdown: 0,
        max_drawdown_pct: null,
        positions: [],
      })
      const past = await engine.strategies.performance(s.strategy_id, {start_date: '2000-01-01', end_date: '2000-01-31'})
      expect(past).toMatchObject({period: {start: '2000-01-01T00:00:00.000Z', end: '2000-02-01T00:00:00.000Z'}, total_orders: 0, fills: 0})
      const today = new Date().toISOString().slice(0, 10)
      const covering = await engine.strategies.performance(s.strategy_id, {start_date: '2000-01-01', end_date: today})
      expect(covering).toMatchObject({total_orders: 6, filled_orders: 3, fills: 4, realized_pnl: 38, max_drawdown: 80})

      await expectKind(engine.strategies.performance(s.strategy_id, {start_date: '2024-02-01', end_date: '2024-01-01'}), 'invalidInput', 'start-date "2024-02-01" is after end-date "2024-01-01" (expected a start on or before the end).')
      await expectKind(engine.strategies.performance(s.strategy_id, {start_date: 'last week'}), 'invalidInput', /start-date "last week" is not a date/)
      await expectKind(engine.strategies.performance('STR999'), 'notFound')
    })
  })
})

describe('strategy configuration files', () => {
  const label = 'strategy.json'

  it('names line 3 and its column for an unexpected word', () => {
    // `momentum` starts at column 11 of line 3: two spaces, "type": (7 characters), a space
    const text = '{\n  "name": "x",\n  "type": momentum\n}\n'
    const e = expectThrowsKind(() => parseJsonConfig(text, label), 'invalidInput')
    expect(e.message).toMatch(/^strategy\.json: line 3, column 11: malformed JSON \(/)
    expect(e.hint).toBe('Fix the JSON and run the command again.')
  })

  it('names line 3 and its column for a missing comma', () => {
    const text = '{\n  "name": "x"\n  "type": "momentum"\n}\n'
    const e = expectThrowsKind(() => parseJsonConfig(text, label), 'invalidInput')
    expect(e.message).toBe('strategy.json: line 3, column 3: malformed JSON (Expected \',\' or \'}\' after property value).')
  })

  it('points a truncated file at its end', () => {
    // line 3 is `  "type": "momentum"` (20 characters): the file ends after column 20
    const cut = '{\n  "name": "x",\n  "type": "momentum"'
    expect(expectThrowsKind(() => parseJsonConfig(cut, label), 'invalidInput').message).toMatch(/^strategy\.json: line 3, column 21: malformed JSON/)
    const cutAfterNewline = '{\n  "name": "x",\n'
    expect(expectThrowsKind(() => parseJsonConfig(cutAfterNewline, label), 'invalidInput').message).toMatch(/^strategy\.json: line 3, column 1: malformed JSON/)
    expect(expectThrowsKind(() => parseJsonConfig('', label), 'invalidInput').message).toBe('strategy.json: line 1, column 1: malformed JSON (the file ends too early).')
  })

  it('wants an object', () => {
    for (const text of ['[1, 2]', '"momentum"', 'null', '42'])
      expectThrowsKind(() => parseJsonConfig(text, label), 'invalidInput', exactly('strategy.json: expected a JSON object with name, type and parameters.'))
    expect(parseJsonConfig(JSON.stringify(manualConfig(), null, 2), label)).toEqual(manualConfig())
  })

  it('readJsonConfig: a missing file, a directory, a huge file; a good file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ordermon-strategy-json-'))
    try {
      const missing = join(dir, 'nope.json')
      expectThrowsKind(() => readJsonConfig(missing), 'invalidInput', exactly(`Cannot read ${missing}: no such file.`))
      const sub = join(dir, 'sub')
      mkdirSync(sub)
      expectThrowsKind(() => readJsonConfig(sub), 'invalidInput', exactly(`${sub} is not a file.`))
      const big = join(dir, 'big.json')
      // 10 (`{"name": "`) + 1,048,600 + 2 (`"}`) = 1,048,612 bytes, over 1 MiB (1,048,576)
      writeFileSync(big, `{"name": "${'x'.repeat(1_048_600)}"}`)
      expectThrowsKind(() => readJsonConfig(big), 'invalidInput', /is 1048612 bytes; a strategy configuration is at most 1 MiB\.$/)
      const good = join(dir, 'strategy_config.json')
      writeFileSync(good, JSON.stringify({strategy_id: 'STR001', ...manualConfig()}, null, 2))
      expect(readJsonConfig(good)).toEqual({strategy_id: 'STR001', ...manualConfig()})
      const bad = join(dir, 'bad.json')
      writeFileSync(bad, '{\n  "name": "x"\n  "type": "grid"\n}')
      expectThrowsKind(() => readJsonConfig(bad), 'invalidInput', exactly(`${bad}: line 3, column 3: malformed JSON (Expected ',' or '}' after property value).`))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
