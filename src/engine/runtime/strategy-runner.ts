import {withinSchedule} from '../domain/strategies/schedule.js'
import {utcDay} from '../domain/time.js'
import type {Strategy} from '../store/index.js'
import type {OrderIntent, StrategyView, TradingStrategy} from '../strategies/types.js'
import type {Tick} from './market/types.js'

interface Book {
  quantity: number
  avgCost: number
}

/**
 * One running strategy inside a UserMonitor: its positions, its risk limits and its schedule around
 * the trading logic. Intents that would break a limit are dropped with the reason.
 */
export class StrategyRunner {
  private readonly books = new Map<string, Book>()
  realizedToday = 0
  /** Best realized P&L of the day so far: max_drawdown is measured from it. */
  peakToday = 0
  private day = ''
  /** Symbols with an order of this strategy still open: one working order per symbol at a time. */
  readonly working = new Set<string>()

  constructor(readonly config: Strategy, private readonly logic: TradingStrategy) {}

  get symbols(): string[] {
    return this.logic.symbols
  }

  /** Takes over the books and the day's P&L of the runner this one replaces (the strategy was updated). */
  adoptBook(previous: StrategyRunner): void {
    for (const [symbol, book] of previous.books) this.books.set(symbol, {...book})
    this.realizedToday = previous.realizedToday
    this.peakToday = previous.peakToday
    this.day = previous.day
  }

  setPosition(symbol: string, quantity: number, avgCost: number): void {
    this.books.set(symbol, {quantity, avgCost})
  }

  /** Books a fill: average cost on the way in, realised P&L on the way out (for max_daily_loss). */
  onFill(symbol: string, side: 'buy' | 'sell', quantity: number, price: number, now = new Date()): void {
    const today = utcDay(now)
    if (today !== this.day) {
      this.day = today
      this.realizedToday = 0
      this.peakToday = 0
    }
    const b = this.books.get(symbol) ?? {quantity: 0, avgCost: 0}
    const signed = side === 'buy' ? quantity : -quantity
    if (b.quantity === 0 || Math.sign(b.quantity) === Math.sign(signed)) {
      b.avgCost = (Math.abs(b.quantity) * b.avgCost + quantity * price) / (Math.abs(b.quantity) + quantity)
    } else {
      const closing = Math.min(Math.abs(b.quantity), quantity)
      this.realizedToday += b.quantity > 0 ? closing * (price - b.avgCost) : closing * (b.avgCost - price)
      this.peakToday = Math.max(this.peakToday, this.realizedToday)
      if (quantity > closing) b.avgCost = price
    }
    b.quantity = Math.round((b.quantity + signed) * 1e8) / 1e8
    this.books.set(symbol, b)
  }

  onTick(tick: Tick, now: Date): {intents: OrderIntent[]; blocked: string[]} {
    if (!this.logic.symbols.includes(tick.symbol)) return {intents: [], blocked: []}
    if (!withinSchedule(this.config.schedule, now)) return {intents: [], blocked: []}
    const view: StrategyView = {
      position: (s) => this.books.get(s)?.quantity ?? 0,
      avgCost: (s) => this.books.get(s)?.avgCost ?? 0,
      now,
    }
    const wanted = this.logic.onTick(tick, view)
    const intents: OrderIntent[] = []
    const blocked: string[] = []
    const risk = this.config.risk_management
    const params = this.config.parameters
    const maxPos = Number(params.max_position_size ?? risk.max_position_size ?? risk.position_limit ?? Infinity)
    const maxLoss = Number(risk.max_daily_loss ?? Infinity)
    const maxDrawdown = Number(risk.max_drawdown ?? Infinity)
    // Drawdown as a fraction of the day's best realized P&L (nothing to draw down from before a gain).
    const drawdown = this.peakToday > 0 ? (this.peakToday - this.realizedToday) / this.peakToday : 0
    for (const intent of wanted) {
      if (this.working.has(intent.symbol)) continue
      const pos = view.position(intent.symbol)
      const after = pos + (intent.side === 'buy' ? intent.quantity : -intent.quantity)
      const reducing = Math.abs(after) < Math.abs(pos)
      if (!reducing && -this.realizedToday >= maxLoss) {
        blocked.push(`max_daily_loss ${maxLoss} reached`)
        continue
      }
      if (!reducing && drawdown >= maxDrawdown) {
        blocked.push(`max_drawdown ${maxDrawdown} reached (${(drawdown * 100).toFixed(1)}% below the day's best)`)
        continue
      }
      // max_position_size is in units of the instrument, as in the manual's example (10000 shares).
      if (!reducing && Math.abs(after) > maxPos) {
        blocked.push(`max_position_size ${maxPos} on ${intent.symbol}`)
        continue
      }
      intents.push(intent)
    }
    return {intents, blocked}
  }
}
