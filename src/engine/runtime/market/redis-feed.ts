import type {RedisClient} from '../../bus/redis.js'
import type {MarketData, Tick} from './types.js'

/**
 * `redis`: ticks published by an outside feed on `<prefix>ticks` as JSON {"symbol","price","volume"}.
 * The latest tick per symbol since the last step is handed to the engine; malformed messages are
 * counted and dropped.
 */
export class RedisMarket implements MarketData {
  readonly name = 'redis'
  private pending = new Map<string, Tick>()
  private readonly prices = new Map<string, number>()
  dropped = 0

  constructor(private readonly subscriber: RedisClient, readonly channel: string) {}

  async open(): Promise<void> {
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        const m = JSON.parse(message) as {symbol?: unknown; price?: unknown; volume?: unknown}
        const price = Number(m.price)
        if (typeof m.symbol !== 'string' || !Number.isFinite(price) || price <= 0) throw new Error('bad tick')
        const symbol = m.symbol.toUpperCase()
        this.pending.set(symbol, {symbol, price, volume: Number(m.volume) > 0 ? Number(m.volume) : 1000, at: Date.now()})
      } catch {
        this.dropped++
      }
    })
    await this.subscriber.subscribe(this.channel)
  }

  follow(): void {}

  next(): Tick[] {
    const ticks = [...this.pending.values()]
    this.pending = new Map()
    for (const t of ticks) this.prices.set(t.symbol, t.price)
    return ticks
  }

  last(symbol: string): number | undefined {
    return this.prices.get(symbol)
  }

  async close(): Promise<void> {
    this.subscriber.disconnect()
  }
}
