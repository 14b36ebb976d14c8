import {readFileSync} from 'node:fs'
import {invalidInput} from '../../errors.js'
import type {MarketData, Tick} from './types.js'

/**
 * `replay`: ticks from a CSV file with a header containing symbol and price (and optionally volume
 * and time), replayed in file order, one row per symbol per step. Loops at the end when `loop`.
 */
export class ReplayMarket implements MarketData {
  readonly name = 'replay'
  private readonly rows: Tick[][] = []
  private step = 0
  private readonly lastPrice = new Map<string, number>()

  constructor(path: string, private readonly loop = true) {
    const text = readFileSync(path, 'utf8').trim()
    const [header, ...lines] = text.split(/\r?\n/)
    const cols = header!.split(',').map((c) => c.trim().toLowerCase())
    const si = cols.indexOf('symbol')
    const pi = cols.indexOf('price') >= 0 ? cols.indexOf('price') : cols.indexOf('close')
    const vi = cols.indexOf('volume')
    if (si < 0 || pi < 0) throw invalidInput(`${path}: the CSV header needs "symbol" and "price" (or "close") columns.`)
    let current: Tick[] = []
    const seen = new Set<string>()
    lines.forEach((line, i) => {
      const f = line.split(',')
      const price = Number(f[pi])
      if (!f[si] || !Number.isFinite(price) || price <= 0) throw invalidInput(`${path}: line ${i + 2}: a symbol and a positive price are needed.`)
      const symbol = f[si]!.trim().toUpperCase()
      if (seen.has(symbol)) {
        this.rows.push(current)
        current = []
        seen.clear()
      }
      seen.add(symbol)
      current.push({symbol, price, volume: vi >= 0 ? Number(f[vi]) || 1000 : 1000, at: 0})
    })
    if (current.length) this.rows.push(current)
  }

  follow(): void {}

  next(now: number): Tick[] {
    if (this.step >= this.rows.length) {
      if (!this.loop || this.rows.length === 0) return []
      this.step = 0
    }
    const ticks = this.rows[this.step++]!.map((t) => ({...t, at: now}))
    for (const t of ticks) this.lastPrice.set(t.symbol, t.price)
    return ticks
  }

  last(symbol: string): number | undefined {
    return this.lastPrice.get(symbol)
  }
}
