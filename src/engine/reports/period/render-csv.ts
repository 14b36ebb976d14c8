import type {ActorActivity, Compared, PeriodReport} from './types.js'

/**
 * CSV: one file in sections (a `# section` line, a header, rows, a blank line), the layout
 * spreadsheet users open; every compared figure is three columns (current, previous, change %).
 * Text cells are RFC 4180-quoted, and text that a spreadsheet would run as a formula is prefixed
 * with an apostrophe (user and strategy names are typed by people).
 */

type Cell = string | number | null | undefined

function cell(v: Cell): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return String(v)
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

const line = (cells: Cell[]) => cells.map(cell).join(',')
const cmp = (c: Compared): Cell[] => [c.current, c.previous, c.change_pct]
const cmpHead = (name: string) => [name, `${name}_previous`, `${name}_change_pct`]

function section(title: string, header: string[], rows: Cell[][]): string {
  return [`# ${title}`, line(header), ...rows.map(line), ''].join('\n')
}

function actorRows(list: ActorActivity[], strategy: boolean): Cell[][] {
  return list.map((a) => [a.id, a.name, ...(strategy ? [a.user_id] : []), ...cmp(a.orders), ...cmp(a.fills), ...cmp(a.volume), ...cmp(a.turnover), ...cmp(a.fees), ...cmp(a.realized_pnl)])
}
const actorHead = (strategy: boolean) => [strategy ? 'strategy_id' : 'user_id', 'name', ...(strategy ? ['user_id'] : []), ...['orders', 'fills', 'volume', 'turnover', 'fees', 'realized_pnl'].flatMap(cmpHead)]

export function renderCsv(r: PeriodReport): string {
  const p = r.period
  const parts = [
    section('report', ['title', 'kind', 'period', 'timezone', 'start', 'end', 'previous_period', 'user_id', 'strategy_id', 'group', 'generated_at', 'empty'], [
      [r.title, p.kind, p.label, p.timezone, p.start, p.end, p.previous.label, r.filter.user_id, r.filter.strategy_id, r.filter.group, r.generated_at, r.empty ? 'true' : 'false'],
    ]),
    section('summary', ['figure', 'current', 'previous', 'change_pct'], Object.entries(r.summary).map(([k, c]) => [k, ...cmp(c)])),
    section('orders_by_status', ['status', ...cmpHead('orders')], r.orders_by_status.map((s) => [s.status, ...cmp(s.count)])),
    section('symbols', ['symbol', ...cmpHead('fills'), ...cmpHead('volume'), ...cmpHead('turnover')], r.symbols.map((s) => [s.symbol, ...cmp(s.fills), ...cmp(s.volume), ...cmp(s.turnover)])),
    section('users', actorHead(false), actorRows(r.users, false)),
    section('strategies', actorHead(true), actorRows(r.strategies, true)),
    section('top_strategies', actorHead(true), actorRows(r.top_strategies, true)),
    section('bottom_strategies', actorHead(true), actorRows(r.bottom_strategies, true)),
    section('reasons', ['status', 'reason', 'orders'], r.reasons.map((x) => [x.status, x.reason, x.count])),
    section(`problem_orders (${r.problem_orders.length} of ${r.problem_orders_total})`, ['order_id', 'user_id', 'strategy_id', 'symbol', 'side', 'quantity', 'price', 'status', 'reason', 'created_at', 'updated_at'], r.problem_orders.map((o) => [o.order_id, o.user_id, o.strategy_id, o.symbol, o.side, o.quantity, o.price, o.status, o.reason, o.created_at, o.updated_at])),
    section('alerts', ['id', 'rule', 'level', 'status', 'message', 'raised_at', 'resolved_at'], r.alerts.map((a) => [a.id, a.rule, a.level, a.status, a.message, a.raised_at, a.resolved_at])),
    section('metrics', ['metric', 'at', 'avg', 'max'], Object.entries(r.series).flatMap(([name, pts]) => pts.map((pt) => [name, pt.at, pt.avg, pt.max]))),
  ]
  return parts.join('\n')
}
