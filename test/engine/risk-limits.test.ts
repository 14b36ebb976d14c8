import {describe, expect, it} from 'vitest'
import {StrategyRunner} from '../../src/engine/runtime/strategy-runner.js'
import type {Strategy} from '../../src/engine/store/index.js'
import type {OrderIntent, TradingStrategy} from '../../src/engine/strategies/types.js'

// A strategy that always wants to buy 10: the runner's risk limits decide what gets through.
const alwaysBuy: TradingStrategy = {symbols: ['AAPL'], onTick: (t): OrderIntent[] => [{symbol: t.symbol, side: 'buy', quantity: 10, order_type: 'market', reason: 'test'}]}
const config = (risk: Record<string, unknown>): Strategy => ({strategy_id: 'STR1', user_id: 'U1', name: 'r', type: 'custom', status: 'running', parameters: {}, risk_management: risk, schedule: null, module_path: null, status_reason: null, version: 1, created_at: '', updated_at: '', started_at: null, stopped_at: null})
const tick = {symbol: 'AAPL', price: 100, volume: 1000, at: 0}
const now = new Date('2026-11-21T15:00:00Z')

describe('StrategyRunner risk limits', () => {
  it('blocks new exposure once the day has fallen max_drawdown below its best realized P&L', () => {
    const r = new StrategyRunner(config({max_drawdown: 0.5}), alwaysBuy)
    // +100 realized (buy 10 @ 100, sell 10 @ 110), then -60 (buy 10 @ 100, sell 10 @ 94): 60% below the peak.
    r.onFill('AAPL', 'buy', 10, 100, now)
    r.onFill('AAPL', 'sell', 10, 110, now)
    expect(r.onTick(tick, now).intents).toHaveLength(1)
    r.onFill('AAPL', 'buy', 10, 100, now)
    r.onFill('AAPL', 'sell', 10, 94, now)
    expect(r.realizedToday).toBe(40)
    const {intents, blocked} = r.onTick(tick, now)
    expect(intents).toEqual([])
    expect(blocked).toEqual(["max_drawdown 0.5 reached (60.0% below the day's best)"])
  })

  it('blocks new exposure after max_daily_loss, and a new day starts afresh', () => {
    const r = new StrategyRunner(config({max_daily_loss: 50}), alwaysBuy)
    r.onFill('AAPL', 'buy', 10, 100, now)
    r.onFill('AAPL', 'sell', 10, 94, now)
    expect(r.onTick(tick, now).blocked).toEqual(['max_daily_loss 50 reached'])
    const tomorrow = new Date('2026-11-22T15:00:00Z')
    r.onFill('AAPL', 'buy', 1, 100, tomorrow)
    expect(r.realizedToday).toBe(0)
    expect(r.onTick(tick, tomorrow).intents).toHaveLength(1)
  })
})
