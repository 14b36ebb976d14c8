/**
 * Realized P&L by average cost, one fill at a time (the report reads a month of fills in batches,
 * so it cannot hand computePnl an array). Same rule as domain/pnl: adding moves the average cost,
 * closing realises (exit - entry) on the closed part, fees are subtracted. Positions are per key
 * (owner and symbol); a position opened before the period starts from its first fill in it.
 */

interface Book {
  qty: number
  cost: number
}

export interface Realized {
  realized: number
  fees: number
  fills: number
  volume: number
  turnover: number
}

export class RealizedLedger {
  private readonly books = new Map<string, Book>()
  private readonly totals = new Map<string, Realized>()

  add(owner: string, symbol: string, side: 'buy' | 'sell', quantity: number, price: number, fee: number): void {
    const key = `${owner}\u0000${symbol}`
    const b = this.books.get(key) ?? {qty: 0, cost: 0}
    const signed = side === 'buy' ? quantity : -quantity
    let realized = 0
    if (b.qty === 0 || Math.sign(b.qty) === Math.sign(signed)) {
      b.cost = (Math.abs(b.qty) * b.cost + quantity * price) / (Math.abs(b.qty) + quantity)
      b.qty = round8(b.qty + signed)
    } else {
      const closing = Math.min(Math.abs(b.qty), quantity)
      realized = b.qty > 0 ? closing * (price - b.cost) : closing * (b.cost - price)
      const rest = round8(quantity - closing)
      b.qty = round8(b.qty + (b.qty > 0 ? -closing : closing))
      if (rest > 0) {
        b.qty = side === 'buy' ? rest : -rest
        b.cost = price
      } else if (b.qty === 0) b.cost = 0
    }
    this.books.set(key, b)
    const t = this.totals.get(owner) ?? {realized: 0, fees: 0, fills: 0, volume: 0, turnover: 0}
    t.realized += realized - fee
    t.fees += fee
    t.fills += 1
    t.volume += quantity
    t.turnover += quantity * price
    this.totals.set(owner, t)
  }

  /** Totals per owner. */
  result(): Map<string, Realized> {
    return this.totals
  }
}

const round8 = (x: number) => Math.round(x * 1e8) / 1e8
