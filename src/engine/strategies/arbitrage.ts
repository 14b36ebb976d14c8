import type {Tick} from '../runtime/market/types.js'
import type {Strategy} from '../store/index.js'
import {num, type OrderIntent, type StrategyView, type TradingStrategy} from './types.js'

/**
 * Pairs arbitrage on two symbols: when the spread (a - hedge_ratio * b) strays from its moving mean by
 * more than `spread_threshold`, sell the rich leg and buy the cheap one; unwind when it comes back.
 */
export class ArbitrageStrategy implements TradingStrategy {
  readonly symbols: string[]
  private readonly prices = new Map<string, number>()
  private readonly spreads: number[] = []
  private readonly window = 20
  private readonly threshold: number
  private readonly hedge: number
  private readonly quantity: number

  constructor(config: Strategy) {
    const p = config.parameters
    this.symbols = (p.symbols as string[]) ?? []
    this.threshold = num(p.spread_threshold, 0.5)
    this.hedge = num(p.hedge_ratio, 1)
    this.quantity = num(p.order_quantity, 100)
  }

  onTick(tick: Tick, view: StrategyView): OrderIntent[] {
    this.prices.set(tick.symbol, tick.price)
    const [a, b] = this.symbols as [string, string]
    // Act once per pair of prices: on the second leg's tick.
    if (tick.symbol !== b || !this.prices.has(a)) return []
    const spread = this.prices.get(a)! - this.hedge * this.prices.get(b)!
    this.spreads.push(spread)
    if (this.spreads.length > this.window) this.spreads.shift()
    if (this.spreads.length < this.window) return []
    const mean = this.spreads.reduce((x, y) => x + y, 0) / this.spreads.length
    const dev = spread - mean
    const posA = view.position(a)
    if (dev > this.threshold && posA >= 0)
      return [this.leg(a, 'sell', this.quantity + posA, `spread +${dev.toFixed(2)}`), this.leg(b, 'buy', Math.round(this.quantity * this.hedge), 'hedge')]
    if (dev < -this.threshold && posA <= 0)
      return [this.leg(a, 'buy', this.quantity - posA, `spread ${dev.toFixed(2)}`), this.leg(b, 'sell', Math.round(this.quantity * this.hedge), 'hedge')]
    if (Math.abs(dev) < this.threshold / 4 && posA !== 0) {
      const posB = view.position(b)
      const out = [this.leg(a, posA > 0 ? 'sell' : 'buy', Math.abs(posA), 'spread converged')]
      if (posB !== 0) out.push(this.leg(b, posB > 0 ? 'sell' : 'buy', Math.abs(posB), 'unwind hedge'))
      return out
    }
    return []
  }

  private leg(symbol: string, side: 'buy' | 'sell', quantity: number, reason: string): OrderIntent {
    return {symbol, side, quantity, order_type: 'market', reason}
  }
}
