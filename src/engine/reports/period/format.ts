import type {Compared} from './types.js'

/** Number and change formatting shared by the text renderers (Markdown, PDF). */

const grouped = new Intl.NumberFormat('en-US', {maximumFractionDigits: 2})
const fine = new Intl.NumberFormat('en-US', {maximumFractionDigits: 8})

/** 1234567.891 -> 1,234,567.89; null -> '-'. Quantities keep up to 8 decimals. */
export function fmt(x: number | null | undefined, precise = false): string {
  if (x === null || x === undefined) return '-'
  return (precise ? fine : grouped).format(x)
}

/** +12.5% / -3% / '-' (no previous figure to compare with). */
export function fmtChange(c: Compared): string {
  if (c.change_pct === null) return '-'
  return `${c.change_pct > 0 ? '+' : ''}${c.change_pct}%`
}

/** The summary's rows: label, key, whether the figure is a quantity (8 decimals). */
export const SUMMARY_ROWS = [
  ['Orders', 'orders', false],
  ['Fills', 'fills', false],
  ['Volume', 'volume', true],
  ['Turnover', 'turnover', false],
  ['Fees', 'fees', false],
  ['Realized P&L (net of fees)', 'realized_pnl', false],
  ['Rejected orders', 'rejected', false],
  ['Cancelled orders', 'cancelled', false],
  ['Error rate %', 'error_rate_pct', false],
  ['Alerts raised', 'alerts', false],
  ['Average TPS', 'avg_tps', false],
  ['Peak TPS', 'peak_tps', false],
  ['Average latency ms', 'avg_latency_ms', false],
  ['p99 latency ms (worst)', 'p99_latency_ms', false],
  ['Average CPU %', 'avg_cpu_pct', false],
  ['Average memory %', 'avg_memory_pct', false],
] as const

export function filterText(f: {user_id?: string; strategy_id?: string; group?: string}): string {
  const parts = [f.user_id && `user ${f.user_id}`, f.strategy_id && `strategy ${f.strategy_id}`, f.group && `group ${f.group}`].filter(Boolean)
  return parts.length === 0 ? 'all users' : parts.join(', ')
}
