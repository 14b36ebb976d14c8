import type {Tick} from '../runtime/market/types.js'
import type {Strategy} from '../store/index.js'
import {num, type OrderIntent, type StrategyView, type TradingStrategy} from './types.js'

/**
 * Momentum: when the return over `lookback_period` ticks exceeds `threshold`, go long (or short on
 * the way down); exit on stop_loss / take_profit relative to the average cost.
 */
export class MomentumStrategy implements TradingStrategy {
  readonly symbols: string[]
  private readonly history = new Map<string, number[]>()
  private readonly lookback: number
  private readonly threshold: number
  private readonly quantity: number
  private readonly stopLoss?: number
  private readonly takeProfit?: number

  constructor(config: Strategy) {
    const p = config.parameters
    this.symbols = (p.symbols as string[]) ?? []
    this.lookback = num(p.lookback_period, 20)
    this.threshold = num(p.threshold, 0.02)
    this.quantity = num(p.order_quantity, 100)
    this.stopLoss = typeof p.stop_loss === 'number' ? p.stop_loss : undefined
    this.takeProfit = typeof p.take_profit === 'number' ? p.take_profit : undefined
  }

  onTick(tick: Tick, view: StrategyView): OrderIntent[] {
    const h = this.history.get(tick.symbol) ?? []
    h.push(tick.price)
    if (h.length > this.lookback + 1) h.shift()
    this.history.set(tick.symbol, h)
    const pos = view.position(tick.symbol)
    const cost = view.avgCost(tick.symbol)
    if (pos !== 0 && cost > 0) {
      const change = pos > 0 ? tick.price / cost - 1 : 1 - tick.price / cost
      if (this.stopLoss !== undefined && change <= -this.stopLoss) return [this.close(tick, pos, 'stop loss')]
      if (this.takeProfit !== undefined && change >= this.takeProfit) return [this.close(tick, pos, 'take profit')]
    }
    if (h.length <= this.lookback) return []
    const ret = tick.price / h[0]! - 1
    if (ret > this.threshold && pos <= 0) return [{symbol: tick.symbol, side: 'buy', quantity: this.quantity + Math.max(0, -pos), order_type: 'market', reason: `momentum +${(ret * 100).toFixed(2)}%`}]
    if (ret < -this.threshold && pos >= 0) return [{symbol: tick.symbol, side: 'sell', quantity: this.quantity + Math.max(0, pos), order_type: 'market', reason: `momentum ${(ret * 100).toFixed(2)}%`}]
    return []
  }

  private close(tick: Tick, pos: number, reason: string): OrderIntent {
    return {symbol: tick.symbol, side: pos > 0 ? 'sell' : 'buy', quantity: Math.abs(pos), order_type: 'market', reason}
  }
}
