import {describe, expect, it} from 'vitest'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {cli, engineActor, momentum, newUser, runningStrategy} from '../helpers/engine-parts.js'
import {useEngine} from '../helpers/suite.js'

/**
 * The strategies list's performance columns come from one batched summary (two queries a page);
 * on both backends it must say what performance() says for each strategy, P&L from fills included.
 */
describe.each(backendKinds)('strategy performance summary on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)

  it('matches performance() for each strategy: orders, success rate and realised P&L', async () => {
    const h = ctx.engine
    const u = await newUser(h, 'perf')
    const a = await runningStrategy(h, u.user_id, momentum())
    const b = await runningStrategy(h, u.user_id, momentum())
    const idle = await runningStrategy(h, u.user_id, momentum())
    const trade = async (strategy: string, side: 'buy' | 'sell', price: number) => {
      const {order} = await h.orders.create({user_id: u.user_id, strategy_id: strategy, symbol: 'AAPL', side, order_type: 'market', quantity: 10}, cli)
      await h.orders.fill(order.order_id, {quantity: 10, price}, engineActor)
    }
    await trade(a.strategy_id, 'buy', 100)
    await trade(a.strategy_id, 'sell', 110)
    await trade(b.strategy_id, 'buy', 50)
    await h.orders.create({user_id: u.user_id, strategy_id: b.strategy_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', price: 1, quantity: 5}, cli)

    const summary = await h.strategies.performanceSummary([a.strategy_id, b.strategy_id, idle.strategy_id])
    for (const s of [a, b, idle]) {
      const p = await h.strategies.performance(s.strategy_id)
      expect(summary.get(s.strategy_id), s.strategy_id).toEqual({total_orders: p.total_orders, success_rate: p.success_rate, profit_loss: p.profit_loss})
    }
    expect(summary.get(a.strategy_id)).toEqual({total_orders: 2, success_rate: 1, profit_loss: 100})
    expect(summary.get(b.strategy_id)!.total_orders).toBe(2)
    expect(summary.get(idle.strategy_id)).toEqual({total_orders: 0, success_rate: null, profit_loss: 0})
    expect(await h.strategies.performanceSummary([])).toEqual(new Map())
  })
})
