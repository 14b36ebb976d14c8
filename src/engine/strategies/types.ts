import type {Strategy} from '../store/index.js'
import type {Tick} from '../runtime/market/types.js'

/** What a strategy wants to trade; the runner applies risk limits and places the order. */
export interface OrderIntent {
  symbol: string
  side: 'buy' | 'sell'
  quantity: number
  order_type: 'market' | 'limit'
  price?: number
  reason: string
}

export interface StrategyView {
  /** Signed position per symbol from this strategy's fills. */
  position(symbol: string): number
  avgCost(symbol: string): number
  now: Date
}

/**
 * The interface every strategy implements, built-in or custom. A custom module (strategies.type
 * "custom", module_path) default-exports `(config: Strategy) => TradingStrategy`.
 */
export interface TradingStrategy {
  readonly symbols: string[]
  onTick(tick: Tick, view: StrategyView): OrderIntent[]
}

export type StrategyFactory = (config: Strategy) => TradingStrategy

export const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)
