import type {Order} from '../../store/index.js'
import type {Tick} from '../market/types.js'
import type {ExecutionVenue, VenueDecision} from './types.js'

export interface PaperOptions {
  /** An order is not filled before it is this old (simulated exchange latency). */
  latencyMs?: number
  /** Fee as a fraction of traded value. */
  feeRate?: number
}

/**
 * `paper`: simulated matching. Market orders fill at the tick price; limit orders when the price
 * reaches them, at their limit; stop orders trigger when the price crosses the stop. Fills are
 * limited by the tick's volume (shared by all orders on the symbol), so big orders fill partially
 * over several ticks. IOC keeps what fills at once and cancels the rest; FOK fills whole or cancels.
 */
export class PaperVenue implements ExecutionVenue {
  readonly name = 'paper'
  private readonly triggered = new Set<string>()

  constructor(private readonly options: PaperOptions = {}) {}

  onTick(tick: Tick, orders: Iterable<Order>, now: number): VenueDecision {
    const decision: VenueDecision = {fills: [], cancels: []}
    let available = tick.volume
    const latency = this.options.latencyMs ?? 0
    const feeRate = this.options.feeRate ?? 0.0005
    // Orders younger than the latency are skipped. created_at is an ISO-8601 UTC string of fixed
    // width (Dialect.toIso), so comparing it with the cut-off's string orders it like the instants
    // without a Date.parse per open order per tick (100,000 orders at scale); any other shape is parsed.
    const cutoff = latency > 0 ? new Date(now - latency).toISOString() : undefined
    for (const o of orders) {
      if (o.symbol !== tick.symbol) continue
      if (cutoff !== undefined) {
        const c = o.created_at
        if (c.length === cutoff.length && c.endsWith('Z') ? c > cutoff : now - Date.parse(c) < latency) continue
      }
      let price: number | undefined
      const stopHit = o.stop_price !== null && (o.side === 'buy' ? tick.price >= o.stop_price : tick.price <= o.stop_price)
      if (stopHit) this.triggered.add(o.order_id)
      const live = o.order_type === 'market' || o.order_type === 'limit' || this.triggered.has(o.order_id)
      if (!live) continue
      if (o.order_type === 'market' || o.order_type === 'stop') price = tick.price
      else if (o.price !== null && (o.side === 'buy' ? tick.price <= o.price : tick.price >= o.price)) price = o.price
      const remaining = o.remaining_quantity
      if (price === undefined || available <= 0) {
        if (o.time_in_force === 'IOC' || o.time_in_force === 'FOK') decision.cancels.push({order_id: o.order_id, reason: `${o.time_in_force}: not executable at once`})
        continue
      }
      const qty = Math.min(remaining, available)
      if (o.time_in_force === 'FOK' && qty < remaining) {
        decision.cancels.push({order_id: o.order_id, reason: 'FOK: not fillable in full'})
        continue
      }
      available -= qty
      decision.fills.push({order_id: o.order_id, quantity: qty, price, fee: Math.round(qty * price * feeRate * 100) / 100})
      if (o.time_in_force === 'IOC' && qty < remaining) decision.cancels.push({order_id: o.order_id, reason: 'IOC: rest cancelled'})
      if (qty >= remaining) this.triggered.delete(o.order_id)
    }
    return decision
  }
}

/** `external`: an outside gateway fills orders in the database; the engine only watches. */
export class ExternalVenue implements ExecutionVenue {
  readonly name = 'external'
  onTick(): VenueDecision {
    return {fills: [], cancels: []}
  }
}
