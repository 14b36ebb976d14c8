import {join} from 'node:path'
import type {Knex} from 'knex'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'
import type {EngineHandle} from '../../src/engine/handle.js'
import {UserLogs} from '../../src/engine/logging/user-logs.js'
import {MonitorState} from '../../src/engine/runtime/monitor-state.js'
import {StrategyRunner} from '../../src/engine/runtime/strategy-runner.js'
import {TradingPath} from '../../src/engine/runtime/trading-path.js'
import {PaperVenue} from '../../src/engine/runtime/venue/paper.js'
import type {Order, Strategy, User} from '../../src/engine/store/index.js'
import {loadStrategy} from '../../src/engine/strategies/registry.js'
import type {TradingStrategy} from '../../src/engine/strategies/types.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {ScriptedMarket, cli, engineActor, momentum, newUser, restingOrder, runningStrategy, userLogLines} from '../helpers/engine-parts.js'
import {useEngine} from '../helpers/suite.js'

/**
 * TradingPath on its own, on both backends: ticks the test chooses (a scripted MarketData) go to
 * real strategy runners; their intents become orders through the real OrderService; the real
 * PaperVenue works the book and its fills and cancels are committed by the TransitionBatcher.
 * Each test trades its own symbol, so tests sharing the database never see each other's orders.
 */

describe.each(backendKinds)('TradingPath on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)
  let h: EngineHandle
  let knex: Knex
  let logDir: string
  const openLogs: UserLogs[] = []

  beforeAll(() => {
    if (ctx.error) return
    h = ctx.engine
    knex = h.db.knex
    logDir = join(ctx.backend.dir, 'logs')
  })
  afterEach(async () => {
    for (const l of openLogs.splice(0)) await l.close()
  })

  /**
   * A TradingPath over a fresh MonitorState; `track` does what state sync's track does. Calls with
   * orders are recorded (a tick whose book had nothing to change calls it with none).
   */
  function tradingPath(market: ScriptedMarket) {
    const state = new MonitorState()
    const userLogs = new UserLogs(logDir, 'info', 10)
    openLogs.push(userLogs)
    const tracked: Order[][] = []
    const failures: unknown[] = []
    const path = new TradingPath({
      store: h.store,
      state,
      market,
      venue: new PaperVenue({latencyMs: 0}),
      orders: h.orders,
      userLogs,
      actor: engineActor,
      track: (orders) => {
        if (orders.length) tracked.push(orders)
        for (const o of orders) state.track(o)
      },
      onFailure: (error) => failures.push(error),
    })
    return {path, state, userLogs, tracked, failures}
  }

  /** Monitors `user` with a runner for `strategy` (what state sync's load() does). */
  async function monitor(state: MonitorState, user: User, strategy: Strategy, logic?: TradingStrategy): Promise<StrategyRunner> {
    state.addUser(user)
    const runner = new StrategyRunner(strategy, logic ?? (await loadStrategy(strategy, process.cwd())))
    state.addRunner(user.user_id, runner)
    return runner
  }

  const ordersOf = (strategyId: string) => knex('orders').where({strategy_id: strategyId}).orderBy('id')
  const logsOf = async (orderId: string) =>
    (await h.orders.history(orderId)).map((l) => [l.from_status, l.to_status, l.filled_delta, l.source, l.actor])
  const eventsOf = async (orderId: string) => (await h.store.events.forEntity('order', orderId)).map((e) => [e.type, e.source])
  /** Momentum with lookback 2 and threshold 1%: two flat ticks, then +5%, and it wants to buy. */
  const signal = (market: ScriptedMarket, symbol: string, volume = 0) => market.push([symbol, 100, 0]).push([symbol, 100, 0]).push([symbol, 105, volume])

  it('a momentum intent becomes an order through OrderService; one working order per symbol; the venue’s fills are committed and tracked', async () => {
    const u = await newUser(h, 'tpa')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['TPA']}))
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    const runner = await monitor(t.state, u, s)
    signal(market, 'TPA')
    for (let i = 0; i < 3; i++) await t.path.tick()

    const [row] = await ordersOf(s.strategy_id)
    expect(row).toMatchObject({user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'TPA', side: 'buy', order_type: 'market', time_in_force: 'GTC', status: 'pending'})
    expect(Number(row.quantity)).toBe(10)
    const orderId = row.order_id as string
    expect(await logsOf(orderId)).toEqual([[null, 'pending', 0, 'engine', 'engine']])
    expect(await eventsOf(orderId)).toEqual([['order.created', 'engine']])
    expect((await h.store.events.forEntity('order', orderId))[0]!.payload).toMatchObject({strategy_id: s.strategy_id, quantity: 10, side: 'buy'})
    // Orders the engine places are no operator action: no audit row.
    expect(await knex('audit_log').where({target: orderId}).count({n: '*'}).first()).toMatchObject({n: 0})
    // Tracked at once (before its event comes round), and holding the strategy's slot on TPA.
    expect(t.tracked.map((batch) => batch.map((o) => [o.order_id, o.status]))).toEqual([[[orderId, 'pending']]])
    expect(t.state.ordersFor('TPA').map((o) => o.order_id)).toEqual([orderId])
    expect(runner.working.has('TPA')).toBe(true)
    expect(t.path.transitions).toBe(0)

    // Still rising: the strategy wants to buy again, but its order on TPA is working.
    market.push(['TPA', 106, 0])
    await t.path.tick()
    expect(await ordersOf(s.strategy_id)).toHaveLength(1)

    // Volume arrives: 4 fill now, the remaining 6 at the next tick.
    market.push(['TPA', 107, 4]).push(['TPA', 108, 100])
    await t.path.tick()
    expect(t.path.transitions).toBe(1)
    expect(t.state.openOrders.get(orderId)).toMatchObject({status: 'partially_filled', filled_quantity: 4})
    expect(runner.working.has('TPA')).toBe(true)
    await t.path.tick()
    expect(t.path.transitions).toBe(2)
    expect(await ordersOf(s.strategy_id)).toHaveLength(1)
    const filled = await h.orders.get(orderId)
    expect(filled).toMatchObject({status: 'filled', filled_quantity: 10, remaining_quantity: 0, avg_fill_price: 107.6, version: 3})
    expect((await h.store.orders.fills({order_id: orderId})).map((f) => [f.quantity, f.price])).toEqual([[4, 107], [6, 108]])
    expect(await logsOf(orderId)).toEqual([
      [null, 'pending', 0, 'engine', 'engine'],
      ['pending', 'partially_filled', 4, 'engine', 'engine'],
      ['partially_filled', 'filled', 6, 'engine', 'engine'],
    ])
    expect(await eventsOf(orderId)).toEqual([['order.created', 'engine'], ['order.partially_filled', 'engine'], ['order.filled', 'engine']])
    // track got each changed order; the filled one left the book and freed the slot.
    expect(t.tracked.map((batch) => batch.map((o) => o.status))).toEqual([['pending'], ['partially_filled'], ['filled']])
    expect(t.state.openOrders.has(orderId)).toBe(false)
    expect(runner.working.has('TPA')).toBe(false)
    expect(t.failures).toEqual([])
  })

  it('a grid intent becomes a limit order at its level, filled at the limit when the venue has volume', async () => {
    const u = await newUser(h, 'tpb')
    const s = await runningStrategy(h, u.user_id, {type: 'grid', parameters: {symbol: 'TPB', lower_price: 90, upper_price: 110, levels: 5, quantity_per_level: 5}})
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    await monitor(t.state, u, s)
    // Levels 90 95 100 105 110: 102 -> 97 crosses 100 downwards: buy 5 at 100.
    market.push(['TPB', 102, 0]).push(['TPB', 97, 0])
    await t.path.tick()
    expect(await ordersOf(s.strategy_id)).toHaveLength(0)
    await t.path.tick()
    const rows = await ordersOf(s.strategy_id)
    expect(rows.map((r) => [r.side, r.order_type, Number(r.price), Number(r.quantity), r.status])).toEqual([['buy', 'limit', 100, 5, 'pending']])
    market.push(['TPB', 99, 1000])
    await t.path.tick()
    expect(await h.orders.get(rows[0].order_id)).toMatchObject({status: 'filled', filled_quantity: 5, avg_fill_price: 100})
    expect(t.path.transitions).toBe(1)
  })

  it('risk-blocked intents are logged for the user and not placed', async () => {
    const u = await newUser(h, 'tpc')
    const tooBig = await runningStrategy(h, u.user_id, momentum({symbols: ['TPC'], max_position_size: 5}))
    const noLoss = await runningStrategy(h, u.user_id, momentum({symbols: ['TPC']}, {max_daily_loss: 0}))
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    const r1 = await monitor(t.state, u, tooBig)
    const r2 = await monitor(t.state, u, noLoss)
    signal(market, 'TPC', 1000)
    for (let i = 0; i < 3; i++) await t.path.tick()
    expect(await knex('orders').whereIn('strategy_id', [tooBig.strategy_id, noLoss.strategy_id]).count({n: '*'}).first()).toMatchObject({n: 0})
    expect(r1.working.size + r2.working.size).toBe(0)
    expect(t.tracked).toEqual([])
    const warnings = (await userLogLines(t.userLogs, logDir, u.user_id)).filter((l) => l.level === 'warn').map((l) => [l.message, l.strategy_id])
    expect(warnings).toEqual([
      ['risk: max_position_size 5 on TPC', tooBig.strategy_id],
      ['risk: max_daily_loss 0 reached', noLoss.strategy_id],
    ])
  })

  it('fills and cancels of one tick are committed in one batch; `transitions` counts them and track receives them', async () => {
    const u = await newUser(h, 'tpd')
    const s1 = await runningStrategy(h, u.user_id, momentum({symbols: ['TPD']}))
    const s2 = await runningStrategy(h, u.user_id, momentum({symbols: ['TPD'], order_quantity: 20}))
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    await monitor(t.state, u, s1)
    await monitor(t.state, u, s2)
    signal(market, 'TPD')
    for (let i = 0; i < 3; i++) await t.path.tick()
    const [o1] = await ordersOf(s1.strategy_id)
    const [o2] = await ordersOf(s2.strategy_id)
    expect([o1?.status, o2?.status]).toEqual(['pending', 'pending'])
    // An IOC order from the CLI that cannot execute at once (buy at 1), tracked as state sync would.
    const ioc = await restingOrder(h, u.user_id, {symbol: 'TPD', time_in_force: 'IOC'})
    t.state.track(ioc)
    const before = {...t.path.batcher.stats}
    const trackedBefore = t.tracked.length
    market.push(['TPD', 106, 1000])
    await t.path.tick()
    expect(t.path.batcher.stats).toEqual({batches: before.batches + 1, transitions: before.transitions + 3, refused: before.refused})
    expect(t.path.transitions).toBe(3)
    expect(t.tracked.slice(trackedBefore).map((batch) => batch.map((o) => [o.order_id, o.status]).sort())).toEqual(
      [[[o1.order_id, 'filled'], [o2.order_id, 'filled'], [ioc.order_id, 'cancelled']].sort()],
    )
    expect(await h.orders.get(o1.order_id)).toMatchObject({status: 'filled', filled_quantity: 10, avg_fill_price: 106})
    expect(await h.orders.get(o2.order_id)).toMatchObject({status: 'filled', filled_quantity: 20, avg_fill_price: 106})
    expect(await h.orders.get(ioc.order_id)).toMatchObject({status: 'cancelled', status_reason: 'IOC: not executable at once'})
    expect(await h.store.orders.fills({order_id: o2.order_id})).toHaveLength(1)
    expect(await eventsOf(ioc.order_id)).toEqual([['order.created', 'cli'], ['order.cancelled', 'engine']])
    expect(t.state.ordersFor('TPD')).toEqual([])
  })

  it('a refused order frees the working slot: the next tick tries again', async () => {
    const u = await newUser(h, 'tpe')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['TPE']}))
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    const runner = await monitor(t.state, u, s)
    // Suspended in the database, not yet seen by state sync: OrderService refuses.
    await h.users.setStatus({user_id: u.user_id}, 'suspended', cli)
    signal(market, 'TPE')
    for (let i = 0; i < 3; i++) await t.path.tick()
    expect(await ordersOf(s.strategy_id)).toHaveLength(0)
    expect(runner.working.has('TPE')).toBe(false)
    const refusals = (await userLogLines(t.userLogs, logDir, u.user_id)).filter((l) => l.message.startsWith('order refused'))
    expect(refusals).toHaveLength(1)
    expect(refusals[0]).toMatchObject({level: 'warn', strategy_id: s.strategy_id})
    expect(refusals[0]!.message).toMatch(/is suspended/)

    await h.users.setStatus({user_id: u.user_id}, 'active', cli)
    market.push(['TPE', 106, 0])
    await t.path.tick()
    const rows = await ordersOf(s.strategy_id)
    expect(rows.map((r) => r.status)).toEqual(['pending'])
    expect(runner.working.has('TPE')).toBe(true)
  })

  it('a failing batch is reported to onFailure and the next tick carries on', async () => {
    const u = await newUser(h, 'tpf')
    const s = await runningStrategy(h, u.user_id, momentum({symbols: ['TPF']}))
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    await monitor(t.state, u, s)
    signal(market, 'TPF')
    for (let i = 0; i < 3; i++) await t.path.tick()
    const [row] = await ordersOf(s.strategy_id)
    const trackedBefore = t.tracked.length
    // The batch's transaction fails (fills cannot be written).
    await knex.schema.renameTable('fills', 'fills_away')
    try {
      market.push(['TPF', 106, 1000])
      await t.path.tick()
    } finally {
      await knex.schema.renameTable('fills_away', 'fills')
    }
    expect(t.failures).toHaveLength(1)
    expect(String(t.failures[0])).toMatch(/fills/)
    expect(t.path.transitions).toBe(0)
    expect(t.tracked).toHaveLength(trackedBefore)
    expect(await h.orders.get(row.order_id)).toMatchObject({status: 'pending', filled_quantity: 0, version: 1})
    expect(t.state.ordersFor('TPF').map((o) => o.order_id)).toEqual([row.order_id])

    market.push(['TPF', 107, 1000])
    await t.path.tick()
    expect(t.failures).toHaveLength(1)
    expect(t.path.transitions).toBe(1)
    expect(await h.orders.get(row.order_id)).toMatchObject({status: 'filled', filled_quantity: 10, avg_fill_price: 107})
    expect(await ordersOf(s.strategy_id)).toHaveLength(1)
  })

  it('flush() commits the venue’s pending transitions at once', async () => {
    const u = await newUser(h, 'tpg')
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    t.state.addUser(u)
    const o = (await h.orders.create({user_id: u.user_id, symbol: 'TPG', side: 'buy', order_type: 'market', quantity: 7}, cli)).order
    t.state.track(o)
    // Nothing pending: resolves at once, commits nothing.
    await t.path.flush()
    const batches = t.path.batcher.stats.batches
    market.push(['TPG', 50, 1000])
    const ticking = t.path.tick()
    for (let i = 0; i < 1000 && t.path.batcher.pending === 0; i++) await new Promise((r) => setImmediate(r))
    expect(t.path.batcher.pending).toBe(1)
    await t.path.flush()
    // Committed when flush() resolves, not by the batcher's timer later.
    expect(t.path.batcher.pending).toBe(0)
    expect(t.path.batcher.stats.batches).toBe(batches + 1)
    expect(await h.orders.get(o.order_id)).toMatchObject({status: 'filled', filled_quantity: 7, avg_fill_price: 50})
    await ticking
    expect(t.path.transitions).toBe(1)
    expect(t.path.drainLatencies()).toHaveLength(1)
    expect(t.path.drainLatencies()).toEqual([])
  })

  it('one working order per symbol and strategy holds even when a strategy asks twice in one tick', async () => {
    const u = await newUser(h, 'tph')
    const s = await h.strategies.create({user_id: u.user_id, name: 'twice', config: {type: 'custom', module_path: 'unused.mjs', parameters: {}}}, cli)
    const twice: TradingStrategy = {
      symbols: ['TPH'],
      onTick: (tick) => [
        {symbol: tick.symbol, side: 'buy', quantity: 1, order_type: 'market', reason: 'first'},
        {symbol: tick.symbol, side: 'buy', quantity: 1, order_type: 'market', reason: 'second'},
      ],
    }
    const market = new ScriptedMarket()
    const t = tradingPath(market)
    const runner = await monitor(t.state, u, s, twice)
    market.push(['TPH', 10, 0]).push(['TPH', 10, 0])
    await t.path.tick()
    await t.path.tick()
    expect(await ordersOf(s.strategy_id)).toHaveLength(1)
    expect(runner.working.has('TPH')).toBe(true)
  })
})
