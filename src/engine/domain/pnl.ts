/**
 * Profit and loss from fills, by average cost. A buy adds to a long position at its cost (or closes
 * a short, realising entry - exit); a sell mirrors it. Fees reduce realised PnL. Unrealised PnL marks
 * what is still held at a price per symbol (the last fill price when no market price is known).
 */
export interface PnlFill {
  symbol: string
  side: 'buy' | 'sell'
  quantity: number
  price: number
  fee: number
  at?: string
}

export interface Position {
  symbol: string
  quantity: number
  avg_cost: number
  mark_price: number
  unrealized_pnl: number
}

export interface PnlResult {
  realized_pnl: number
  unrealized_pnl: number
  profit_loss: number
  fees: number
  max_drawdown: number
  max_drawdown_pct: number | null
  positions: Position[]
}

// `|| 0` turns -0 into 0: a flat position must not print as -0.
const r2 = (n: number) => Math.round(n * 100) / 100 || 0
const r8 = (n: number) => Math.round(n * 1e8) / 1e8

export function computePnl(fills: PnlFill[], marks: Record<string, number> = {}): PnlResult {
  const book = new Map<string, {qty: number; cost: number; last: number}>()
  let realized = 0
  let fees = 0
  // Drawdown on the realised equity curve: the largest fall from a running peak.
  let peak = 0
  let maxDrawdown = 0
  let peakAtMax = 0
  for (const f of fills) {
    const p = book.get(f.symbol) ?? {qty: 0, cost: 0, last: f.price}
    const signed = f.side === 'buy' ? f.quantity : -f.quantity
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) {
      // Opening or adding: the average cost moves.
      p.cost = (Math.abs(p.qty) * p.cost + f.quantity * f.price) / (Math.abs(p.qty) + f.quantity)
      p.qty = r8(p.qty + signed)
    } else {
      // Closing (and maybe reversing): realise on the closed part at the average cost.
      const closing = Math.min(Math.abs(p.qty), f.quantity)
      realized += p.qty > 0 ? closing * (f.price - p.cost) : closing * (p.cost - f.price)
      const rest = f.quantity - closing
      p.qty = r8(p.qty + (p.qty > 0 ? -closing : closing))
      if (rest > 0) {
        p.qty = f.side === 'buy' ? rest : -rest
        p.cost = f.price
      } else if (p.qty === 0) p.cost = 0
    }
    p.last = f.price
    book.set(f.symbol, p)
    realized -= f.fee
    fees += f.fee
    peak = Math.max(peak, realized)
    if (peak - realized > maxDrawdown) {
      maxDrawdown = peak - realized
      peakAtMax = peak
    }
  }
  const positions: Position[] = []
  let unrealized = 0
  for (const [symbol, p] of book) {
    if (p.qty === 0) continue
    const mark = marks[symbol] ?? p.last
    const u = p.qty * (mark - p.cost)
    unrealized += u
    positions.push({symbol, quantity: p.qty, avg_cost: r8(p.cost), mark_price: mark, unrealized_pnl: r2(u)})
  }
  return {
    realized_pnl: r2(realized),
    unrealized_pnl: r2(unrealized),
    profit_loss: r2(realized + unrealized),
    fees: r2(fees),
    max_drawdown: r2(maxDrawdown),
    max_drawdown_pct: peakAtMax > 0 ? Math.round((maxDrawdown / peakAtMax) * 10_000) / 10_000 : null,
    positions,
  }
}
