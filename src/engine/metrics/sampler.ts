import {startOfUtcDay, utcDay} from '../domain/time.js'
import type {Store} from '../store/index.js'
import {LatencyWindow, RateWindow} from './rate-window.js'
import {flattenSnapshot, latencyStats, type MetricsSnapshot} from './snapshot.js'
import {diskUsagePct, SystemProbe} from './system.js'

/** Distinct rejection reasons counted (a bounded label set for Prometheus). */
const MAX_REASONS = 50

export interface SamplerOptions {
  instanceId: string
  startedAt: Date
  store: Store
  /** What the engine monitors right now. */
  counts(): {users: number; strategies: number; open_orders: number}
  /** Transition latencies (ms) measured since the previous call. */
  drainLatencies(): number[]
  /** Live publication of each snapshot (Redis), when there is one. */
  publish?(snapshot: MetricsSnapshot): Promise<void>
  /** Milliseconds between snapshots written to `metrics` (read each time: a reload changes it). */
  storeEveryMs(): number
  /** Connections the database pool has checked out. */
  poolInUse?(): number
  /** A path on the filesystem whose usage is reported (the log directory). */
  diskPath?: string
}

/**
 * Business and host metrics for the engine: rates over a 10 s window (a per-second figure reads 0
 * between bursts), fills today, latency, totals. Each sample is published live; one every
 * storeEveryMs is stored, so the `metrics` table grows by a fixed amount per hour whatever the load.
 */
export class MetricsSampler {
  private readonly transitions = new RateWindow(10)
  private readonly events = new RateWindow(10)
  private readonly rejects = new RateWindow(10)
  /** Events applied since the engine started. */
  eventsTotal = 0
  private readonly latency = new LatencyWindow(10)
  private readonly probe = new SystemProbe()
  private fillsToday = 0
  private day = utcDay(new Date())
  private lastStoredAt = 0
  latest?: MetricsSnapshot

  constructor(private readonly options: SamplerOptions) {}

  async init(now = new Date()): Promise<void> {
    this.day = utcDay(now)
    this.fillsToday = await this.options.store.orders.countFillsSince(startOfUtcDay(now))
  }

  /** Fills counted since the engine started. */
  fillsTotal = 0
  /** Rejected orders since the engine started. */
  rejectsTotal = 0

  /** Counts one event the engine applied: events/s, TPS (order events), rejections and fills today. */
  onEvent(entityType: string, filledDelta: number, now = new Date(), rejected = false, reason?: string): void {
    const t = now.getTime()
    this.eventsTotal++
    this.events.add(1, t)
    if (entityType !== 'order') return
    this.transitions.add(1, t)
    if (rejected) {
      this.rejectsTotal++
      this.rejects.add(1, t)
      this.countReject(reason ?? 'unknown')
    }
    if (filledDelta > 0) {
      this.rollDay(now)
      this.fillsToday++
      this.fillsTotal++
    }
  }

  private readonly rejectReasons = new Map<string, number>()

  /** Reasons are free text: the first MAX_REASONS seen are counted apart, the rest as `other`. */
  private countReject(reason: string): void {
    const key = this.rejectReasons.has(reason) || this.rejectReasons.size < MAX_REASONS ? reason.slice(0, 80) : 'other'
    this.rejectReasons.set(key, (this.rejectReasons.get(key) ?? 0) + 1)
  }

  rejectsByReason(): Record<string, number> {
    return Object.fromEntries(this.rejectReasons)
  }

  /** Events per second over the last 10 s (reading it changes nothing). */
  eventsPerSecond(now = Date.now()): number {
    return this.events.rate(now)
  }

  private rollDay(now: Date): void {
    const day = utcDay(now)
    if (day === this.day) return
    this.day = day
    this.fillsToday = 0
  }

  async sample(now = new Date()): Promise<MetricsSnapshot> {
    this.rollDay(now)
    this.latency.add(this.options.drainLatencies(), now.getTime())
    const latency = latencyStats(this.latency.samples(now.getTime()))
    const c = this.options.counts()
    const mem = process.memoryUsage()
    const tps = this.transitions.rate(now.getTime())
    const system = await this.probe.sample()
    const disk = this.options.diskPath ? diskUsagePct(this.options.diskPath) : undefined
    const snapshot: MetricsSnapshot = {
      at: now.toISOString(),
      instance_id: this.options.instanceId,
      started_at: this.options.startedAt.toISOString(),
      system: disk === undefined ? system : {...system, disk_usage_pct: disk},
      business: {
        active_users: c.users,
        running_strategies: c.strategies,
        open_orders: c.open_orders,
        fills_today: this.fillsToday,
        tps,
        avg_latency_ms: latency.avg,
        p99_latency_ms: latency.p99,
        events_per_s: this.events.rate(now.getTime()),
        error_rate_pct: tps > 0 ? Math.round((this.rejects.rate(now.getTime()) / tps) * 10_000) / 100 : 0,
        ...(this.options.poolInUse ? {db_pool_in_use: this.options.poolInUse()} : {}),
      },
      process: {rss_mb: Math.round(mem.rss / 1_048_576), heap_used_mb: Math.round(mem.heapUsed / 1_048_576)},
    }
    this.latest = snapshot
    await this.options.publish?.(snapshot)
    if (now.getTime() - this.lastStoredAt >= this.options.storeEveryMs()) {
      this.lastStoredAt = now.getTime()
      await this.options.store.metrics.insertSample(this.options.instanceId, now, flattenSnapshot(snapshot))
    }
    return snapshot
  }
}
