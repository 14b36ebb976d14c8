import type {Knex} from 'knex'
import {insertChunked, type Dialect} from '../dialect.js'

export interface MetricPoint {
  name: string
  value: number
  at: string
  instance_id: string | null
}

/**
 * `metrics`: one row per metric name and sample (a narrow time series: a range query, a
 * downsample or a Prometheus export reads one name without decoding whole snapshots).
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
    const rows = await this.knex('metrics').whereIn('name', names).where('at', '>=', this.dialect.toDb(since)).orderBy('at').limit(limit)
    return rows.map((r) => this.toPoint(r))
  }

  /** Deletes one batch of rows older than `before` (oldest first); returns how many went. */
  async pruneBatch(before: Date, batch: number): Promise<number> {
    const oldest = await this.knex('metrics').orderBy('id').first('id', 'at')
    if (!oldest || Date.parse(this.dialect.toIso(oldest.at)!) >= before.getTime()) return 0
    const first = Number(oldest.id)
    return this.knex('metrics').where('id', '>=', first).where('id', '<', first + batch).where('at', '<', this.dialect.toDb(before)).delete()
  }

  async count(): Promise<number> {
    const row = await this.knex('metrics').count({n: '*'}).first()
    return Number(row?.n ?? 0)
  }

  private toPoint(r: Record<string, any>): MetricPoint {
    return {name: r.name, value: Number(r.value), at: this.dialect.toIso(r.at)!, instance_id: r.instance_id ?? null}
  }
}
