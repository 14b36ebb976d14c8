import {RealizedLedger, type Realized} from '../../domain/reports/realized.js'
import type {ZonedPeriod} from '../../domain/reports/period.js'
import type {Store} from '../../store/index.js'
import type {ReportScope} from '../../store/repos/reports.js'
import {ALERT_LIMIT, PROBLEM_ORDER_LIMIT, type ActorActivity, type Compared, type PeriodReport, type ReportFilter, type SeriesPoint} from './types.js'

/**
 * Gathers a period report: each figure for the period and for the previous one. Aggregates come
 * from the database; fills are read once per period in batches for realized P&L; progress is
 * reported as fills are read (the only part whose cost grows with the period's size).
 */

export interface BuildProgress {
  (done: number, total: number): void
}

const SERIES = ['tps', 'avg_latency_ms', 'p99_latency_ms', 'cpu_usage', 'memory_usage'] as const
const TOP = 5

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits || 0
export function compared(current: number | null, previous: number | null, digits = 2): Compared {
  const c = current === null ? null : round(current, digits)
  const p = previous === null ? null : round(previous, digits)
  const change = c === null || p === null || p === 0 ? null : round(((c - p) / Math.abs(p)) * 100, 1)
  return {current: c, previous: p, change_pct: change}
}

/** Seconds per chart point: a few hundred points whatever the period. */
export function seriesStep(kind: ZonedPeriod['kind']): number {
  return kind === 'daily' ? 300 : kind === 'weekly' ? 1800 : 10_800
}

interface Side {
  status: Map<string, number>
  perUser: Map<string, number>
  perStrategy: Map<string, number>
  symbols: Map<string, {fills: number; volume: number; turnover: number; fees: number}>
  byUser: Map<string, Realized>
  byStrategy: Map<string, Realized>
  alerts: number
  metrics: Record<(typeof SERIES)[number], {avg: number | null; max: number | null}>
}

async function gather(store: Store, scope: ReportScope, stepS: number, progress: (fills: number) => void): Promise<{side: Side; series: Record<(typeof SERIES)[number], SeriesPoint[]>}> {
  const r = store.reports
  const [status, perUser, perStrategy, symbolRows, alertInfo, buckets] = await Promise.all([
    r.ordersByStatus(scope),
    r.ordersPer(scope, 'user_id'),
    r.ordersPer(scope, 'strategy_id'),
    r.fillsBySymbol(scope),
    r.alerts(scope.from, scope.to, 1),
    r.metricBuckets([...SERIES], scope.from, scope.to, stepS),
  ])
  const users = new RealizedLedger()
  const strategies = new RealizedLedger()
  let read = 0
  for await (const batch of r.fills(scope)) {
    for (const f of batch) {
      users.add(f.user_id, f.symbol, f.side, f.quantity, f.price, f.fee)
      if (f.strategy_id !== null) strategies.add(f.strategy_id, f.symbol, f.side, f.quantity, f.price, f.fee)
    }
    read += batch.length
    progress(read)
  }
  const series = Object.fromEntries(SERIES.map((name) => [name, [] as SeriesPoint[]])) as Record<(typeof SERIES)[number], SeriesPoint[]>
  for (const b of buckets) series[b.name as (typeof SERIES)[number]]?.push({at: new Date(b.bucket * 1000).toISOString(), avg: round(b.avg), max: round(b.max)})
  const metrics = Object.fromEntries(
    SERIES.map((name) => {
      const pts = series[name]
      return [name, pts.length === 0 ? {avg: null, max: null} : {avg: pts.reduce((s, p) => s + p.avg, 0) / pts.length, max: Math.max(...pts.map((p) => p.max))}]
    }),
  ) as Side['metrics']
  return {
    side: {
      status,
      perUser,
      perStrategy,
      symbols: new Map(symbolRows.map((s) => [s.symbol, s])),
      byUser: users.result(),
      byStrategy: strategies.result(),
      alerts: alertInfo.total,
      metrics,
    },
    series,
  }
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)
const sumOf = <T>(m: Map<string, T>, f: (t: T) => number) => [...m.values()].reduce((a, t) => a + f(t), 0)

function actors(kind: 'user' | 'strategy', cur: Side, prev: Side, names: Map<string, string>, owners: Map<string, string>): ActorActivity[] {
  const orders = (s: Side) => (kind === 'user' ? s.perUser : s.perStrategy)
  const fills = (s: Side) => (kind === 'user' ? s.byUser : s.byStrategy)
  const ids = new Set([...orders(cur).keys(), ...fills(cur).keys(), ...orders(prev).keys(), ...fills(prev).keys()])
  const out: ActorActivity[] = []
  for (const id of ids) {
    const c = fills(cur).get(id)
    const p = fills(prev).get(id)
    // Listed when active now; the previous period only gives the comparison.
    if (!c && !orders(cur).has(id)) continue
    out.push({
      id,
      name: names.get(id) ?? id,
      ...(kind === 'strategy' ? {user_id: owners.get(id) ?? ''} : {}),
      orders: compared(orders(cur).get(id) ?? 0, orders(prev).get(id) ?? 0, 0),
      fills: compared(c?.fills ?? 0, p?.fills ?? 0, 0),
      volume: compared(c?.volume ?? 0, p?.volume ?? 0, 8),
      turnover: compared(c?.turnover ?? 0, p?.turnover ?? 0),
      fees: compared(c?.fees ?? 0, p?.fees ?? 0),
      realized_pnl: compared(c?.realized ?? 0, p?.realized ?? 0),
    })
  }
  return out.sort((a, b) => (b.turnover.current ?? 0) - (a.turnover.current ?? 0) || (a.id < b.id ? -1 : 1))
}

export interface BuildOptions {
  period: ZonedPeriod
  filter: ReportFilter
  title: string
  now?: Date
  onProgress?: BuildProgress
}

export async function buildPeriodReport(store: Store, o: BuildOptions): Promise<PeriodReport> {
  const {period, filter} = o
  const step = seriesStep(period.kind)
  const scope = (from: Date, to: Date): ReportScope => ({from, to, ...filter})
  // Progress counts fills of both periods; their total is known before reading.
  const [spanNow, spanPrev] = await Promise.all([store.reports.fillIdSpan(scope(period.start, period.end)), store.reports.fillIdSpan(scope(period.previous.start, period.previous.end))])
  const total = (spanNow?.count ?? 0) + (spanPrev?.count ?? 0)
  let prevRead = 0
  o.onProgress?.(0, total)
  const prev = await gather(store, scope(period.previous.start, period.previous.end), step, (n) => {
    prevRead = n
    o.onProgress?.(n, total)
  })
  const cur = await gather(store, scope(period.start, period.end), step, (n) => o.onProgress?.(prevRead + n, total))
  const [problem, reasons, alerts] = await Promise.all([
    store.reports.problemOrders(scope(period.start, period.end), PROBLEM_ORDER_LIMIT),
    store.reports.reasons(scope(period.start, period.end)),
    store.reports.alerts(period.start, period.end, ALERT_LIMIT),
  ])
  o.onProgress?.(total, total)

  const c = cur.side
  const p = prev.side
  const userIds = [...new Set([...c.perUser.keys(), ...c.byUser.keys()])]
  const strategyIds = [...new Set([...c.perStrategy.keys(), ...c.byStrategy.keys()])]
  const [userNames, strategyInfo] = await Promise.all([store.reports.userNames(userIds), store.reports.strategyNames(strategyIds)])
  const strategyNames = new Map([...strategyInfo].map(([id, s]) => [id, s.name]))
  const owners = new Map([...strategyInfo].map(([id, s]) => [id, s.user_id]))

  const orders = (s: Side) => sum(s.status)
  const status = (s: Side, name: string) => s.status.get(name) ?? 0
  const fillsTotal = (s: Side) => sumOf(s.symbols, (x) => x.fills)
  const volume = (s: Side) => sumOf(s.symbols, (x) => x.volume)
  const turnover = (s: Side) => sumOf(s.symbols, (x) => x.turnover)
  const fees = (s: Side) => sumOf(s.symbols, (x) => x.fees)
  const realized = (s: Side) => sumOf(s.byUser, (x) => x.realized)
  const errorRate = (s: Side) => (orders(s) > 0 ? (status(s, 'rejected') / orders(s)) * 100 : null)

  const strategies = actors('strategy', c, p, strategyNames, owners)
  const byPnl = [...strategies].filter((s) => s.fills.current !== 0).sort((a, b) => (b.realized_pnl.current ?? 0) - (a.realized_pnl.current ?? 0))
  const top = byPnl.slice(0, TOP)
  // Worst first; with fewer than 2 x TOP strategies the two lists share some.
  const bottom = byPnl.slice(-TOP).reverse()
  const statuses = ['pending', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired']
  const symbols = [...new Set([...c.symbols.keys()])]
    .map((symbol) => {
      const x = c.symbols.get(symbol)!
      const y = p.symbols.get(symbol)
      return {symbol, fills: compared(x.fills, y?.fills ?? 0, 0), volume: compared(x.volume, y?.volume ?? 0, 8), turnover: compared(x.turnover, y?.turnover ?? 0)}
    })
    .sort((a, b) => (b.turnover.current ?? 0) - (a.turnover.current ?? 0) || (a.symbol < b.symbol ? -1 : 1))
  const empty = orders(c) === 0 && fillsTotal(c) === 0 && c.alerts === 0 && Object.values(cur.series).every((s) => s.length === 0)

  return {
    title: o.title,
    period: {
      kind: period.kind,
      label: period.label,
      timezone: period.timezone,
      start: period.start.toISOString(),
      end: period.end.toISOString(),
      previous: {label: period.previous.label, start: period.previous.start.toISOString(), end: period.previous.end.toISOString()},
    },
    filter,
    generated_at: (o.now ?? new Date()).toISOString(),
    empty,
    summary: {
      orders: compared(orders(c), orders(p), 0),
      fills: compared(fillsTotal(c), fillsTotal(p), 0),
      volume: compared(volume(c), volume(p), 8),
      turnover: compared(turnover(c), turnover(p)),
      fees: compared(fees(c), fees(p)),
      realized_pnl: compared(realized(c), realized(p)),
      rejected: compared(status(c, 'rejected'), status(p, 'rejected'), 0),
      cancelled: compared(status(c, 'cancelled'), status(p, 'cancelled'), 0),
      error_rate_pct: compared(errorRate(c), errorRate(p)),
      alerts: compared(c.alerts, p.alerts, 0),
      avg_tps: compared(c.metrics.tps.avg, p.metrics.tps.avg),
      peak_tps: compared(c.metrics.tps.max, p.metrics.tps.max),
      avg_latency_ms: compared(c.metrics.avg_latency_ms.avg, p.metrics.avg_latency_ms.avg),
      p99_latency_ms: compared(c.metrics.p99_latency_ms.max, p.metrics.p99_latency_ms.max),
      avg_cpu_pct: compared(c.metrics.cpu_usage.avg, p.metrics.cpu_usage.avg),
      avg_memory_pct: compared(c.metrics.memory_usage.avg, p.metrics.memory_usage.avg),
    },
    orders_by_status: statuses.filter((s) => status(c, s) > 0 || status(p, s) > 0).map((s) => ({status: s, count: compared(status(c, s), status(p, s), 0)})),
    symbols,
    users: actors('user', c, p, userNames, new Map()),
    strategies,
    top_strategies: top,
    bottom_strategies: bottom,
    reasons: reasons.sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
    problem_orders: problem,
    problem_orders_total: status(c, 'rejected') + status(c, 'cancelled'),
    alerts: alerts.rows,
    series: cur.series,
  }
}
