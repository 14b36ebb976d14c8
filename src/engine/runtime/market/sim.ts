import type {MarketData, Tick} from './types.js'

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same prices on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const startPrices: Record<string, number> = {AAPL: 150.5, GOOGL: 141.2, GOOG: 142.1, MSFT: 320.4, TSLA: 242.8, AMZN: 178.3, NVDA: 480.2}

/**
 * `sim`: a seeded random walk per symbol (volatility `vol` per tick), deterministic for tests. Each
 * symbol gets its own stream derived from the seed and its name, so adding a symbol does not change
 * the prices of the others.
 */
export class SimMarket implements MarketData {
  readonly name = 'sim'
  private readonly prices = new Map<string, {price: number; rnd: () => number}>()

  constructor(private readonly seed = 42, private readonly vol = 0.002, private readonly volumePerTick = 5000) {}

  follow(symbols: Iterable<string>): void {
    for (const s of symbols) {
      if (this.prices.has(s)) continue
      let h = this.seed
      for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 2_654_435_761)
      const rnd = seededRandom(h)
      this.prices.set(s, {price: startPrices[s] ?? 50 + rnd() * 200, rnd})
    }
  }

  next(now: number): Tick[] {
    const ticks: Tick[] = []
    for (const [symbol, p] of this.prices) {
      // Box-Muller from two uniforms: a normal step, so the walk looks like a market.
      const z = Math.sqrt(-2 * Math.log(1 - p.rnd())) * Math.cos(2 * Math.PI * p.rnd())
      p.price = Math.max(0.01, Math.round(p.price * (1 + this.vol * z) * 100) / 100)
      ticks.push({symbol, price: p.price, volume: Math.round(this.volumePerTick * (0.5 + p.rnd())), at: now})
    }
    return ticks
  }

  last(symbol: string): number | undefined {
    return this.prices.get(symbol)?.price
  }
}
