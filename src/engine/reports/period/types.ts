/**
 * The daily / weekly / monthly report (`report daily|weekly|monthly`): one data shape that every
 * format (JSON, CSV, Markdown, PDF) renders. Figures of the period sit beside the same figures of the
 * previous period of the same length, so a reader sees the change without a second report.
 */

export type ReportKind = 'daily' | 'weekly' | 'monthly'
export type ReportFormat = 'pdf' | 'json' | 'csv' | 'md'

/** A figure now and in the previous period; change_pct null when the previous was 0 or unknown. */
export interface Compared {
  current: number | null
  previous: number | null
  change_pct: number | null
}

export interface ReportPeriod {
  kind: ReportKind
  /** As asked: 2024-01-15, 2024-W03, 2024-01. */
  label: string
  /** IANA zone the period's days are counted in. */
  timezone: string
  /** Half-open [start, end) as ISO instants (UTC). */
  start: string
  end: string
  previous: {label: string; start: string; end: string}
}

export interface ReportFilter {
  user_id?: string
  strategy_id?: string
  group?: string
}

export interface StatusCount {
  status: string
  count: Compared
}

export interface SymbolActivity {
  symbol: string
  fills: Compared
  volume: Compared
  turnover: Compared
}

/** Realized P&L by average cost over the period's fills (positions opened before the period count from their first fill in it). */
export interface ActorActivity {
  /** user_id or strategy_id */
  id: string
  /** User name or strategy name (may be Chinese). */
  name: string
  /** For strategies: the owner's user_id. */
  user_id?: string
  orders: Compared
  fills: Compared
  volume: Compared
  turnover: Compared
  fees: Compared
  realized_pnl: Compared
}

export interface ReasonCount {
  status: 'rejected' | 'cancelled'
  reason: string
  count: number
}

export interface ProblemOrder {
  order_id: string
  user_id: string
  strategy_id: string | null
  symbol: string
  side: string
  quantity: number
  price: number | null
  status: 'rejected' | 'cancelled'
  reason: string | null
  created_at: string
  updated_at: string
}

export interface ReportAlert {
  id: number
  rule: string
  level: string
  status: string
  message: string
  raised_at: string
  resolved_at: string | null
}

/** One point of a metric chart: the bucket's start (ISO) and its mean (and max). */
export interface SeriesPoint {
  at: string
  avg: number
  max: number
}

export interface PeriodReport {
  title: string
  period: ReportPeriod
  filter: ReportFilter
  generated_at: string
  /** True when the period has no orders, fills, alerts or metric samples. */
  empty: boolean
  summary: {
    orders: Compared
    fills: Compared
    volume: Compared
    turnover: Compared
    fees: Compared
    realized_pnl: Compared
    rejected: Compared
    cancelled: Compared
    /** rejected / orders, percent. */
    error_rate_pct: Compared
    alerts: Compared
    avg_tps: Compared
    peak_tps: Compared
    avg_latency_ms: Compared
    p99_latency_ms: Compared
    avg_cpu_pct: Compared
    avg_memory_pct: Compared
  }
  orders_by_status: StatusCount[]
  symbols: SymbolActivity[]
  users: ActorActivity[]
  strategies: ActorActivity[]
  /** Best and worst strategies by realized P&L (at most 5 each). */
  top_strategies: ActorActivity[]
  bottom_strategies: ActorActivity[]
  reasons: ReasonCount[]
  /** Rejected and cancelled orders of the period, newest first, at most PROBLEM_ORDER_LIMIT. */
  problem_orders: ProblemOrder[]
  problem_orders_total: number
  alerts: ReportAlert[]
  /** Metric history over the period (bucketed so a month is a few hundred points). */
  series: {tps: SeriesPoint[]; avg_latency_ms: SeriesPoint[]; p99_latency_ms: SeriesPoint[]; cpu_usage: SeriesPoint[]; memory_usage: SeriesPoint[]}
}

/** The rejected/cancelled orders listed one by one; every one of them is counted in `reasons`. */
export const PROBLEM_ORDER_LIMIT = 1000
/** Alerts listed; the summary counts all. */
export const ALERT_LIMIT = 500
