import {filterText, fmt, fmtChange, SUMMARY_ROWS} from './format.js'
import type {ActorActivity, Compared, PeriodReport} from './types.js'

/** Markdown: what the terminal shows without --output, and a .md file for a wiki or a ticket. */

// A pipe or a line break inside a cell would break the table.
const esc = (s: string | null | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '_None._\n'
  const right = header.map((_, i) => rows.every((r) => /^[-+]?[\d,.]+%?$|^-$/.test(r[i] ?? '')))
  return [`| ${header.join(' | ')} |`, `| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => esc(c)).join(' | ')} |`), ''].join('\n')
}

const three = (c: Compared, precise = false) => [fmt(c.current, precise), fmt(c.previous, precise), fmtChange(c)]

function actors(list: ActorActivity[], strategy: boolean): string {
  return table(
    [strategy ? 'Strategy' : 'User', 'Name', ...(strategy ? ['Owner'] : []), 'Orders', 'Fills', 'Volume', 'Turnover', 'Fees', 'Realized P&L', 'P&L previous'],
    list.map((a) => [a.id, a.name, ...(strategy ? [a.user_id ?? ''] : []), fmt(a.orders.current), fmt(a.fills.current), fmt(a.volume.current, true), fmt(a.turnover.current), fmt(a.fees.current), fmt(a.realized_pnl.current), fmt(a.realized_pnl.previous)]),
  )
}

/** The chart series folded into hours (a day's report) or days: mean of the means, highest maximum. */
function metricsTable(r: PeriodReport): string {
  const width = r.period.kind === 'daily' ? 13 : 10
  const rows = new Map<string, Record<string, {sum: number; n: number; max: number}>>()
  for (const [name, points] of Object.entries(r.series)) {
    for (const p of points) {
      const key = p.at.slice(0, width)
      const row = rows.get(key) ?? {}
      const cell = row[name] ?? {sum: 0, n: 0, max: -Infinity}
      cell.sum += p.avg
      cell.n += 1
      cell.max = Math.max(cell.max, p.max)
      row[name] = cell
      rows.set(key, row)
    }
  }
  const avg = (c: {sum: number; n: number} | undefined) => (c ? fmt(c.sum / c.n) : '-')
  return table(
    [r.period.kind === 'daily' ? 'Hour' : 'Day', 'TPS avg', 'TPS peak', 'Latency avg ms', 'p99 ms (worst)', 'CPU %', 'Memory %'],
    [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, x]) => [width === 13 ? `${key.replace('T', ' ')}:00` : key, avg(x.tps), x.tps ? fmt(x.tps.max) : '-', avg(x.avg_latency_ms), x.p99_latency_ms ? fmt(x.p99_latency_ms.max) : '-', avg(x.cpu_usage), avg(x.memory_usage)]),
  )
}

export function renderMarkdown(r: PeriodReport): string {
  const p = r.period
  const out: string[] = [
    `# ${r.title}`,
    '',
    `Period **${p.label}** (${p.timezone}): ${p.start} to ${p.end}; compared with ${p.previous.label}. Scope: ${filterText(r.filter)}. Generated ${r.generated_at}.`,
    '',
  ]
  if (r.empty) out.push('**No activity in this period**: no orders, fills, alerts or metric samples.', '')
  out.push('## Summary', '', table(['Figure', 'This period', 'Previous', 'Change'], SUMMARY_ROWS.map(([label, key, precise]) => [label, ...three(r.summary[key], precise)])))
  out.push('## Orders by status', '', table(['Status', 'Orders', 'Previous', 'Change'], r.orders_by_status.map((s) => [s.status, ...three(s.count)])))
  out.push('## Fills by symbol', '', table(['Symbol', 'Fills', 'Volume', 'Turnover', 'Turnover previous', 'Change'], r.symbols.map((s) => [s.symbol, fmt(s.fills.current), fmt(s.volume.current, true), ...three(s.turnover)])))
  out.push('## Users', '', actors(r.users, false))
  out.push('## Strategies', '', actors(r.strategies, true))
  out.push('## Top strategies (realized P&L)', '', actors(r.top_strategies, true))
  out.push('## Bottom strategies (realized P&L)', '', actors(r.bottom_strategies, true))
  out.push('## Rejected and cancelled orders by reason', '', table(['Status', 'Reason', 'Orders'], r.reasons.map((x) => [x.status, x.reason || '(none given)', fmt(x.count)])))
  out.push(
    `## Rejected and cancelled orders (${fmt(r.problem_orders.length)} of ${fmt(r.problem_orders_total)}, newest first)`,
    '',
    table(['Order', 'User', 'Strategy', 'Symbol', 'Side', 'Quantity', 'Price', 'Status', 'Reason', 'Created'], r.problem_orders.map((o) => [o.order_id, o.user_id, o.strategy_id ?? '', o.symbol, o.side, fmt(o.quantity, true), fmt(o.price), o.status, o.reason ?? '', o.created_at])),
  )
  out.push(`## System metrics by ${r.period.kind === 'daily' ? 'hour' : 'day'} (UTC)`, '', metricsTable(r))
  out.push(`## Alerts (${fmt(r.summary.alerts.current)})`, '', table(['Id', 'Rule', 'Level', 'Status', 'Message', 'Raised', 'Resolved'], r.alerts.map((a) => [String(a.id), a.rule, a.level, a.status, a.message, a.raised_at, a.resolved_at ?? ''])))
  return out.join('\n')
}
