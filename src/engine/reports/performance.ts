import {utcDay} from '../domain/time.js'
import type {Store} from '../store/index.js'
import type {DailyStat} from '../store/repos/metrics.js'

/**
 * The performance report (`monitor performance-report`): system and business figures over a range
 * of UTC days, one row per day and a summary, from metric history (`metrics`, raw and rolled up)
 * and the order tables. Everything is aggregated by the database: a year costs a few hundred rows.
 */

/** The figures of a day, or of the whole period. */
export interface PerformanceFigures {
  /** Order transitions per second: time-weighted mean and highest sample (null: no samples). */
  avg_tps: number | null
  peak_tps: number | null
  avg_latency_ms: number | null
  /** The worst stored p99 (each over ~10 s): an upper bound of the period's p99. */
  p99_latency_ms: number | null
  /** Orders created. */
  orders: number
  fills: number
  /** Quantity filled. */
  volume: number
  /** Quantity × price filled. */
  turnover: number
  /** Orders created in the period that were rejected. */
  rejected: number
  /** rejected / orders, percent; null when no orders were created. */
  error_rate_pct: number | null
  avg_cpu_pct: number | null
  peak_cpu_pct: number | null
  avg_memory_pct: number | null
  peak_memory_pct: number | null
}

export interface DailyPerformance extends PerformanceFigures {
  /** YYYY-MM-DD (UTC). */
  date: string
}

/**
 * The --json and --output shape. Days without data are listed too: metric figures null, order
 * figures 0, error_rate_pct null.
 */
export interface PerformanceReport {
  period: {start_date: string; end_date: string; days: number}
  generated_at: string
  summary: PerformanceFigures
  daily: DailyPerformance[]
}

export interface ReportRange {
  /** Inclusive start; the report's days are the UTC days overlapping [from, to). */
  from: Date
  /** Exclusive end. */
  to: Date
  /** Seconds one raw metric sample stands for (monitoring.store_interval; default 10). */
  rawStepS?: number
}

const DAY_MS = 86_400_000
/** Stored metric names (METRIC_FIELDS) the report reads. */
const METRICS = ['tps', 'avg_latency_ms', 'p99_latency_ms', 'cpu_usage', 'memory_usage'] as const
type MetricName = (typeof METRICS)[number]

const round = (x: number, digits: number) => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
const r2 = (x: number | null) => (x === null ? null : round(x, 2))

/** Mean of daily means weighted by the seconds each covers; the highest maximum. */
function combine(stats: DailyStat[]): {avg: number | null; max: number | null} {
  const covered = stats.reduce((s, x) => s + x.covered_s, 0)
  if (stats.length === 0 || covered <= 0) return {avg: null, max: null}
  return {avg: stats.reduce((s, x) => s + x.avg * x.covered_s, 0) / covered, max: Math.max(...stats.map((x) => x.max))}
}

function figures(metric: (name: MetricName) => DailyStat[], activity: {orders: number; rejected: number; fills: number; volume: number; turnover: number}): PerformanceFigures {
  const tps = combine(metric('tps'))
  const cpu = combine(metric('cpu_usage'))
  const memory = combine(metric('memory_usage'))
  return {
    avg_tps: r2(tps.avg),
    peak_tps: r2(tps.max),
    avg_latency_ms: r2(combine(metric('avg_latency_ms')).avg),
    p99_latency_ms: r2(combine(metric('p99_latency_ms')).max),
    orders: activity.orders,
    fills: activity.fills,
    volume: round(activity.volume, 8),
    turnover: round(activity.turnover, 8),
    rejected: activity.rejected,
    error_rate_pct: activity.orders > 0 ? round((activity.rejected / activity.orders) * 100, 2) : null,
    avg_cpu_pct: r2(cpu.avg),
    peak_cpu_pct: r2(cpu.max),
    avg_memory_pct: r2(memory.avg),
    peak_memory_pct: r2(memory.max),
  }
}

export async function performanceReport(store: Store, range: ReportRange, now = new Date()): Promise<PerformanceReport> {
  const {from, to} = range
  const [stats, activity] = await Promise.all([store.metrics.dailyStats([...METRICS], from, to, 0, range.rawStepS ?? 10), store.orders.dailyActivity(from, to)])
  const days: string[] = []
  for (let t = Date.parse(`${utcDay(from)}T00:00:00Z`); t < to.getTime(); t += DAY_MS) days.push(utcDay(new Date(t)))
  const zero = {orders: 0, rejected: 0, fills: 0, volume: 0, turnover: 0}
  const activityOf = new Map(activity.map((a) => [a.day, a]))
  const statOf = new Map(stats.map((s) => [`${s.day} ${s.name}`, s]))
  const daily = days.map((date) => ({date, ...figures((name) => [statOf.get(`${date} ${name}`)].filter((s) => s !== undefined), activityOf.get(date) ?? zero)}))
  const total = activity.reduce((s, a) => ({orders: s.orders + a.orders, rejected: s.rejected + a.rejected, fills: s.fills + a.fills, volume: s.volume + a.volume, turnover: s.turnover + a.turnover}), zero)
  return {
    period: {start_date: days[0] ?? utcDay(from), end_date: utcDay(new Date(to.getTime() - 1)), days: days.length},
    generated_at: now.toISOString(),
    summary: figures((name) => stats.filter((s) => s.name === name), total),
    daily,
  }
}
