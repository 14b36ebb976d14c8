import type {Knex} from 'knex'
import {insertChunked, type Dialect} from '../dialect.js'

export interface MetricPoint {
  name: string
  value: number
  at: string
  instance_id: string | null
}

/** A point of a range read: a raw sample (step_s 0, max = value) or a rolled-up bucket (its average and maximum). */
export interface RangePoint extends MetricPoint {
  /** 0 for a raw sample, else the bucket's length in seconds (`at` is the bucket's start). */
  step_s: number
  max: number
}

export interface RangeOptions {
  /** Only this engine instance's samples. */
  instanceId?: string
  /** At most this many points, oldest first (default 10,000). */
  limit?: number
}

/** One metric over one calendar day. */
export interface DailyStat {
  /** YYYY-MM-DD, in UTC unless an offset was given. */
  day: string
  name: string
  /** Time-weighted mean: a raw sample counts for the raw step, a rolled row for its bucket. */
  avg: number
  /** Highest raw sample, or highest bucket maximum. */
  max: number
  /** Rows read (raw samples and rolled buckets). */
  samples: number
  /** Seconds of the day the rows stand for (the weight of `avg` when days are combined). */
  covered_s: number
}

/**
 * A rolled-up bucket is two rows: `<name>` holding the mean and `<name>:max` the maximum, both with
 * the bucket's step_s. Plain rows rather than a labels JSON `{"max":..}`: maxima are then read with
 * MAX(value) over the indexed name, the same SQL on both databases, with no JSON functions and
 * nothing decoded in JavaScript; and `labels` stays free for real labels.
 */
export const MAX_SUFFIX = ':max'
/** Names longer than this get no `:max` companion (the column holds 64 characters). */
const MAX_NAME = 64 - MAX_SUFFIX.length

/**
 * `metrics`: one row per metric name and sample (a narrow time series: a range query, a
 * downsample or a Prometheus export reads one name without decoding whole snapshots). Raw samples
 * have step_s 0; the rollup replaces old ones by one mean (and one maximum) per step bucket.
 */
export class MetricsRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async insertSample(instanceId: string, at: Date, values: Record<string, number | null>): Promise<void> {
    const when = this.dialect.toDb(at)
    const rows = Object.entries(values)
      .filter(([, v]) => v !== null && Number.isFinite(v))
      .map(([name, value]) => ({name, value, instance_id: instanceId, at: when}))
    await insertChunked(this.knex, 'metrics', rows)
  }

  /** The newest sample of each name since `since` (the panel's figures when it has no live feed). */
  async latest(since: Date): Promise<MetricPoint[]> {
    const newest = this.knex('metrics').max({at: 'at'}).where('at', '>=', this.dialect.toDb(since))
    const rows = await this.knex('metrics').where('at', '=', newest).orderBy('name')
    return rows.map((r) => this.toPoint(r))
  }

  /** Samples of `names` since `since`, oldest first. */
  async history(names: string[], since: Date, limit = 10_000): Promise<MetricPoint[]> {
    // Raw samples only: rolled-up rows (step_s > 0) would read as samples of their own.
    const rows = await this.knex('metrics').whereIn('name', names).where('step_s', 0).where('at', '>=', this.dialect.toDb(since)).orderBy('at').limit(limit)
    return rows.map((r) => this.toPoint(r))
  }

  /**
   * Rolls raw samples older than `olderThan` into one mean and one maximum per (name, instance,
   * `stepS` bucket), then deletes them, in one transaction; at most `maxBuckets` consecutive buckets
   * from the oldest raw sample per call. Only whole buckets are rolled (the cut is rounded down to a
   * bucket boundary), so no bucket is ever rolled twice and calling again is harmless.
   * Returns the number of raw rows rolled up (0: nothing left to do).
   */
  async rollupBatch(olderThan: Date, stepS: number, maxBuckets: number): Promise<number> {
    const stepMs = stepS * 1000
    const cut = Math.floor(olderThan.getTime() / stepMs) * stepMs
    return this.inTransaction(async (trx) => {
      const oldest = await trx('metrics').where('step_s', 0).orderBy('at').first('at')
      if (!oldest) return 0
      const first = Math.floor(Date.parse(this.dialect.toIso(oldest.at)!) / stepMs) * stepMs
      if (first >= cut) return 0
      const from = this.dialect.toDb(new Date(first))
      const to = this.dialect.toDb(new Date(Math.min(cut, first + Math.max(1, Math.floor(maxBuckets)) * stepMs)))
      const window = () => trx('metrics').where('step_s', 0).where('at', '>=', from).where('at', '<', to)
      // Locked on MySQL, so two engines' housekeeping cannot roll the same rows twice.
      const groups: Array<{name: string; instance_id: string | null; bucket: number | string; avg: number | string; max: number | string}> = await this.dialect.forUpdate(
        window()
          .select('name', 'instance_id', trx.raw(`${this.dialect.bucketEpochSql('at', stepS)} AS bucket`))
          .avg({avg: 'value'})
          .max({max: 'value'})
          .groupBy('name', 'instance_id', 'bucket'),
      )
      const rows = groups.flatMap((g) => {
        const row = {name: g.name, value: Number(g.avg), labels: null, instance_id: g.instance_id ?? null, at: this.dialect.toDb(new Date(Number(g.bucket) * 1000)), step_s: stepS}
        return g.name.length > MAX_NAME ? [row] : [row, {...row, name: g.name + MAX_SUFFIX, value: Number(g.max)}]
      })
      await insertChunked(trx, 'metrics', rows)
      return window().delete()
    })
  }

  /**
   * Points of `names` in [from, to), oldest first: raw samples where they exist, rolled-up buckets
   * before them. The rollup moves one cut forward for every name at once, so the oldest raw sample
   * in the range (found on the (step_s, at) index) is where the raw part begins.
   */
  async range(names: string[], from: Date, to: Date, opts: RangeOptions = {}): Promise<RangePoint[]> {
    if (names.length === 0 || from >= to) return []
    const limit = opts.limit ?? 10_000
    const scoped = (q: Knex.QueryBuilder, lo: Date, hi: Date) => {
      q.where('at', '>=', this.dialect.toDb(lo)).where('at', '<', this.dialect.toDb(hi))
      if (opts.instanceId !== undefined) q.where('instance_id', opts.instanceId)
      return q
    }
    const firstRaw = await scoped(this.knex('metrics').where('step_s', 0), from, to).orderBy('at').first('at')
    const rawFrom = firstRaw ? new Date(this.dialect.toIso(firstRaw.at)!) : to
    const out: RangePoint[] = []
    if (rawFrom > from) {
      const rolled = await scoped(this.knex('metrics').where('step_s', '>', 0), from, rawFrom)
        .whereIn('name', [...names, ...names.map((n) => n + MAX_SUFFIX)])
        .orderBy('at')
        .orderBy('name')
        .orderBy('instance_id')
        .limit(limit * 2)
      const key = (name: string, r: Record<string, unknown>) => `${name}\u0000${r.instance_id ?? ''}\u0000${this.dialect.toIso(r.at)}\u0000${r.step_s}`
      const maxima = new Map<string, number>()
      for (const r of rolled) if (r.name.endsWith(MAX_SUFFIX)) maxima.set(key(r.name.slice(0, -MAX_SUFFIX.length), r), Number(r.value))
      for (const r of rolled) {
        if (!names.includes(r.name)) continue
        const p = this.toPoint(r)
        out.push({...p, step_s: Number(r.step_s), max: maxima.get(key(r.name, r)) ?? p.value})
      }
    }
    if (rawFrom < to && out.length < limit) {
      const raw = await scoped(this.knex('metrics').where('step_s', 0), rawFrom, to).whereIn('name', names).orderBy('at').orderBy('name').orderBy('instance_id').limit(limit - out.length)
      for (const r of raw) {
        const p = this.toPoint(r)
        out.push({...p, step_s: 0, max: p.value})
      }
    }
    return out.slice(0, limit)
  }

  /**
   * Per calendar day and name in [from, to): the time-weighted mean, the maximum, rows and seconds
   * covered, aggregated by the database (a few rows per day whatever the number of samples).
   * `rawStepS` is what one raw sample stands for (monitoring.store_interval); `tzOffsetMinutes`
   * moves the day boundary east of UTC. For p99_latency_ms the maximum is the day's p99 (the worst
   * 10-second p99: a bound, not a true daily percentile).
   */
  async dailyStats(names: string[], from: Date, to: Date, tzOffsetMinutes = 0, rawStepS = 10): Promise<DailyStat[]> {
    if (names.length === 0 || from >= to) return []
    const weight = 'CASE WHEN step_s = 0 THEN ? ELSE step_s END'
    const rows: Array<Record<string, unknown>> = await this.knex('metrics')
      .whereIn('name', [...names, ...names.map((n) => n + MAX_SUFFIX)])
      .where('at', '>=', this.dialect.toDb(from))
      .where('at', '<', this.dialect.toDb(to))
      .select(this.knex.raw(`${this.dialect.daySql('at', tzOffsetMinutes)} AS day`), 'name')
      .select(this.knex.raw(`SUM(value * ${weight}) AS weighted`, [rawStepS]), this.knex.raw(`SUM(${weight}) AS covered`, [rawStepS]))
      .max({max: 'value'})
      .count({n: '*'})
      .groupBy('day', 'name')
      .orderBy('day')
      .orderBy('name')
    const stats = new Map<string, DailyStat>()
    for (const r of rows) {
      const name = String(r.name)
      if (name.endsWith(MAX_SUFFIX) && !names.includes(name)) continue
      const covered = Number(r.covered)
      stats.set(`${r.day}\u0000${name}`, {day: String(r.day), name, avg: Number(r.weighted) / covered, max: Number(r.max), samples: Number(r.n), covered_s: covered})
    }
    // A bucket's maximum lives in its `:max` row.
    for (const r of rows) {
      const name = String(r.name)
      if (!name.endsWith(MAX_SUFFIX) || names.includes(name)) continue
      const s = stats.get(`${r.day}\u0000${name.slice(0, -MAX_SUFFIX.length)}`)
      if (s) s.max = Math.max(s.max, Number(r.max))
    }
    return [...stats.values()]
  }

  /** Deletes one batch of rows older than `before` (oldest first); returns how many went. */
  async pruneBatch(before: Date, batch: number): Promise<number> {
    const oldest = await this.knex('metrics').orderBy('id').first('id', 'at')
    if (!oldest || Date.parse(this.dialect.toIso(oldest.at)!) >= before.getTime()) return 0
    const first = Number(oldest.id)
    return this.knex('metrics').where('id', '>=', first).where('id', '<', first + batch).where('at', '<', this.dialect.toDb(before)).delete()
  }

  /**
   * Deletes one batch of rows older than `before`, found by time (the `at` index). pruneBatch walks
   * ids from the lowest, which stops at the first young row: a rolled-up row is written long after
   * its time (when its raw rows age out), so its id says little about its age.
   */
  async pruneByAgeBatch(before: Date, batch: number): Promise<number> {
    const ids = await this.knex('metrics').where('at', '<', this.dialect.toDb(before)).limit(batch).pluck('id')
    if (ids.length === 0) return 0
    return this.knex('metrics').whereIn('id', ids).delete()
  }

  async count(): Promise<number> {
    const row = await this.knex('metrics').count({n: '*'}).first()
    return Number(row?.n ?? 0)
  }

  /** `work` in this repo's transaction, or in a new one (the write lock taken first on SQLite: see Dialect). */
  private async inTransaction<T>(work: (trx: Knex) => Promise<T>): Promise<T> {
    if (this.knex.isTransaction) return work(this.knex)
    return this.knex.transaction(async (trx) => {
      if (this.dialect.lockWritersAtBegin) await this.dialect.takeWriteLock(trx)
      return work(trx)
    })
  }

  private toPoint(r: Record<string, any>): MetricPoint {
    return {name: r.name, value: Number(r.value), at: this.dialect.toIso(r.at)!, instance_id: r.instance_id ?? null}
  }
}
