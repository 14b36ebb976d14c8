/** One metrics sample: published every second by the engine as a `system.metrics` event. */
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
  }
  process: {rss_mb: number}
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
