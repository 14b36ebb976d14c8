import {invalidInput} from '../errors.js'
import type {RangePoint, Store} from '../store/index.js'
import {METRIC_NAMES} from './snapshot.js'

/**
 * Metric history over a time range (GET /api/v1/monitor/metrics): raw samples where they are still
 * kept, one-minute (or coarser) buckets before, per metric name. Bounded: at most 31 days and
 * 10,000 points per answer, so one request cannot make the server read a year of samples.
 */

/** What is given when no names are asked for: the manual's performance figures. */
export const DEFAULT_HISTORY = ['tps', 'avg_latency_ms', 'p99_latency_ms', 'cpu_usage', 'memory_usage', 'disk_usage', 'net_io_pct', 'pending_orders']
const MAX_RANGE_MS = 31 * 86_400_000
const MAX_POINTS = 10_000

export interface MetricHistory {
  start_time: string
  end_time: string
  /** Points per metric, oldest first: `value` the sample (or the bucket's mean), `max` its maximum. */
  metrics: Record<string, Array<{at: string; value: number; max: number; step_s: number; instance_id: string | null}>>
  /** True when the range held more than MAX_POINTS points and the newest were left out. */
  truncated: boolean
}

function instant(field: string, value: string | undefined): Date {
  if (value === undefined || value.trim() === '') throw invalidInput(`${field} is required (an ISO 8601 time such as 2024-01-15T00:00:00Z).`, undefined, {field})
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value.trim())
  const d = new Date(value.trim())
  if (!ok || Number.isNaN(d.getTime())) throw invalidInput(`${field} ${JSON.stringify(value.slice(0, 40))} is not an ISO 8601 time (e.g. 2024-01-15T00:00:00Z).`, undefined, {field})
  return d
}

export class MetricQueries {
  constructor(private readonly store: Store) {}

  async history(o: {start_time?: string; end_time?: string; names?: string[]}): Promise<MetricHistory> {
    const from = instant('start_time', o.start_time)
    const to = instant('end_time', o.end_time)
    if (to <= from) throw invalidInput('end_time must be after start_time.', undefined, {field: 'end_time'})
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw invalidInput('The range is at most 31 days.', 'Ask for a shorter range, or use `ordermon report monthly`.', {field: 'end_time'})
    const names = o.names?.length ? o.names : DEFAULT_HISTORY
    for (const n of names) if (!(METRIC_NAMES as string[]).includes(n)) throw invalidInput(`Unknown metric ${JSON.stringify(n.slice(0, 40))}: expected one of ${METRIC_NAMES.join(', ')}.`, undefined, {field: 'names'})
    // The end is inclusive as the manual writes it (…T23:59:59Z); the store's range is half-open.
    const points: RangePoint[] = await this.store.metrics.range(names, from, new Date(to.getTime() + 1), {limit: MAX_POINTS + 1})
    const metrics: MetricHistory['metrics'] = Object.fromEntries(names.map((n) => [n, []]))
    for (const p of points.slice(0, MAX_POINTS)) metrics[p.name]!.push({at: p.at, value: p.value, max: p.max, step_s: p.step_s, instance_id: p.instance_id})
    return {start_time: from.toISOString(), end_time: to.toISOString(), metrics, truncated: points.length > MAX_POINTS}
  }
}
