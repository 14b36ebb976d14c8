import type {Tick} from '../runtime/market/types.js'
import type {Strategy} from '../store/index.js'
import {num, type OrderIntent, type StrategyView, type TradingStrategy} from './types.js'

/**
 * Grid: `levels` prices evenly spaced from lower_price to upper_price. Crossing a level downwards buys
 * quantity_per_level at that level; crossing upwards sells it. Outside the band it does nothing.
 */
export class GridStrategy implements TradingStrategy {
  readonly symbols: string[]
  private readonly grid: number[]
  private readonly quantity: number
  private lastIndex?: number

  constructor(config: Strategy) {
    const p = config.parameters
    this.symbols = [String(p.symbol)]
    const lower = num(p.lower_price, 1)
    const upper = num(p.upper_price, 2)
    const levels = Math.max(2, num(p.levels, 10))
    const step = (upper - lower) / (levels - 1)
    this.grid = Array.from({length: levels}, (_, i) => Math.round((lower + i * step) * 100) / 100)
    this.quantity = num(p.quantity_per_level, 10)
  }

  /** How many grid levels lie at or below `price`. */
  private index(price: number): number {
    let i = 0
    while (i < this.grid.length && this.grid[i]! <= price) i++
    return i
  }

  onTick(tick: Tick, view: StrategyView): OrderIntent[] {
    const i = this.index(tick.price)
    const prev = this.lastIndex
    this.lastIndex = i
    if (prev === undefined || i === prev || i === 0 || i === this.grid.length) return []
    if (i < prev) return [{symbol: tick.symbol, side: 'buy', quantity: this.quantity, order_type: 'limit', price: this.grid[i]!, reason: `grid level ${this.grid[i]} crossed down`}]
    if (view.position(tick.symbol) <= 0) return []
    return [{symbol: tick.symbol, side: 'sell', quantity: Math.min(this.quantity, view.position(tick.symbol)), order_type: 'limit', price: this.grid[i - 1]!, reason: `grid level ${this.grid[i - 1]} crossed up`}]
  }
}
