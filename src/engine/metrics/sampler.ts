import {startOfUtcDay, utcDay} from '../domain/time.js'
import type {Store} from '../store/index.js'
import {LatencyWindow, RateWindow} from './rate-window.js'
import {flattenSnapshot, latencyStats, type MetricsSnapshot} from './snapshot.js'
import {SystemProbe} from './system.js'

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
}

/**
 * Business and host metrics for the engine: rates over a 10 s window (a per-second figure reads 0
 * between bursts), fills today, latency, totals. Each sample is published live; one every
 * storeEveryMs is stored, so the `metrics` table grows by a fixed amount per hour whatever the load.
 */
export class MetricsSampler {
  private readonly transitions = new RateWindow(10)
  private readonly events = new RateWindow(10)
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

  /** Counts one event the engine applied: events/s, TPS (order events) and fills today. */
  onEvent(entityType: string, filledDelta: number, now = new Date()): void {
    const t = now.getTime()
    this.eventsTotal++
    this.events.add(1, t)
    if (entityType !== 'order') return
    this.transitions.add(1, t)
    if (filledDelta > 0) {
      this.rollDay(now)
      this.fillsToday++
    }
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
    const snapshot: MetricsSnapshot = {
      at: now.toISOString(),
      instance_id: this.options.instanceId,
      started_at: this.options.startedAt.toISOString(),
      system: await this.probe.sample(),
      business: {
        active_users: c.users,
        running_strategies: c.strategies,
        open_orders: c.open_orders,
        fills_today: this.fillsToday,
        tps: this.transitions.rate(now.getTime()),
        avg_latency_ms: latency.avg,
        p99_latency_ms: latency.p99,
        events_per_s: this.events.rate(now.getTime()),
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
