import type {OrdermonConfig} from '../config/index.js'
import {utcDay} from '../domain/time.js'
import type {Logger} from '../logging/logger.js'
import {cleanupLogs} from '../logging/retention.js'
import {METRIC_FIELDS} from '../metrics/snapshot.js'
import type {Store} from '../store/index.js'

export interface HousekeepingOptions {
  store: Store
  config(): OrdermonConfig
  logDir: string
  logger: Logger
  /** Positions of this process's own outbox readers that are not in relay_offsets (the engine's follower). */
  localPositions(): number[]
  /** True once the engine stops: a long prune gives way at the next batch. */
  stopping(): boolean
}

export interface HousekeepingResult {
  events_pruned: number
  metrics_pruned: number
  /** Raw metric samples averaged into rolled-up rows (and deleted) this pass. */
  metrics_rolled_up: number
  alerts_pruned: number
  /** API sign-ins whose refresh token has expired (they can never be used again). */
  sessions_pruned: number
  readers_expired: string[]
  logs_removed: number
}

/** A panel that stopped touching its position for this long is gone (it touches every few seconds). */
export const FEED_EXPIRY_MS = 10 * 60_000
/** Rows of stopped or dead engines are kept this long, for `status` and post-mortems. */
export const INSTANCE_ROWS_KEEP_MS = 7 * 86_400_000
/** One housekeeping pass stops after this long and resumes next time: it never hogs the database. */
const PASS_BUDGET_MS = 20_000
const PAUSE_BETWEEN_BATCHES_MS = 5

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * What keeps a months-long engine's footprint flat: published events and metric samples past
 * their retention are deleted in small batches (never an event a live reader has not passed), raw
 * samples past their own retention are rolled up into coarser rows, stale reader positions
 * expire, expired API sign-ins go, old engine rows go, and log files age out once a day.
 */
export class Housekeeping {
  private logsDay = ''

  constructor(private readonly options: HousekeepingOptions) {}

  async run(now = new Date()): Promise<HousekeepingResult> {
    const deadline = Date.now() + PASS_BUDGET_MS
    const {expired, upTo} = await this.safeEventPosition()
    const result: HousekeepingResult = {events_pruned: 0, metrics_pruned: 0, metrics_rolled_up: 0, alerts_pruned: 0, sessions_pruned: 0, readers_expired: expired, logs_removed: 0}
    const c = this.options.config()
    const eventsBefore = new Date(now.getTime() - c.engine.events_retention_hours * 3_600_000)
    result.events_pruned = await this.drain((batch) => this.options.store.events.pruneBatch(upTo, eventsBefore, batch), deadline)
    result.metrics_pruned = await this.pruneMetrics(now, deadline)
    result.metrics_rolled_up = await this.rollUpMetrics(now, deadline)
    // Resolved alerts (with their notifications) age out; open ones stay whatever their age.
    const alertsBefore = new Date(now.getTime() - c.monitoring.alerts_retention_days * 86_400_000)
    result.alerts_pruned = await this.drain((batch) => this.options.store.alerts.pruneBatch(alertsBefore, batch), deadline)
    result.sessions_pruned = await this.drain((batch) => this.options.store.sessions.pruneExpired(now, batch), deadline)
    await this.options.store.instances.pruneStopped(INSTANCE_ROWS_KEEP_MS)
    result.logs_removed = this.logRetention(now)
    if (result.events_pruned || result.metrics_pruned || result.metrics_rolled_up || result.alerts_pruned || result.sessions_pruned || expired.length) this.options.logger.info('housekeeping', result)
    return result
  }

  /**
   * The newest event id every live reader has passed: named readers (relays, panels) from
   * relay_offsets and this engine's own follower. A reader idle past its expiry is dropped, so a
   * panel killed without a goodbye, or a relay of a Redis prefix no longer used, does not hold
   * the outbox forever.
   */
  private async safeEventPosition(): Promise<{upTo: number; expired: string[]}> {
    const store = this.options.store
    const expiryMs = this.options.config().engine.reader_expiry_hours * 3_600_000
    const positions = [...this.options.localPositions()]
    const expired: string[] = []
    for (const r of await store.events.readers()) {
      if (r.idle_ms > (r.name.startsWith('feed.') ? FEED_EXPIRY_MS : expiryMs)) {
        await store.events.dropReader(r.name)
        expired.push(r.name)
        this.options.logger.warn('outbox reader expired', {reader: r.name, position: r.position, idle_s: Math.round(r.idle_ms / 1000)})
      } else positions.push(r.position)
    }
    return {upTo: positions.length ? Math.min(...positions) : Number.MAX_SAFE_INTEGER, expired}
  }

  /**
   * Metric history past monitoring.metrics_retention_days, raw or rolled up. First, so that rows
   * about to go are not rolled up for nothing.
   */
  private async pruneMetrics(now: Date, deadline: number): Promise<number> {
    const metrics = this.options.store.metrics
    const before = new Date(now.getTime() - this.options.config().monitoring.metrics_retention_days * 86_400_000)
    // By id first (cheap, and most rows are written in time order), then by time for the rest.
    const byId = await this.drain((batch) => metrics.pruneBatch(before, batch), deadline)
    return byId + (await this.drain((batch) => metrics.pruneByAgeBatch(before, batch), deadline))
  }

  /**
   * Raw samples older than monitoring.raw_retention_hours become one row per rollup_interval (the
   * rollup deletes them). A batch of prune_batch raw rows is about this many buckets: a bucket holds
   * rollup_interval / store_interval samples of each stored metric.
   */
  private async rollUpMetrics(now: Date, deadline: number): Promise<number> {
    const m = this.options.config().monitoring
    const rawBefore = new Date(now.getTime() - m.raw_retention_hours * 3_600_000)
    // Raw rows kept as long as the whole history are pruned, never rolled up.
    if (rawBefore.getTime() <= now.getTime() - m.metrics_retention_days * 86_400_000) return 0
    const rowsPerBucket = Math.ceil(m.rollup_interval / m.store_interval) * METRIC_FIELDS.length
    return this.drain((batch) => this.options.store.metrics.rollupBatch(rawBefore, m.rollup_interval, Math.max(1, Math.floor(batch / rowsPerBucket))), deadline)
  }

  private async drain(batch: (size: number) => Promise<number>, deadline: number): Promise<number> {
    const size = this.options.config().engine.prune_batch
    let total = 0
    while (!this.options.stopping() && Date.now() < deadline) {
      const n = await batch(size)
      total += n
      if (n === 0) break
      await sleep(PAUSE_BETWEEN_BATCHES_MS)
    }
    return total
  }

  /** Log files past logging.retention_days: at the first pass and then once per UTC day. */
  private logRetention(now: Date): number {
    const day = utcDay(now)
    if (day === this.logsDay) return 0
    this.logsDay = day
    try {
      const r = cleanupLogs(this.options.logDir, {days: this.options.config().logging.retention_days, now})
      if (r.deleted.length) this.options.logger.info('old logs removed', {files: r.deleted.length, bytes: r.bytes_freed})
      return r.deleted.length
    } catch (error) {
      this.options.logger.warn('log retention failed', {error: String(error)})
      return 0
    }
  }
}
