import {describe, expect, it} from 'vitest'
import {computePnl, type PnlFill} from '../../src/engine/domain/pnl.js'

/** A fill in the order it happened; fee 0 unless given. */
const f = (side: 'buy' | 'sell', quantity: number, price: number, symbol = 'AAPL', fee = 0): PnlFill => ({symbol, side, quantity, price, fee})

describe('computePnl (average cost)', () => {
  it('nothing traded: all zero', () => {
    expect(computePnl([])).toEqual({realized_pnl: 0, unrealized_pnl: 0, profit_loss: 0, fees: 0, max_drawdown: 0, max_drawdown_pct: null, positions: []})
  })

  it('buy 100@10, sell 100@12 -> realized 200, flat', () => {
    // 100 * (12 - 10) = 200
    expect(computePnl([f('buy', 100, 10), f('sell', 100, 12)])).toEqual({
      realized_pnl: 200,
      unrealized_pnl: 0,
      profit_loss: 200,
      fees: 0,
      max_drawdown: 0,
      max_drawdown_pct: null,
      positions: [],
    })
  })

  it('buy 100@10, buy 100@20, sell 100@18 -> realized 300 at avg cost 15; 100 left, unrealized 300 at 18', () => {
    // avg cost (100*10 + 100*20) / 200 = 15; realized 100 * (18 - 15) = 300;
    // 100 held @15, marked at the last price 18: 100 * (18 - 15) = 300
    const r = computePnl([f('buy', 100, 10), f('buy', 100, 20), f('sell', 100, 18)])
    expect(r).toEqual({
      realized_pnl: 300,
      unrealized_pnl: 300,
      profit_loss: 600,
      fees: 0,
      max_drawdown: 0,
      max_drawdown_pct: null,
      positions: [{symbol: 'AAPL', quantity: 100, avg_cost: 15, mark_price: 18, unrealized_pnl: 300}],
    })
  })

  it('short: sell 50@20, buy 50@15 -> realized 250', () => {
    // short 50 @20, covered @15: 50 * (20 - 15) = 250
    const r = computePnl([f('sell', 50, 20), f('buy', 50, 15)])
    expect(r).toMatchObject({realized_pnl: 250, unrealized_pnl: 0, profit_loss: 250, positions: []})
  })

  it('an open short loses when the price rises', () => {
    // short 50 @20 marked at 22: -50 * (22 - 20) = -100
    const r = computePnl([f('sell', 50, 20)], {AAPL: 22})
    expect(r).toMatchObject({realized_pnl: 0, unrealized_pnl: -100, profit_loss: -100})
    expect(r.positions).toEqual([{symbol: 'AAPL', quantity: -50, avg_cost: 20, mark_price: 22, unrealized_pnl: -100}])
  })

  it('reversal: buy 100@10, sell 150@12 -> realized 200 and short 50 @12', () => {
    // closes 100: 100 * (12 - 10) = 200; the other 50 open a short at 12, marked at 12 -> 0
    const r = computePnl([f('buy', 100, 10), f('sell', 150, 12)])
    expect(r).toMatchObject({realized_pnl: 200, unrealized_pnl: 0, profit_loss: 200})
    // (-50 * 0 is -0 in JavaScript; the views print it with toFixed, so the sign of zero is not asserted)
    expect(r.positions.map((p) => ({...p, unrealized_pnl: p.unrealized_pnl + 0}))).toEqual([{symbol: 'AAPL', quantity: -50, avg_cost: 12, mark_price: 12, unrealized_pnl: 0}])
    // covering the short at 10: 50 * (12 - 10) = 100 more
    expect(computePnl([f('buy', 100, 10), f('sell', 150, 12), f('buy', 50, 10)])).toMatchObject({realized_pnl: 300, positions: []})
  })

  it('fees subtract from realized', () => {
    // 200 gross - (1 + 1.5) fees = 197.5; equity after the buy is -1: a drawdown of 1 from the starting 0
    const r = computePnl([f('buy', 100, 10, 'AAPL', 1), f('sell', 100, 12, 'AAPL', 1.5)])
    expect(r).toEqual({realized_pnl: 197.5, unrealized_pnl: 0, profit_loss: 197.5, fees: 2.5, max_drawdown: 1, max_drawdown_pct: null, positions: []})
    // a fee on an open position is realized at once; the position is valued without it
    const open = computePnl([f('buy', 10, 100, 'MSFT', 0.75)], {MSFT: 101})
    expect(open).toMatchObject({realized_pnl: -0.75, unrealized_pnl: 10, profit_loss: 9.25, fees: 0.75})
  })

  it('explicit marks override the last price, per symbol', () => {
    const fills = [f('buy', 100, 10, 'AAPL'), f('buy', 10, 200, 'MSFT'), f('sell', 5, 210, 'MSFT')]
    // MSFT: realized 5 * (210 - 200) = 50, 5 left @200
    const last = computePnl(fills)
    // AAPL 100 * (10 - 10) = 0; MSFT 5 * (210 - 200) = 50
    expect(last).toMatchObject({realized_pnl: 50, unrealized_pnl: 50, profit_loss: 100})
    const marked = computePnl(fills, {AAPL: 13})
    // AAPL 100 * (13 - 10) = 300; MSFT still at its last price: 50
    expect(marked).toMatchObject({realized_pnl: 50, unrealized_pnl: 350, profit_loss: 400})
    expect(marked.positions).toEqual([
      {symbol: 'AAPL', quantity: 100, avg_cost: 10, mark_price: 13, unrealized_pnl: 300},
      {symbol: 'MSFT', quantity: 5, avg_cost: 200, mark_price: 210, unrealized_pnl: 50},
    ])
    // a mark for a symbol not held changes nothing
    expect(computePnl(fills, {TSLA: 1})).toEqual(last)
  })

  it('max drawdown: +500 then -300 -> 300, 60% of the peak', () => {
    // round trip 1: 100 * (15 - 10) = +500 (peak 500); round trip 2: 100 * (7 - 10) = -300 -> 200
    const r = computePnl([f('buy', 100, 10), f('sell', 100, 15), f('buy', 100, 10), f('sell', 100, 7)])
    expect(r).toMatchObject({realized_pnl: 200, max_drawdown: 300, max_drawdown_pct: 0.6, positions: []})
  })

  it('max drawdown is the largest fall from a running peak, not the last one', () => {
    // +500 (peak 500), -300 (200: fall 300), +600 (800: new peak), -200 (600: fall 200)
    const r = computePnl([
      f('buy', 100, 10),
      f('sell', 100, 15),
      f('buy', 100, 10),
      f('sell', 100, 7),
      f('buy', 100, 10),
      f('sell', 100, 16),
      f('buy', 100, 10),
      f('sell', 100, 8),
    ])
    expect(r).toMatchObject({realized_pnl: 600, max_drawdown: 300, max_drawdown_pct: 0.6})
  })

  it('symbols are booked separately', () => {
    // AAPL: 10 * (12 - 10) = 20; MSFT: 10 * (95 - 100) = -50; total -30; equity 0 -> 20 -> -30: drawdown 50 from 20 = 250%
    const r = computePnl([f('buy', 10, 10, 'AAPL'), f('buy', 10, 100, 'MSFT'), f('sell', 10, 12, 'AAPL'), f('sell', 10, 95, 'MSFT')])
    expect(r).toEqual({realized_pnl: -30, unrealized_pnl: 0, profit_loss: -30, fees: 0, max_drawdown: 50, max_drawdown_pct: 2.5, positions: []})
  })

  it('decimal quantities close exactly', () => {
    // 0.1 + 0.2 bought @100 (avg 100), 0.3 sold @110: 0.3 * 10 = 3, flat
    const r = computePnl([f('buy', 0.1, 100), f('buy', 0.2, 100), f('sell', 0.3, 110)])
    expect(r).toMatchObject({realized_pnl: 3, unrealized_pnl: 0, positions: []})
  })
})
