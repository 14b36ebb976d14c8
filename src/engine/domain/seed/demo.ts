import type {Actor, ServiceDeps} from '../context.js'
import {StrategyService} from '../strategies/service.js'
import {loadSampleData} from './sample-data.js'

/**
 * The demo's data: the sample users, strategies and orders, plus strategies tuned to trade within
 * seconds on the sim market (short lookbacks, tight grids), so a newcomer sees orders flow at once.
 */
export async function seedDemo(deps: ServiceDeps, actor: Actor): Promise<void> {
  await loadSampleData(deps, actor)
  const strategies = new StrategyService(deps)
  const traders = (await deps.store.users.list({status: 'active', limit: 10, offset: 0})).users.filter((u) => u.role === 'trader')
  const lively = [
    {name: 'Fast momentum', type: 'momentum', parameters: {symbols: ['AAPL', 'NVDA', 'TSLA'], timeframe: '1s', lookback_period: 4, threshold: 0.002, order_quantity: 50, max_position_size: 500}},
    {name: 'AAPL tight grid', type: 'grid', parameters: {symbol: 'AAPL', lower_price: 146, upper_price: 155, levels: 19, quantity_per_level: 20}},
    {name: 'GOOGL/GOOG pair', type: 'arbitrage', parameters: {symbols: ['GOOGL', 'GOOG'], spread_threshold: 0.3, order_quantity: 40}},
  ]
  for (const [i, s] of lively.entries()) {
    const owner = traders[i % traders.length]
    if (!owner) break
    const created = await strategies.create({config: {...s, risk_management: {max_daily_loss: 5000}}, user_id: owner.user_id}, actor)
    await strategies.start(created.strategy_id, actor)
  }
}
