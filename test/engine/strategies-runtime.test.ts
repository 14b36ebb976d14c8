import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {withinSchedule} from '../../src/engine/domain/strategies/schedule.js'
import {OrdermonError} from '../../src/engine/errors.js'
import {ReplayMarket} from '../../src/engine/runtime/market/replay.js'
import {SimMarket, seededRandom} from '../../src/engine/runtime/market/sim.js'
import type {Tick} from '../../src/engine/runtime/market/types.js'
import {StrategyRunner} from '../../src/engine/runtime/strategy-runner.js'
import {ExternalVenue, PaperVenue} from '../../src/engine/runtime/venue/paper.js'
import type {Order, Strategy} from '../../src/engine/store/index.js'
import {ArbitrageStrategy} from '../../src/engine/strategies/arbitrage.js'
import {GridStrategy} from '../../src/engine/strategies/grid.js'
import {MomentumStrategy} from '../../src/engine/strategies/momentum.js'
import {loadStrategy} from '../../src/engine/strategies/registry.js'
import type {OrderIntent, StrategyView, TradingStrategy} from '../../src/engine/strategies/types.js'

/**
 * The engine's pure parts, no database: market data sources, the paper venue's matching, the built-in
 * strategies' signals and the runner's risk and schedule gate.
 */

const NOW = Date.parse('2024-01-15T15:00:00.000Z')

function strategy(over: Partial<Strategy> = {}): Strategy {
  return {
    strategy_id: 'STR001',
    user_id: 'U1',
    name: 'm',
    type: 'momentum',
    status: 'running',
    parameters: {},
    risk_management: {},
    schedule: null,
    module_path: null,
    status_reason: null,
    version: 1,
    created_at: '',
    updated_at: '',
    started_at: null,
    stopped_at: null,
    ...over,
  } as Strategy
}

let orderSeq = 0
function order(over: Partial<Order> = {}): Order {
  const quantity = over.quantity ?? 100
  const filled = over.filled_quantity ?? 0
  orderSeq++
  return {
    order_id: `ORD${String(orderSeq).padStart(6, '0')}`,
    client_order_id: null,
    user_id: 'U1',
    strategy_id: null,
    symbol: 'AAPL',
    side: 'buy',
    order_type: 'limit',
    time_in_force: 'GTC',
    quantity,
    price: 100,
    stop_price: null,
    filled_quantity: filled,
    remaining_quantity: quantity - filled,
    avg_fill_price: null,
    status: filled > 0 ? 'partially_filled' : 'pending',
    status_reason: null,
    version: 1,
    created_at: new Date(NOW - 60_000).toISOString(),
    updated_at: new Date(NOW - 60_000).toISOString(),
    filled_at: null,
    ...over,
  } as Order
}

const tick = (price: number, volume = 10_000, symbol = 'AAPL'): Tick => ({symbol, price, volume, at: NOW})
const flat: StrategyView = {position: () => 0, avgCost: () => 0, now: new Date(NOW)}
const holding = (qty: number, cost: number): StrategyView => ({position: () => qty, avgCost: () => cost, now: new Date(NOW)})

/** Feeds prices to a strategy and returns the intents of each tick. */
function feed(s: TradingStrategy, prices: number[], view = flat, symbol = 'AAPL'): OrderIntent[][] {
  return prices.map((p) => s.onTick(tick(p, 10_000, symbol), view))
}

describe('SimMarket', () => {
  const run = (seed: number, symbols: string[], steps: number) => {
    const m = new SimMarket(seed)
    m.follow(symbols)
    const out: Tick[][] = []
    for (let i = 0; i < steps; i++) out.push(m.next(NOW + i * 1000))
    return out
  }

  it('gives the same price sequence for the same seed, and another one for another seed', () => {
    const a = run(7, ['AAPL', 'MSFT'], 200)
    const b = run(7, ['AAPL', 'MSFT'], 200)
    expect(b).toEqual(a)
    const c = run(8, ['AAPL', 'MSFT'], 200)
    const pricesA = a.flat().map((t) => t.price)
    const pricesC = c.flat().map((t) => t.price)
    expect(pricesC).not.toEqual(pricesA)
    // Not just the last digits: most steps differ.
    expect(pricesA.filter((p, i) => p !== pricesC[i]).length).toBeGreaterThan(pricesA.length / 2)
  })

  it('emits one tick per followed symbol per step, positive prices and volumes, a random walk around the start', () => {
    const steps = run(42, ['AAPL', 'MSFT', 'ZZZZ'], 300)
    for (const [i, ticks] of steps.entries()) {
      expect(ticks.map((t) => t.symbol)).toEqual(['AAPL', 'MSFT', 'ZZZZ'])
      for (const t of ticks) {
        expect(t.price).toBeGreaterThan(0)
        expect(Number.isInteger(t.volume) && t.volume > 0).toBe(true)
        expect(t.at).toBe(NOW + i * 1000)
        expect(Math.round(t.price * 100) / 100).toBe(t.price)
      }
    }
    const aapl = steps.map((s) => s[0]!.price)
    // It moves, and it stays in a plausible band around the 150.5 start (0.2% per step).
    expect(new Set(aapl).size).toBeGreaterThan(100)
    for (const p of aapl) expect(p).toBeGreaterThan(100)
    for (const p of aapl) expect(p).toBeLessThan(220)
  })

  it('keeps a symbol’s prices when other symbols are followed too, and `last` is the latest price', () => {
    const alone = run(42, ['AAPL'], 50).map((s) => s[0]!.price)
    const withOthers = run(42, ['MSFT', 'AAPL', 'TSLA'], 50).map((s) => s.find((t) => t.symbol === 'AAPL')!.price)
    expect(withOthers).toEqual(alone)
    const m = new SimMarket(42)
    expect(m.last('AAPL')).toBeUndefined()
    m.follow(['AAPL'])
    m.follow(['AAPL']) // following twice changes nothing
    const t = m.next(NOW)
    expect(t).toHaveLength(1)
    expect(m.last('AAPL')).toBe(t[0]!.price)
  })

  it('seededRandom is deterministic and uniform in [0, 1)', () => {
    const r1 = seededRandom(123)
    const r2 = seededRandom(123)
    const xs = Array.from({length: 1000}, () => r1())
    expect(Array.from({length: 1000}, () => r2())).toEqual(xs)
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean).toBeGreaterThan(0.45)
    expect(mean).toBeLessThan(0.55)
  })
})

describe('ReplayMarket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-replay-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  const write = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it('replays the CSV in file order, one row per symbol per step, then loops', () => {
    const path = write('ticks.csv', 'time,symbol,price,volume\n09:30:00,AAPL,150.10,300\n09:30:00,msft,320.00,200\n09:30:01,AAPL,150.20,100\n09:30:01,MSFT,320.50,\n09:30:02,AAPL,150.30,50\n')
    const m = new ReplayMarket(path)
    expect(m.last('AAPL')).toBeUndefined()
    const s1 = m.next(NOW)
    expect(s1).toEqual([
      {symbol: 'AAPL', price: 150.1, volume: 300, at: NOW},
      {symbol: 'MSFT', price: 320, volume: 200, at: NOW},
    ])
    const s2 = m.next(NOW + 1)
    // An empty volume falls back to the default.
    expect(s2).toEqual([
      {symbol: 'AAPL', price: 150.2, volume: 100, at: NOW + 1},
      {symbol: 'MSFT', price: 320.5, volume: 1000, at: NOW + 1},
    ])
    expect(m.next(NOW + 2)).toEqual([{symbol: 'AAPL', price: 150.3, volume: 50, at: NOW + 2}])
    expect(m.last('AAPL')).toBe(150.3)
    expect(m.last('MSFT')).toBe(320.5)
    // At the end it starts again.
    expect(m.next(NOW + 3).map((t) => t.price)).toEqual([150.1, 320])
  })

  it('stops at the end without loop, and accepts a "close" column instead of "price"', () => {
    const path = write('bars.csv', 'symbol,open,close\r\nTSLA,240,241.5\r\nTSLA,241.5,243\r\n')
    const m = new ReplayMarket(path, false)
    expect(m.next(NOW).map((t) => [t.symbol, t.price, t.volume])).toEqual([['TSLA', 241.5, 1000]])
    expect(m.next(NOW).map((t) => t.price)).toEqual([243])
    expect(m.next(NOW)).toEqual([])
    expect(m.next(NOW)).toEqual([])
  })

  it('refuses a CSV without symbol and price, and a row without a positive price, naming the line', () => {
    const noPrice = write('bad1.csv', 'symbol,volume\nAAPL,100\n')
    expect(() => new ReplayMarket(noPrice)).toThrow(OrdermonError)
    expect(() => new ReplayMarket(noPrice)).toThrow(/symbol.*price/)
    const badRow = write('bad2.csv', 'symbol,price\nAAPL,150\nAAPL,-1\n')
    expect(() => new ReplayMarket(badRow)).toThrow(/line 3/)
  })
})

describe('PaperVenue', () => {
  it('fills a market order whole at the tick price, with a fee', () => {
    const v = new PaperVenue({feeRate: 0.001})
    const o = order({order_type: 'market', price: null, quantity: 100})
    const d = v.onTick(tick(151.2, 5000), [o], NOW)
    expect(d.cancels).toEqual([])
    expect(d.fills).toEqual([{order_id: o.order_id, quantity: 100, price: 151.2, fee: 15.12}])
  })

  it('fills a limit buy only when the price is at or below the limit, at the limit', () => {
    const v = new PaperVenue()
    const o = order({side: 'buy', price: 100, quantity: 10})
    expect(v.onTick(tick(100.01), [o], NOW)).toEqual({fills: [], cancels: []})
    expect(v.onTick(tick(100), [o], NOW).fills).toMatchObject([{order_id: o.order_id, quantity: 10, price: 100}])
    expect(v.onTick(tick(98.5), [o], NOW).fills).toMatchObject([{order_id: o.order_id, quantity: 10, price: 100}])
  })

  it('fills a limit sell only when the price is at or above the limit, at the limit', () => {
    const v = new PaperVenue()
    const o = order({side: 'sell', price: 200, quantity: 10})
    expect(v.onTick(tick(199.99), [o], NOW).fills).toEqual([])
    expect(v.onTick(tick(203), [o], NOW).fills).toMatchObject([{quantity: 10, price: 200}])
  })

  it('limits fills by the tick volume, shared by the orders on the symbol, and fills the rest later', () => {
    const v = new PaperVenue()
    const a = order({side: 'buy', price: 100, quantity: 100})
    const b = order({side: 'buy', price: 100, quantity: 100})
    const other = order({side: 'buy', price: 100, quantity: 100, symbol: 'MSFT'})
    const d1 = v.onTick(tick(99, 150), [a, b, other], NOW)
    expect(d1.cancels).toEqual([])
    expect(d1.fills.map((f) => [f.order_id, f.quantity, f.price])).toEqual([
      [a.order_id, 100, 100],
      [b.order_id, 50, 100],
    ])
    // The next tick: b has 50 left; a tick of 30 fills 30 of them.
    const b2 = order({...b, filled_quantity: 50, remaining_quantity: 50, status: 'partially_filled'})
    expect(v.onTick(tick(99, 30), [b2], NOW).fills.map((f) => f.quantity)).toEqual([30])
    const b3 = order({...b, filled_quantity: 80, remaining_quantity: 20, status: 'partially_filled'})
    expect(v.onTick(tick(99, 1000), [b3], NOW).fills.map((f) => f.quantity)).toEqual([20])
    // A tick with no volume fills nothing.
    expect(v.onTick(tick(99, 0), [a], NOW).fills).toEqual([])
  })

  it('IOC: keeps what fills at once and cancels the rest; cancels when nothing is executable', () => {
    const v = new PaperVenue()
    const partial = order({order_type: 'market', price: null, quantity: 200, time_in_force: 'IOC'})
    const d = v.onTick(tick(150, 120), [partial], NOW)
    expect(d.fills.map((f) => [f.order_id, f.quantity])).toEqual([[partial.order_id, 120]])
    expect(d.cancels).toEqual([{order_id: partial.order_id, reason: expect.stringMatching(/IOC/)}])
    const away = order({side: 'buy', price: 100, quantity: 10, time_in_force: 'IOC'})
    const d2 = v.onTick(tick(101), [away], NOW)
    expect(d2.fills).toEqual([])
    expect(d2.cancels.map((c) => c.order_id)).toEqual([away.order_id])
    const whole = order({order_type: 'market', price: null, quantity: 50, time_in_force: 'IOC'})
    expect(v.onTick(tick(150, 120), [whole], NOW)).toMatchObject({fills: [{quantity: 50}], cancels: []})
  })

  it('FOK: fills whole, or cancels without any fill', () => {
    const v = new PaperVenue()
    const big = order({order_type: 'market', price: null, quantity: 200, time_in_force: 'FOK'})
    const d = v.onTick(tick(150, 120), [big], NOW)
    expect(d.fills).toEqual([])
    expect(d.cancels).toEqual([{order_id: big.order_id, reason: expect.stringMatching(/FOK/)}])
    const away = order({side: 'sell', price: 200, quantity: 10, time_in_force: 'FOK'})
    expect(v.onTick(tick(150, 1000), [away], NOW).cancels.map((c) => c.order_id)).toEqual([away.order_id])
    const fits = order({order_type: 'market', price: null, quantity: 100, time_in_force: 'FOK'})
    expect(v.onTick(tick(150, 120), [fits], NOW)).toMatchObject({fills: [{order_id: fits.order_id, quantity: 100, price: 150}], cancels: []})
  })

  it('respects the latency: an order younger than latencyMs is not filled yet', () => {
    const v = new PaperVenue({latencyMs: 500})
    const young = order({order_type: 'market', price: null, created_at: new Date(NOW - 499).toISOString()})
    const old = order({order_type: 'market', price: null, created_at: new Date(NOW - 500).toISOString()})
    const d = v.onTick(tick(150), [young, old], NOW)
    expect(d.fills.map((f) => f.order_id)).toEqual([old.order_id])
    expect(v.onTick(tick(150), [young], NOW + 1).fills.map((f) => f.order_id)).toEqual([young.order_id])
  })

  it('triggers a stop order when the price crosses the stop, then fills it at market', () => {
    const v = new PaperVenue()
    const stop = order({order_type: 'stop', side: 'sell', price: null, stop_price: 95, quantity: 10})
    expect(v.onTick(tick(96), [stop], NOW).fills).toEqual([])
    expect(v.onTick(tick(94.5), [stop], NOW).fills).toMatchObject([{order_id: stop.order_id, price: 94.5, quantity: 10}])
  })

  it('ignores orders on other symbols; the external venue never fills anything', () => {
    const v = new PaperVenue()
    expect(v.onTick(tick(1, 1000, 'MSFT'), [order({order_type: 'market', price: null})], NOW)).toEqual({fills: [], cancels: []})
    expect(new ExternalVenue().onTick()).toEqual({fills: [], cancels: []})
  })
})

describe('built-in strategies', () => {
  it('momentum buys once the return over lookback_period ticks is above threshold', () => {
    const m = new MomentumStrategy(strategy({parameters: {symbols: ['AAPL'], lookback_period: 3, threshold: 0.02, order_quantity: 10}}))
    expect(m.symbols).toEqual(['AAPL'])
    // Not enough history yet, even when rising steeply.
    const intents = feed(m, [100, 101, 102.5, 103])
    expect(intents.slice(0, 3)).toEqual([[], [], []])
    // 103 / 100 - 1 = 3% over 3 ticks > 2%: buy.
    expect(intents[3]).toEqual([{symbol: 'AAPL', side: 'buy', quantity: 10, order_type: 'market', reason: expect.stringMatching(/momentum \+3\.00%/)}])
  })

  it('momentum does nothing on a rise below threshold, does not add to a long, and sells on a fall', () => {
    const slow = new MomentumStrategy(strategy({parameters: {symbols: ['AAPL'], lookback_period: 3, threshold: 0.02, order_quantity: 10}}))
    expect(feed(slow, [100, 100.5, 101, 101.5, 101.9]).flat()).toEqual([])
    const long = new MomentumStrategy(strategy({parameters: {symbols: ['AAPL'], lookback_period: 3, threshold: 0.02, order_quantity: 10}}))
    expect(feed(long, [100, 101, 102, 104], holding(10, 100)).flat()).toEqual([])
    const down = new MomentumStrategy(strategy({parameters: {symbols: ['AAPL'], lookback_period: 3, threshold: 0.02, order_quantity: 10}}))
    expect(feed(down, [100, 99, 98, 97]).at(-1)).toEqual([{symbol: 'AAPL', side: 'sell', quantity: 10, order_type: 'market', reason: expect.stringMatching(/momentum -3\.00%/)}])
  })

  it('momentum exits a long on stop_loss and on take_profit', () => {
    const m = new MomentumStrategy(strategy({parameters: {symbols: ['AAPL'], lookback_period: 20, threshold: 0.02, stop_loss: 0.05, take_profit: 0.1}}))
    expect(m.onTick(tick(96), holding(30, 100))).toEqual([])
    expect(m.onTick(tick(94.9), holding(30, 100))).toEqual([{symbol: 'AAPL', side: 'sell', quantity: 30, order_type: 'market', reason: 'stop loss'}])
    expect(m.onTick(tick(110.5), holding(30, 100))).toEqual([{symbol: 'AAPL', side: 'sell', quantity: 30, order_type: 'market', reason: 'take profit'}])
  })

  it('grid buys when the price crosses a level downwards, at that level, and sells crossing up with a position', () => {
    // Levels 300, 310, 320, 330, 340.
    const g = new GridStrategy(strategy({type: 'grid', parameters: {symbol: 'MSFT', lower_price: 300, upper_price: 340, levels: 5, quantity_per_level: 7}}))
    expect(g.symbols).toEqual(['MSFT'])
    expect(g.onTick(tick(325, 1000, 'MSFT'), flat)).toEqual([]) // first price: no crossing yet
    expect(g.onTick(tick(322, 1000, 'MSFT'), flat)).toEqual([]) // same band
    expect(g.onTick(tick(315, 1000, 'MSFT'), flat)).toEqual([{symbol: 'MSFT', side: 'buy', quantity: 7, order_type: 'limit', price: 320, reason: expect.stringMatching(/320/)}])
    expect(g.onTick(tick(312, 1000, 'MSFT'), flat)).toEqual([])
    // Up again through 320: sells what it holds (not more than one level), nothing when flat.
    expect(g.onTick(tick(321, 1000, 'MSFT'), holding(3, 320))).toEqual([{symbol: 'MSFT', side: 'sell', quantity: 3, order_type: 'limit', price: 320, reason: expect.stringMatching(/320/)}])
    expect(g.onTick(tick(315, 1000, 'MSFT'), flat)).toHaveLength(1)
    expect(g.onTick(tick(321, 1000, 'MSFT'), flat)).toEqual([])
    // Outside the band: nothing.
    const out = new GridStrategy(strategy({type: 'grid', parameters: {symbol: 'MSFT', lower_price: 300, upper_price: 340, levels: 5}}))
    expect(feed(out, [305, 295, 290, 345, 350], flat, 'MSFT').flat()).toEqual([])
  })

  it('arbitrage sells the rich leg and buys the cheap one when the spread strays, on the second leg’s tick', () => {
    const a = new ArbitrageStrategy(strategy({type: 'arbitrage', parameters: {symbols: ['GOOGL', 'GOOG'], spread_threshold: 0.5, order_quantity: 100}}))
    expect(a.symbols).toEqual(['GOOGL', 'GOOG'])
    // 19 pairs with a steady spread of -1.
    for (let i = 0; i < 19; i++) {
      expect(a.onTick(tick(141 + i * 0.01, 1000, 'GOOGL'), flat)).toEqual([])
      expect(a.onTick(tick(142 + i * 0.01, 1000, 'GOOG'), flat)).toEqual([])
    }
    // The 20th: GOOGL jumps, the spread is +1 against a mean of -0.9.
    expect(a.onTick(tick(143.2, 1000, 'GOOGL'), flat)).toEqual([])
    const legs = a.onTick(tick(142.2, 1000, 'GOOG'), flat)
    expect(legs.map((l) => [l.symbol, l.side, l.quantity, l.order_type])).toEqual([
      ['GOOGL', 'sell', 100, 'market'],
      ['GOOG', 'buy', 100, 'market'],
    ])
  })

  it('the registry builds the built-ins by type and refuses a custom strategy without a module', async () => {
    expect(await loadStrategy(strategy({parameters: {symbols: ['AAPL'], threshold: 0.02}}), tmpdir())).toBeInstanceOf(MomentumStrategy)
    expect(await loadStrategy(strategy({type: 'grid', parameters: {symbol: 'MSFT', lower_price: 1, upper_price: 2, levels: 3}}), tmpdir())).toBeInstanceOf(GridStrategy)
    await expect(loadStrategy(strategy({type: 'custom'}), tmpdir())).rejects.toThrow(/module_path/)
  })
})

describe('schedule', () => {
  const nyse = {start_time: '09:30', end_time: '16:00', timezone: 'America/New_York'}

  it('withinSchedule reads the clock in the strategy’s time zone, winter and summer time alike', () => {
    // Monday 15 January 2024 (EST, UTC-5).
    expect(withinSchedule(nyse, new Date('2024-01-15T14:29:00Z'))).toBe(false) // 09:29
    expect(withinSchedule(nyse, new Date('2024-01-15T14:30:00Z'))).toBe(true) // 09:30
    expect(withinSchedule(nyse, new Date('2024-01-15T20:59:00Z'))).toBe(true) // 15:59
    expect(withinSchedule(nyse, new Date('2024-01-15T21:00:00Z'))).toBe(false) // 16:00: end is exclusive
    // Monday 15 July 2024 (EDT, UTC-4): 13:45Z is 09:45 in New York but 08:45 in winter time.
    expect(withinSchedule(nyse, new Date('2024-07-15T13:45:00Z'))).toBe(true)
    expect(withinSchedule(nyse, new Date('2024-07-15T13:15:00Z'))).toBe(false)
    expect(withinSchedule(null, new Date('2024-07-15T03:00:00Z'))).toBe(true)
  })

  it('honours days, and windows across midnight', () => {
    const weekdays = {...nyse, days: ['mon', 'tue', 'wed', 'thu', 'fri']}
    expect(withinSchedule(weekdays, new Date('2024-01-15T15:00:00Z'))).toBe(true) // Monday
    expect(withinSchedule(weekdays, new Date('2024-01-13T15:00:00Z'))).toBe(false) // Saturday
    // Sunday 01:00Z is Saturday 20:00 in New York.
    expect(withinSchedule({...weekdays, start_time: '00:00', end_time: '23:59'}, new Date('2024-01-14T01:00:00Z'))).toBe(false)
    const night = {start_time: '22:00', end_time: '02:00', timezone: 'UTC'}
    expect(withinSchedule(night, new Date('2024-01-15T23:30:00Z'))).toBe(true)
    expect(withinSchedule(night, new Date('2024-01-15T01:59:00Z'))).toBe(true)
    expect(withinSchedule(night, new Date('2024-01-15T02:00:00Z'))).toBe(false)
    expect(withinSchedule(night, new Date('2024-01-15T12:00:00Z'))).toBe(false)
  })
})

describe('StrategyRunner', () => {
  /** A strategy logic that wants exactly `wanted` on every tick. */
  const wants = (wanted: OrderIntent[], symbols = ['AAPL']): TradingStrategy => ({symbols, onTick: () => wanted.map((w) => ({...w}))})
  const buy = (quantity: number, symbol = 'AAPL'): OrderIntent => ({symbol, side: 'buy', quantity, order_type: 'market', reason: 'test'})
  const sell = (quantity: number, symbol = 'AAPL'): OrderIntent => ({symbol, side: 'sell', quantity, order_type: 'market', reason: 'test'})
  const inHours = new Date('2024-01-15T15:00:00Z') // 10:00 in New York, a Monday
  const afterHours = new Date('2024-01-15T22:00:00Z') // 17:00 in New York

  it('lets intents within max_position_size through and blocks those beyond, with the reason', () => {
    const r = new StrategyRunner(strategy({parameters: {symbols: ['AAPL'], max_position_size: 15}}), wants([buy(10)]))
    expect(r.onTick(tick(100), inHours)).toEqual({intents: [buy(10)], blocked: []})
    r.setPosition('AAPL', 10, 100)
    const blocked = r.onTick(tick(100), inHours)
    expect(blocked.intents).toEqual([])
    expect(blocked.blocked).toEqual([expect.stringMatching(/max_position_size 15 on AAPL/)])
    // Exactly at the limit is allowed.
    r.setPosition('AAPL', 5, 100)
    expect(r.onTick(tick(100), inHours).intents).toEqual([buy(10)])
  })

  it('takes the limit from risk_management when the parameters have none, and applies it to shorts too', () => {
    const r = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}, risk_management: {max_position_size: 50}}), wants([sell(60)]))
    expect(r.onTick(tick(100), inHours).blocked).toEqual([expect.stringMatching(/max_position_size 50/)])
    const p = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}, risk_management: {position_limit: 100}}), wants([buy(60)]))
    p.setPosition('AAPL', 50, 100)
    expect(p.onTick(tick(100), inHours).blocked).toHaveLength(1)
  })

  it('always allows a trade that reduces the position, even above the limit', () => {
    const r = new StrategyRunner(strategy({parameters: {symbols: ['AAPL'], max_position_size: 15}}), wants([sell(20)]))
    r.setPosition('AAPL', 40, 100)
    expect(r.onTick(tick(100), inHours)).toEqual({intents: [sell(20)], blocked: []})
    // The momentum stop loss closing a position above the limit goes through too.
    const m = new StrategyRunner(
      strategy({parameters: {symbols: ['AAPL'], threshold: 0.02, stop_loss: 0.05, max_position_size: 15}}),
      new MomentumStrategy(strategy({parameters: {symbols: ['AAPL'], threshold: 0.02, stop_loss: 0.05, max_position_size: 15}})),
    )
    m.setPosition('AAPL', 40, 100)
    expect(m.onTick(tick(90), inHours).intents).toEqual([{symbol: 'AAPL', side: 'sell', quantity: 40, order_type: 'market', reason: 'stop loss'}])
  })

  it('does nothing outside its schedule, and trades inside it', () => {
    const schedule = {start_time: '09:30', end_time: '16:00', timezone: 'America/New_York'}
    expect(withinSchedule(schedule, inHours)).toBe(true)
    expect(withinSchedule(schedule, afterHours)).toBe(false)
    const r = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}, schedule}), wants([buy(10)]))
    expect(r.onTick(tick(100), afterHours)).toEqual({intents: [], blocked: []})
    expect(r.onTick(tick(100), inHours)).toEqual({intents: [buy(10)], blocked: []})
  })

  it('blocks new exposure once max_daily_loss is reached, but not closing trades', () => {
    const r = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}, risk_management: {max_daily_loss: 100}}), wants([buy(10)]))
    r.onFill('AAPL', 'buy', 10, 100, inHours)
    r.onFill('AAPL', 'sell', 10, 89, inHours) // realised -110
    expect(r.realizedToday).toBeCloseTo(-110)
    expect(r.onTick(tick(100), inHours).blocked).toEqual([expect.stringMatching(/max_daily_loss 100/)])
    const closing = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}, risk_management: {max_daily_loss: 100}}), wants([sell(5)]))
    closing.onFill('AAPL', 'buy', 20, 100, inHours)
    closing.onFill('AAPL', 'sell', 10, 88, inHours)
    expect(closing.onTick(tick(100), inHours).intents).toEqual([sell(5)])
  })

  it('keeps one working order per symbol, and ignores ticks of symbols it does not trade', () => {
    const r = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}}), wants([buy(1)]))
    r.working.add('AAPL')
    expect(r.onTick(tick(100), inHours)).toEqual({intents: [], blocked: []})
    r.working.delete('AAPL')
    expect(r.onTick(tick(100), inHours).intents).toHaveLength(1)
    expect(r.onTick(tick(100, 10, 'MSFT'), inHours)).toEqual({intents: [], blocked: []})
  })

  it('books fills: average cost on the way in, realised P&L on the way out', () => {
    const seen: number[] = []
    const probe = new StrategyRunner(strategy({parameters: {symbols: ['AAPL']}}), {
      symbols: ['AAPL'],
      onTick: (_t, view) => {
        seen.push(view.position('AAPL'), view.avgCost('AAPL'))
        return []
      },
    })
    probe.onFill('AAPL', 'buy', 10, 100, inHours)
    probe.onFill('AAPL', 'buy', 30, 104, inHours)
    probe.onFill('AAPL', 'sell', 15, 110, inHours)
    probe.onTick(tick(100), inHours)
    expect(seen).toEqual([25, 103])
    expect(probe.realizedToday).toBeCloseTo(15 * 7)
  })
})
