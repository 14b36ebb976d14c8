import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Knex} from 'knex'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'
import type {EngineHandle} from '../../src/engine/handle.js'
import {UserLogs} from '../../src/engine/logging/user-logs.js'
import {MonitorState} from '../../src/engine/runtime/monitor-state.js'
import {StateSync} from '../../src/engine/runtime/state-sync.js'
import {StrategyLoader} from '../../src/engine/runtime/strategy-loader.js'
import type {StoredEvent} from '../../src/engine/store/index.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {ScriptedMarket, bookOf, cli, engineActor, momentum, newUser, restingOrder, runningStrategy, sortedIds, userLogLines} from '../helpers/engine-parts.js'
import {useEngine} from '../helpers/suite.js'

/**
 * StateSync on its own, on both backends: load() builds the monitors from the database (active
 * users, their running strategies with positions from fills, their open orders); poll() applies every
 * change — made through the services or by raw SQL — from the events outbox, delivering each event
 * once, in id order, and reading a batch again when it could not be handled.
 */

/** A custom strategy module (relative to the strategies dir): follows the symbols it is given, never trades. */
const PROBE = "export default (config) => ({symbols: config.parameters.symbols ?? ['PRB'], onTick: () => []})\n"

describe.each(backendKinds)('StateSync on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)
  let h: EngineHandle
  let knex: Knex
  let strategiesDir: string
  let logDir: string
  const openLogs: UserLogs[] = []

  beforeAll(() => {
    if (ctx.error) return
    h = ctx.engine
    knex = h.db.knex
    strategiesDir = join(ctx.backend.dir, 'strategies')
    logDir = join(ctx.backend.dir, 'logs')
    mkdirSync(strategiesDir, {recursive: true})
    writeFileSync(join(strategiesDir, 'probe.mjs'), PROBE)
    writeFileSync(join(strategiesDir, 'not-a-factory.mjs'), 'export default 42\n')
  })
  afterEach(async () => {
    for (const l of openLogs.splice(0)) await l.close()
  })

  /** A StateSync over a fresh MonitorState, recording what it follows and delivers. */
  function parts(options: {deliver?: (e: StoredEvent) => void; batchSize?: number} = {}) {
    const state = new MonitorState()
    const market = new ScriptedMarket()
    const userLogs = new UserLogs(logDir, 'info', 10)
    openLogs.push(userLogs)
    const loader = new StrategyLoader({strategiesDir: () => strategiesDir, market, strategies: h.strategies, userLogs, actor: engineActor})
    const attempts: StoredEvent[] = []
    const delivered: StoredEvent[] = []
    const followed: string[][] = []
    const sync = new StateSync({
      store: h.store,
      state,
      loader,
      userLogs,
      follow: (symbols) => {
        followed.push(symbols)
        market.follow(symbols)
      },
      deliver: (e) => {
        attempts.push(e)
        options.deliver?.(e)
        delivered.push(e)
      },
      batchSize: options.batchSize,
    })
    return {state, market, userLogs, sync, attempts, delivered, followed}
  }

  const eventIdsAfter = async (id: number) => (await knex('events').where('id', '>', id).orderBy('id').select('id')).map((r) => Number(r.id))
  const runnerIds = (state: MonitorState) => [...state.monitors.values()].flatMap((m) => [...m.runners.keys()]).sort()

  it('load() monitors exactly the active users, their running strategies (positions from fills) and their open orders', async () => {
    const a = await newUser(h, 'loada')
    const b = await newUser(h, 'loadb')
    const c = await newUser(h, 'loadc', 'locked')
    const sA = await runningStrategy(h, a.user_id, momentum())
    const sStopped = await h.strategies.create({user_id: a.user_id, name: 'never started', config: momentum()}, cli)
    const sCustom = await runningStrategy(h, a.user_id, {type: 'custom', module_path: 'probe.mjs', parameters: {symbols: ['PRB']}})
    const sB = await runningStrategy(h, b.user_id, momentum({symbols: ['ZZB']}))
    // sA's fills: bought 10 @ 100 and 10 @ 110, sold 5 @ 120 -> 15 held at an average buy cost of 105.
    for (const [side, qty, price] of [['buy', 10, 100], ['buy', 10, 110], ['sell', 5, 120]] as const) {
      const o = await restingOrder(h, a.user_id, {strategy_id: sA.strategy_id, side, quantity: qty, price})
      await h.orders.fill(o.order_id, {quantity: qty, price}, engineActor)
    }
    const oPending = await restingOrder(h, a.user_id)
    const oPartial = await restingOrder(h, a.user_id, {quantity: 10})
    await h.orders.fill(oPartial.order_id, {quantity: 4, price: 1}, engineActor)
    const oCancelled = await restingOrder(h, a.user_id)
    await h.orders.cancel(oCancelled.order_id, cli)
    const oB = await restingOrder(h, b.user_id, {symbol: 'ZZB'})
    await h.users.setStatus({user_id: b.user_id}, 'suspended', cli)

    const p = parts()
    await p.sync.load()
    const {state} = p

    // Exactly the database's active users, running strategies of active users, open orders of active users.
    const activeIds = sortedIds(await knex('users').where({status: 'active'}).select('user_id'), 'user_id')
    expect([...state.monitors.keys()].sort()).toEqual(activeIds)
    expect(activeIds).toContain(a.user_id)
    expect(activeIds).not.toContain(b.user_id)
    expect(activeIds).not.toContain(c.user_id)
    const running = sortedIds(await knex('strategies').where({status: 'running'}).whereIn('user_id', activeIds).select('strategy_id'), 'strategy_id')
    expect(runnerIds(state)).toEqual(running)
    expect([...state.monitors.get(a.user_id)!.runners.keys()].sort()).toEqual([sA.strategy_id, sCustom.strategy_id].sort())
    expect(state.runner(sStopped.strategy_id)).toBeUndefined()
    expect(state.runner(sB.strategy_id)).toBeUndefined()
    const open = sortedIds(await knex('orders').whereIn('status', ['pending', 'partially_filled']).whereIn('user_id', activeIds).select('order_id'), 'order_id')
    expect([...state.openOrders.keys()].sort()).toEqual(open)
    const mine = [...state.openOrders.values()].filter((o) => o.user_id === a.user_id).map((o) => o.order_id).sort()
    expect(mine).toEqual([oPending.order_id, oPartial.order_id].sort())
    expect(state.openOrders.get(oPartial.order_id)).toMatchObject({status: 'partially_filled', filled_quantity: 4, remaining_quantity: 6})
    expect(state.openOrders.has(oCancelled.order_id)).toBe(false)
    expect(state.openOrders.has(oB.order_id)).toBe(false)
    expect(state.counts()).toEqual({users: activeIds.length, strategies: running.length, open_orders: open.length})

    // Runners are built with their logic and positions from fills.
    const rA = state.runner(sA.strategy_id)!
    expect(rA.config).toMatchObject({strategy_id: sA.strategy_id, user_id: a.user_id, status: 'running', version: sA.version})
    expect(rA.symbols).toEqual(['AAPL'])
    expect(bookOf(rA, 'AAPL')).toEqual({quantity: 15, avgCost: 105})
    expect(state.runner(sCustom.strategy_id)!.symbols).toEqual(['PRB'])
    // The market follows what is monitored, and nothing of the suspended user.
    expect(p.market.followed.has('AAPL')).toBe(true)
    expect(p.market.followed.has('PRB')).toBe(true)
    expect(p.market.followed.has('ZZB')).toBe(false)
    expect(p.sync.lastScanAt).toBeInstanceOf(Date)
    // Following starts at the newest event: nothing from before load() is delivered.
    expect(p.sync.position).toBe(await h.store.events.maxId())
    await p.sync.poll()
    expect(p.delivered).toEqual([])
  })

  it('a user suspended (service or raw SQL) is dropped with its runners and orders; reactivated, it comes back with them', async () => {
    const u = await newUser(h, 'susp')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['SUSP']}))
    const o = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'SUSP'})
    const p = parts()
    await p.sync.load()
    const {state} = p
    const present = () => ({user: state.monitors.has(u.user_id), runner: state.runner(s.strategy_id) !== undefined, order: state.openOrders.has(o.order_id), bySymbol: state.ordersFor('SUSP').length, runners: [...state.runnersFor('SUSP')].length})
    expect(present()).toEqual({user: true, runner: true, order: true, bySymbol: 1, runners: 1})
    expect(state.runner(s.strategy_id)!.working.has('SUSP')).toBe(true)

    await h.users.setStatus({user_id: u.user_id}, 'suspended', cli)
    await p.sync.poll()
    expect(present()).toEqual({user: false, runner: false, order: false, bySymbol: 0, runners: 0})

    await h.users.setStatus({user_id: u.user_id}, 'active', cli)
    await p.sync.poll()
    expect(present()).toEqual({user: true, runner: true, order: true, bySymbol: 1, runners: 1})
    expect(state.runner(s.strategy_id)!.working.has('SUSP')).toBe(true)

    // The same by raw SQL from outside: the change detector turns it into the event state sync follows.
    const before = p.sync.position
    await knex.raw("UPDATE users SET status='suspended' WHERE user_id=?", [u.user_id])
    await p.sync.poll()
    expect(present()).toEqual({user: false, runner: false, order: false, bySymbol: 0, runners: 0})
    const sqlEvents = p.delivered.filter((e) => e.id > before)
    expect(sqlEvents.map((e) => [e.type, e.entity_id, e.source, e.payload.to])).toEqual([['user.status_changed', u.user_id, 'sql', 'suspended']])

    await knex.raw("UPDATE users SET status='active' WHERE user_id=?", [u.user_id])
    await p.sync.poll()
    expect(present()).toEqual({user: true, runner: true, order: true, bySymbol: 1, runners: 1})
    // Locked is not active either.
    await knex.raw("UPDATE users SET status='locked' WHERE user_id=?", [u.user_id])
    await p.sync.poll()
    expect(present().user).toBe(false)
  })

  it('a strategy stopped, started or updated (new version -> new runner) is followed; unrelated events leave runners alone', async () => {
    const u = await newUser(h, 'strat')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['STRT']}))
    const p = parts()
    await p.sync.load()
    const {state} = p
    const r1 = state.runner(s.strategy_id)!
    expect(r1).toBeDefined()

    // An event about the user that changes nothing about the strategy keeps the very same runner.
    await h.users.update({user_id: u.user_id}, {name: 'Renamed'}, cli)
    await p.sync.poll()
    expect(state.runner(s.strategy_id)).toBe(r1)
    expect(state.monitors.get(u.user_id)!.user.name).toBe('Renamed')

    await h.strategies.stop(s.strategy_id, cli)
    await p.sync.poll()
    expect(state.runner(s.strategy_id)).toBeUndefined()
    expect(state.monitors.get(u.user_id)!.runners.size).toBe(0)
    expect([...state.runnersFor('STRT')]).toEqual([])

    await h.strategies.start(s.strategy_id, cli)
    await p.sync.poll()
    const r2 = state.runner(s.strategy_id)!
    expect(r2).toBeDefined()
    expect(r2).not.toBe(r1)
    expect([...state.runnersFor('STRT')]).toEqual([r2])

    const {strategy: updated} = await h.strategies.update(s.strategy_id, {parameters: {symbols: ['STRU'], threshold: 0.05, lookback_period: 3}}, cli)
    expect(updated.version).toBe(r2.config.version + 1)
    await p.sync.poll()
    const r3 = state.runner(s.strategy_id)!
    expect(r3).not.toBe(r2)
    expect(r3.config.version).toBe(updated.version)
    expect(r3.config.parameters).toMatchObject({symbols: ['STRU'], threshold: 0.05, lookback_period: 3})
    expect(r3.symbols).toEqual(['STRU'])
    // Indexed under its new symbol only; the market follows it.
    expect([...state.runnersFor('STRT')]).toEqual([])
    expect([...state.runnersFor('STRU')]).toEqual([r3])
    expect(p.market.followed.has('STRU')).toBe(true)

    // Raw SQL: paused is not running.
    await knex.raw("UPDATE strategies SET status='paused' WHERE strategy_id=?", [s.strategy_id])
    await p.sync.poll()
    expect(state.runner(s.strategy_id)).toBeUndefined()
    await knex.raw("UPDATE strategies SET status='running' WHERE strategy_id=?", [s.strategy_id])
    await p.sync.poll()
    expect(state.runner(s.strategy_id)?.config.status).toBe('running')
  })

  it('an order cancelled (service or raw SQL) leaves the book; a new order is tracked and its symbol followed; a modify is seen', async () => {
    const u = await newUser(h, 'ord')
    const p = parts()
    await p.sync.load()
    const {state} = p
    const o1 = await restingOrder(h, u.user_id, {symbol: 'ORDA'})
    await p.sync.poll()
    expect(state.openOrders.get(o1.order_id)).toMatchObject({status: 'pending', quantity: 10})
    expect(state.ordersFor('ORDA').map((o) => o.order_id)).toEqual([o1.order_id])
    expect(p.followed).toContainEqual(['ORDA'])

    await h.orders.modify(o1.order_id, {quantity: 25}, cli)
    await p.sync.poll()
    expect(state.openOrders.get(o1.order_id)).toMatchObject({quantity: 25, version: 2})

    await h.orders.cancel(o1.order_id, cli)
    await p.sync.poll()
    expect(state.openOrders.has(o1.order_id)).toBe(false)
    expect(state.ordersFor('ORDA')).toEqual([])

    const o2 = await restingOrder(h, u.user_id, {symbol: 'ORDA'})
    await p.sync.poll()
    expect(state.ordersFor('ORDA').map((o) => o.order_id)).toEqual([o2.order_id])
    await knex.raw("UPDATE orders SET status='cancelled' WHERE order_id=?", [o2.order_id])
    await p.sync.poll()
    expect(state.ordersFor('ORDA')).toEqual([])
    expect(p.delivered.filter((e) => e.entity_id === o2.order_id).map((e) => [e.type, e.source])).toEqual([
      ['order.created', 'cli'],
      ['order.cancelled', 'sql'],
    ])
  })

  it('a fill event books the runner’s position and realised P&L; the closed order frees its working slot', async () => {
    const u = await newUser(h, 'fill')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['FILL']}))
    const p = parts()
    await p.sync.load()
    const r = p.state.runner(s.strategy_id)!
    expect(bookOf(r, 'FILL')).toBeUndefined()

    const buy = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'FILL', quantity: 10, price: 100})
    await p.sync.poll()
    expect(r.working.has('FILL')).toBe(true)
    await h.orders.fill(buy.order_id, {quantity: 10, price: 100}, engineActor)
    await p.sync.poll()
    expect(bookOf(r, 'FILL')).toEqual({quantity: 10, avgCost: 100})
    expect(r.working.has('FILL')).toBe(false)
    expect(p.state.openOrders.has(buy.order_id)).toBe(false)

    const sell = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'FILL', side: 'sell', quantity: 6, price: 110})
    await h.orders.fill(sell.order_id, {quantity: 4, price: 110}, engineActor)
    await p.sync.poll()
    expect(bookOf(r, 'FILL')).toEqual({quantity: 6, avgCost: 100})
    expect(r.realizedToday).toBe(40)
    // Partially filled: still open, still the strategy's working order on FILL.
    expect(p.state.openOrders.get(sell.order_id)).toMatchObject({status: 'partially_filled', filled_quantity: 4})
    expect(r.working.has('FILL')).toBe(true)
    await h.orders.fill(sell.order_id, {quantity: 2, price: 120}, engineActor)
    await p.sync.poll()
    expect(bookOf(r, 'FILL')).toEqual({quantity: 4, avgCost: 100})
    expect(r.realizedToday).toBe(80)
    expect(r.working.has('FILL')).toBe(false)

    // A fill of an order without a strategy books nothing on the runner.
    const loose = await restingOrder(h, u.user_id, {symbol: 'FILL', quantity: 5, price: 100})
    await h.orders.fill(loose.order_id, {quantity: 5, price: 100}, engineActor)
    await p.sync.poll()
    expect(bookOf(r, 'FILL')).toEqual({quantity: 4, avgCost: 100})
  })

  it('delivers every event once, in id order, batch by batch, and the position advances to the newest', async () => {
    const p = parts({batchSize: 3})
    await p.sync.load()
    const start = p.sync.position
    const u = await newUser(h, 'order')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['DLV']}))
    const o = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'DLV'})
    await h.orders.fill(o.order_id, {quantity: 3, price: 1}, engineActor)
    await h.orders.cancel(o.order_id, cli)
    await restingOrder(h, u.user_id, {symbol: 'DLV'})
    await p.sync.poll()
    const expected = await eventIdsAfter(start)
    expect(expected.length).toBeGreaterThanOrEqual(7)
    expect(p.delivered.map((e) => e.id)).toEqual(expected)
    expect(p.sync.position).toBe(expected.at(-1))
    // What was delivered is the stored event, whole.
    const fill = p.delivered.find((e) => e.type === 'order.partially_filled')!
    expect(fill).toMatchObject({entity_type: 'order', entity_id: o.order_id, user_id: u.user_id, source: 'engine'})
    expect(fill.payload).toMatchObject({filled_delta: 3, fill_price: 1, strategy_id: s.strategy_id})
    // Nothing new: nothing delivered again.
    await p.sync.poll()
    expect(p.delivered.map((e) => e.id)).toEqual(expected)
  })

  it('a failing deliver makes the batch be read again on the next poll: nothing is lost, the position only moves past handled batches', async () => {
    let failOn: number | undefined
    const p = parts({
      batchSize: 2,
      deliver: (e) => {
        if (e.id === failOn) {
          failOn = undefined
          throw new Error('deliver failed')
        }
      },
    })
    await p.sync.load()
    const start = p.sync.position
    const u = await newUser(h, 'rewind')
    const orders = []
    for (let i = 0; i < 4; i++) orders.push(await restingOrder(h, u.user_id, {symbol: 'RWD'}))
    const ids = await eventIdsAfter(start)
    expect(ids).toHaveLength(5) // user.created + 4 x order.created
    failOn = ids[3]

    await expect(p.sync.poll()).rejects.toThrow('deliver failed')
    // The first batch was handled and committed; the second was not.
    expect(p.sync.position).toBe(ids[1])
    expect(p.attempts.map((e) => e.id)).toEqual(ids.slice(0, 4))
    expect(p.delivered.map((e) => e.id)).toEqual(ids.slice(0, 3))

    await p.sync.poll()
    // The failed batch is read again, but its first event, delivered before the failure, is not
    // delivered twice: every event once, in id order.
    expect(p.attempts.map((e) => e.id)).toEqual([...ids.slice(0, 4), ids[3], ids[4]])
    expect(p.delivered.map((e) => e.id)).toEqual(ids)
    expect(p.sync.position).toBe(ids[4])
    expect(p.state.ordersFor('RWD').map((o) => o.order_id).sort()).toEqual(orders.map((o) => o.order_id).sort())
  })

  it('a strategy whose custom module cannot be loaded is stopped with the reason and not monitored (at load and at poll)', async () => {
    const u = await newUser(h, 'custom')
    const missing = await runningStrategy(h, u.user_id, {type: 'custom', module_path: 'no-such-module.mjs', parameters: {}})
    const p = parts()
    await p.sync.load()
    expect(p.state.runner(missing.strategy_id)).toBeUndefined()
    const stopped = await h.strategies.get(missing.strategy_id)
    expect(stopped.status).toBe('stopped')
    expect(stopped.status_reason).toMatch(/^failed to load: .*no-such-module\.mjs/)
    expect(stopped.status_reason!.length).toBeLessThanOrEqual(250)

    // Started after load: found at the next poll, stopped the same way.
    const bad = await runningStrategy(h, u.user_id, {type: 'custom', module_path: 'not-a-factory.mjs', parameters: {}})
    await p.sync.poll()
    expect(p.state.runner(bad.strategy_id)).toBeUndefined()
    expect(await h.strategies.get(bad.strategy_id)).toMatchObject({status: 'stopped', status_reason: expect.stringMatching(/failed to load: .*must default-export a function/)})
    // Its stop event comes round at the next poll and keeps it out; a loadable one runs.
    const good = await runningStrategy(h, u.user_id, {type: 'custom', module_path: 'probe.mjs', parameters: {symbols: ['CSTM']}})
    await p.sync.poll()
    expect(p.state.runner(bad.strategy_id)).toBeUndefined()
    expect(p.delivered.filter((e) => e.entity_id === bad.strategy_id).map((e) => [e.type, e.source, e.payload.to])).toEqual([
      ['strategy.created', 'cli', undefined],
      ['strategy.started', 'cli', 'running'],
      ['strategy.stopped', 'engine', 'stopped'],
    ])
    expect(p.state.runner(good.strategy_id)!.symbols).toEqual(['CSTM'])
    expect([...p.state.monitors.get(u.user_id)!.runners.keys()]).toEqual([good.strategy_id])
    // Each failure is in the user's log.
    const lines = await userLogLines(p.userLogs, logDir, u.user_id)
    const failures = lines.filter((l) => l.level === 'error' && /failed to load/.test(l.message)).map((l) => l.message)
    expect(failures).toHaveLength(2)
    expect(failures[0]).toContain(missing.strategy_id)
    expect(failures[1]).toContain(bad.strategy_id)
  })

  // Found while writing these tests (fixed since): runners built after load(), rewinds, a report during a beat.

  it('a runner rebuilt after an update keeps its position from fills and its working order', async () => {
    const u = await newUser(h, 'rebuild')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['RBLD']}))
    const buy = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'RBLD', quantity: 10, price: 100})
    await h.orders.fill(buy.order_id, {quantity: 10, price: 100}, engineActor)
    await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'RBLD'})
    const p = parts()
    await p.sync.load()
    expect(bookOf(p.state.runner(s.strategy_id), 'RBLD')).toEqual({quantity: 10, avgCost: 100})
    expect(p.state.runner(s.strategy_id)!.working.has('RBLD')).toBe(true)
    await h.strategies.update(s.strategy_id, {parameters: {symbols: ['RBLD'], threshold: 0.03}}, cli)
    await p.sync.poll()
    const r = p.state.runner(s.strategy_id)!
    expect(r.config.parameters.threshold).toBe(0.03)
    // Same database, same answer as after a restart (load()):
    expect.soft(bookOf(r, 'RBLD'), 'position after the rebuild').toEqual({quantity: 10, avgCost: 100})
    expect.soft(r.working.has('RBLD'), 'working order after the rebuild').toBe(true)
  })

  it('a reactivated user’s runners, and a restarted strategy, get their positions from fills, as at load()', async () => {
    const u = await newUser(h, 'react')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['RACT']}))
    const buy = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'RACT', quantity: 10, price: 100})
    await h.orders.fill(buy.order_id, {quantity: 10, price: 100}, engineActor)
    const p = parts()
    await p.sync.load()
    expect(bookOf(p.state.runner(s.strategy_id), 'RACT')).toEqual({quantity: 10, avgCost: 100})
    await h.users.setStatus({user_id: u.user_id}, 'suspended', cli)
    await p.sync.poll()
    await h.users.setStatus({user_id: u.user_id}, 'active', cli)
    await p.sync.poll()
    expect.soft(bookOf(p.state.runner(s.strategy_id), 'RACT'), 'position after reactivation').toEqual({quantity: 10, avgCost: 100})
    await h.strategies.stop(s.strategy_id, cli)
    await p.sync.poll()
    await h.strategies.start(s.strategy_id, cli)
    await p.sync.poll()
    expect.soft(bookOf(p.state.runner(s.strategy_id), 'RACT'), 'position after stop + start').toEqual({quantity: 10, avgCost: 100})
  })

  it('a fill in a batch read again after a failing deliver is booked once', async () => {
    const u = await newUser(h, 'twice')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['TWCE']}))
    const buy = await restingOrder(h, u.user_id, {strategy_id: s.strategy_id, symbol: 'TWCE', quantity: 10, price: 100})
    let failNext = false
    const p = parts({
      deliver: (e) => {
        if (failNext && e.type === 'order.created') {
          failNext = false
          throw new Error('deliver failed')
        }
      },
    })
    await p.sync.load()
    // One batch: the fill, then an event whose delivery fails.
    await h.orders.fill(buy.order_id, {quantity: 10, price: 100}, engineActor)
    await restingOrder(h, u.user_id, {symbol: 'TWCE'})
    failNext = true
    await expect(p.sync.poll()).rejects.toThrow('deliver failed')
    await p.sync.poll()
    expect(bookOf(p.state.runner(s.strategy_id), 'TWCE')).toEqual({quantity: 10, avgCost: 100})
  })
})
