import type {EventMessage} from '../bus/channels.js'

/**
 * One metrics sample: taken every second by the engine, published live (Redis `<prefix>metrics`, and
 * the engine's heartbeat row), and stored in `metrics` every monitoring.store_interval seconds.
 */
export interface MetricsSnapshot {
  at: string
  instance_id: string
  /** When the engine started: lets a panel on another machine show its uptime. */
  started_at?: string
  system: {
    cpu_pct: number
    memory_pct: number
    memory_used_mb: number
    memory_total_mb: number
    disk_read_kb_s: number
    disk_write_kb_s: number
    /** Disk throughput against DISK_FULL_SCALE, as a busy-ness percentage for a bar. */
    disk_io_pct: number
    net_rx_kb_s: number
    net_tx_kb_s: number
    /** Network throughput against NET_FULL_SCALE. */
    net_io_pct: number
    /** Space used on the filesystem of the logs (and the SQLite file), percent; absent where unknown. */
    disk_usage_pct?: number
  }
  business: {
    active_users: number
    running_strategies: number
    open_orders: number
    fills_today: number
    /** Order transitions per second over the last second. */
    tps: number
    avg_latency_ms: number | null
    p99_latency_ms: number | null
    events_per_s: number
    /** Rejected order transitions among all order transitions over the last 10 s, percent. */
    error_rate_pct?: number
    /** Database connections in use in the engine's pool. */
    db_pool_in_use?: number
  }
  process: {rss_mb: number; heap_used_mb?: number}
}

/** 100 MB/s of disk and 1 Gbit/s of network count as a full bar. */
export const DISK_FULL_SCALE_KB = 100 * 1024
export const NET_FULL_SCALE_KB = 125 * 1024

/** Latency samples (ms) of the last interval: mean and 99th percentile. */
export function latencyStats(samples: number[]): {avg: number | null; p99: number | null} {
  if (samples.length === 0) return {avg: null, p99: null}
  const sorted = [...samples].sort((a, b) => a - b)
  const avg = sorted.reduce((a, b) => a + b, 0) / sorted.length
  return {avg: Math.round(avg * 10) / 10, p99: Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! * 10) / 10}
}

/**
 * Stored metric names (the names alert rules and reports use) and where each sits in a snapshot.
 * One table, so storing and rebuilding a snapshot cannot drift apart.
 */
export const METRIC_FIELDS = [
  ['cpu_usage', 'system', 'cpu_pct'],
  ['memory_usage', 'system', 'memory_pct'],
  ['memory_used_mb', 'system', 'memory_used_mb'],
  ['memory_total_mb', 'system', 'memory_total_mb'],
  ['disk_read_kb_s', 'system', 'disk_read_kb_s'],
  ['disk_write_kb_s', 'system', 'disk_write_kb_s'],
  ['disk_io_pct', 'system', 'disk_io_pct'],
  ['net_rx_kb_s', 'system', 'net_rx_kb_s'],
  ['net_tx_kb_s', 'system', 'net_tx_kb_s'],
  ['net_io_pct', 'system', 'net_io_pct'],
  ['disk_usage', 'system', 'disk_usage_pct'],
  ['active_users', 'business', 'active_users'],
  ['running_strategies', 'business', 'running_strategies'],
  ['pending_orders', 'business', 'open_orders'],
  ['fills_today', 'business', 'fills_today'],
  ['tps', 'business', 'tps'],
  ['avg_latency_ms', 'business', 'avg_latency_ms'],
  ['p99_latency_ms', 'business', 'p99_latency_ms'],
  ['events_per_s', 'business', 'events_per_s'],
  ['error_rate', 'business', 'error_rate_pct'],
  ['db_pool_in_use', 'business', 'db_pool_in_use'],
  ['rss_mb', 'process', 'rss_mb'],
  ['heap_used_mb', 'process', 'heap_used_mb'],
] as const

export type MetricName = (typeof METRIC_FIELDS)[number][0]
export const METRIC_NAMES: MetricName[] = METRIC_FIELDS.map(([name]) => name)

/** A snapshot as named values, for the `metrics` table. */
export function flattenSnapshot(s: MetricsSnapshot): Record<MetricName, number | null> {
  const out = {} as Record<MetricName, number | null>
  for (const [name, group, key] of METRIC_FIELDS) {
    const v = (s[group] as Record<string, number | null | undefined>)[key]
    out[name] = v === undefined ? null : v
  }
  return out
}

/** A snapshot rebuilt from stored values (missing ones read as 0, latencies as unknown). */
export function snapshotFromValues(at: string, instanceId: string, values: Partial<Record<string, number>>): MetricsSnapshot {
  const snap: MetricsSnapshot = {
    at,
    instance_id: instanceId,
    system: {cpu_pct: 0, memory_pct: 0, memory_used_mb: 0, memory_total_mb: 0, disk_read_kb_s: 0, disk_write_kb_s: 0, disk_io_pct: 0, net_rx_kb_s: 0, net_tx_kb_s: 0, net_io_pct: 0},
    business: {active_users: 0, running_strategies: 0, open_orders: 0, fills_today: 0, tps: 0, avg_latency_ms: null, p99_latency_ms: null, events_per_s: 0},
    process: {rss_mb: 0},
  }
  for (const [name, group, key] of METRIC_FIELDS) {
    const v = values[name]
    if (v !== undefined) (snap[group] as Record<string, number | null>)[key] = v
  }
  return snap
}

/**
 * A sample as the panel and Redis subscribers receive it: the event envelope with `type`
 * system.metrics and id 0 (samples are not outbox events, so they have no id to dedupe by).
 */
export function metricsMessage(snapshot: MetricsSnapshot): EventMessage {
  return {id: 0, type: 'system.metrics', entity_type: 'system', entity_id: snapshot.instance_id, user_id: null, source: 'engine', created_at: snapshot.at, payload: snapshot as unknown as Record<string, unknown>}
}

/** Stored metric rows (one per name and sample) back into snapshots, oldest first. */
export function snapshotsFromPoints(points: {name: string; value: number; at: string; instance_id: string | null}[]): MetricsSnapshot[] {
  const byAt = new Map<string, {at: string; instance: string; values: Record<string, number>}>()
  for (const p of points) {
    const key = `${p.at}|${p.instance_id ?? ''}`
    let entry = byAt.get(key)
    if (!entry) byAt.set(key, (entry = {at: p.at, instance: p.instance_id ?? '', values: {}}))
    entry.values[p.name] = p.value
  }
  return [...byAt.values()].map((e) => snapshotFromValues(e.at, e.instance, e.values))
}
