import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'
import {MAX_SUFFIX} from './metrics.js'

/**
 * The queries of the daily/weekly/monthly reports. Everything that can be is aggregated by the
 * database (a month of a million orders comes back as a few hundred rows); the one pass that must
 * see each fill in order (realized P&L by average cost) reads them in id batches, never all at once.
 */

export interface ReportScope {
  from: Date
  to: Date
  user_id?: string
  strategy_id?: string
  /** users.group_name */
  group?: string
}

export interface FillRow {
  id: number
  user_id: string
  strategy_id: string | null
  symbol: string
  side: 'buy' | 'sell'
  quantity: number
  price: number
  fee: number
}

export interface ProblemOrderRow {
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

export interface AlertRow {
  id: number
  rule: string
  level: string
  status: string
  message: string
  raised_at: string
  resolved_at: string | null
}

export interface BucketRow {
  name: string
  /** Bucket start, epoch seconds. */
  bucket: number
  avg: number
  max: number
}

// Rows of aggregate queries, read field by field.
type Row = Record<string, any>
const n = (v: unknown) => Number(v ?? 0)
/** Chunks of ids in one IN list (SQLite allows 32,766 bound values; MariaDB has no small limit). */
const ID_CHUNK = 500

export class ReportRepo {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  /** Narrows a query on a table with user_id / strategy_id columns to the scope's filter. */
  private scoped(table: 'orders' | 'fills', timeColumn: string, s: ReportScope): Knex.QueryBuilder {
    const q = this.knex(table).where(timeColumn, '>=', this.dialect.toDb(s.from)).where(timeColumn, '<', this.dialect.toDb(s.to))
    if (s.user_id !== undefined) q.where(`${table}.user_id`, s.user_id)
    if (s.strategy_id !== undefined) q.where(`${table}.strategy_id`, s.strategy_id)
    if (s.group !== undefined) q.whereIn(`${table}.user_id`, this.knex('users').select('user_id').where('group_name', s.group))
    return q
  }

  /** Does any user belong to `group`? (A report on a group nobody is in is a typo.) */
  async groupExists(group: string): Promise<boolean> {
    return (await this.knex('users').where('group_name', group).first('user_id')) !== undefined
  }

  /** Orders created in the period, by status. */
  async ordersByStatus(s: ReportScope): Promise<Map<string, number>> {
    const rows: Row[] = await this.scoped('orders', 'created_at', s).select('status').count({n: '*'}).groupBy('status')
    return new Map(rows.map((r) => [String(r.status), n(r.n)]))
  }

  /** Orders created in the period per user and per strategy. */
  async ordersPer(s: ReportScope, by: 'user_id' | 'strategy_id'): Promise<Map<string, number>> {
    const q = this.scoped('orders', 'created_at', s).select(by).count({n: '*'}).groupBy(by)
    if (by === 'strategy_id') q.whereNotNull('strategy_id')
    const rows: Row[] = await q
    return new Map(rows.map((r) => [String(r[by]), n(r.n)]))
  }

  /** Rejected and cancelled orders of the period by reason (a null reason is ''). */
  async reasons(s: ReportScope): Promise<{status: 'rejected' | 'cancelled'; reason: string; count: number}[]> {
    const rows: Row[] = await this.scoped('orders', 'created_at', s).whereIn('status', ['rejected', 'cancelled']).select('status', 'status_reason').count({n: '*'}).groupBy('status', 'status_reason')
    return rows.map((r) => ({status: r.status, reason: (r.status_reason as string | null) ?? '', count: n(r.n)}))
  }

  /** The newest rejected/cancelled orders of the period, at most `limit`. */
  async problemOrders(s: ReportScope, limit: number): Promise<ProblemOrderRow[]> {
    const rows: Row[] = await this.scoped('orders', 'created_at', s)
      .whereIn('status', ['rejected', 'cancelled'])
      .select('order_id', 'user_id', 'strategy_id', 'symbol', 'side', 'quantity', 'price', 'status', 'status_reason', 'created_at', 'updated_at')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
    return rows.map((r) => ({
      order_id: r.order_id,
      user_id: r.user_id,
      strategy_id: r.strategy_id ?? null,
      symbol: r.symbol,
      side: r.side,
      quantity: n(r.quantity),
      price: r.price === null ? null : n(r.price),
      status: r.status,
      reason: r.status_reason ?? null,
      created_at: this.dialect.toIso(r.created_at)!,
      updated_at: this.dialect.toIso(r.updated_at)!,
    }))
  }

  /** Fills of the period by symbol: count, volume, turnover, fees. */
  async fillsBySymbol(s: ReportScope): Promise<{symbol: string; fills: number; volume: number; turnover: number; fees: number}[]> {
    const rows: Row[] = await this.scoped('fills', 'at', s)
      .select('symbol')
      .count({n: '*'})
      .sum({volume: 'quantity'})
      .sum({fees: 'fee'})
      .select(this.knex.raw('SUM(quantity * price) AS turnover'))
      .groupBy('symbol')
    return rows.map((r) => ({symbol: String(r.symbol), fills: n(r.n), volume: n(r.volume), turnover: n(r.turnover), fees: n(r.fees)}))
  }

  /** The id span of the period's fills (found on the `at` index), or undefined when there are none. */
  async fillIdSpan(s: ReportScope): Promise<{min: number; max: number; count: number} | undefined> {
    const r: Row | undefined = await this.scoped('fills', 'at', s).min({lo: 'id'}).max({hi: 'id'}).count({c: '*'}).first()
    if (!r || r.lo === null || r.lo === undefined) return undefined
    return {min: n(r.lo), max: n(r.hi), count: n(r.c)}
  }

  /**
   * The period's fills in id order (the order they were booked in), `batch` at a time: a keyset
   * walk over the primary key, so memory stays one batch whatever the period holds.
   */
  async *fills(s: ReportScope, batch = 5000): AsyncGenerator<FillRow[]> {
    const span = await this.fillIdSpan(s)
    if (!span) return
    let after = span.min - 1
    for (;;) {
      const rows: Row[] = await this.scoped('fills', 'at', s)
        .where('id', '>', after)
        .where('id', '<=', span.max)
        .select('id', 'user_id', 'strategy_id', 'symbol', 'side', 'quantity', 'price', 'fee')
        .orderBy('id')
        .limit(batch)
      if (rows.length === 0) return
      after = n(rows[rows.length - 1].id)
      yield rows.map((r) => ({id: n(r.id), user_id: r.user_id, strategy_id: r.strategy_id ?? null, symbol: r.symbol, side: r.side, quantity: n(r.quantity), price: n(r.price), fee: n(r.fee)}))
      if (rows.length < batch) return
    }
  }

  /** Names of users (user_id -> name). */
  async userNames(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      for (const r of (await this.knex('users').whereIn('user_id', ids.slice(i, i + ID_CHUNK)).select('user_id', 'name')) as Row[]) out.set(r.user_id, r.name)
    }
    return out
  }

  /** Names and owners of strategies. */
  async strategyNames(ids: string[]): Promise<Map<string, {name: string; user_id: string}>> {
    const out = new Map<string, {name: string; user_id: string}>()
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      for (const r of (await this.knex('strategies').whereIn('strategy_id', ids.slice(i, i + ID_CHUNK)).select('strategy_id', 'name', 'user_id')) as Row[]) out.set(r.strategy_id, {name: r.name, user_id: r.user_id})
    }
    return out
  }

  /** Alerts raised in the period, newest first (at most `limit`), and how many there were. */
  async alerts(from: Date, to: Date, limit: number): Promise<{rows: AlertRow[]; total: number}> {
    const q = () => this.knex('alerts').where('created_at', '>=', this.dialect.toDb(from)).where('created_at', '<', this.dialect.toDb(to))
    const [rows, count] = (await Promise.all([q().select('id', 'rule', 'level', 'status', 'message', 'created_at', 'resolved_at').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit), q().count({c: '*'}).first()])) as [Row[], Row | undefined]
    return {
      rows: rows.map((r) => ({id: n(r.id), rule: r.rule, level: r.level, status: r.status, message: r.message, raised_at: this.dialect.toIso(r.created_at)!, resolved_at: this.dialect.toIso(r.resolved_at)})),
      total: n(count?.c),
    }
  }

  /**
   * Metric history of `names` in [from, to) in buckets of `stepS` seconds: the mean of the rows in
   * the bucket (raw samples and rolled-up means alike) and the highest value (rolled rows' maxima
   * are their `:max` companions).
   */
  async metricBuckets(names: string[], from: Date, to: Date, stepS: number): Promise<BucketRow[]> {
    if (names.length === 0) return []
    const bucket = this.dialect.bucketEpochSql('at', stepS)
    const rows: Row[] = await this.knex('metrics')
      .where('at', '>=', this.dialect.toDb(from))
      .where('at', '<', this.dialect.toDb(to))
      .whereIn('name', [...names, ...names.map((x) => x + MAX_SUFFIX)])
      .select('name', this.knex.raw(`${bucket} AS bucket`))
      .avg({avg: 'value'})
      .max({max: 'value'})
      .groupBy('name', 'bucket')
    const merged = new Map<string, BucketRow>()
    for (const r of rows) {
      const name = String(r.name)
      const base = name.endsWith(MAX_SUFFIX) ? name.slice(0, -MAX_SUFFIX.length) : name
      const key = `${base}\u0000${n(r.bucket)}`
      const row = merged.get(key) ?? {name: base, bucket: n(r.bucket), avg: Number.NaN, max: -Infinity}
      if (base === name) row.avg = n(r.avg)
      row.max = Math.max(row.max, n(r.max))
      merged.set(key, row)
    }
    return [...merged.values()].map((r) => (Number.isNaN(r.avg) ? {...r, avg: r.max} : r)).sort((a, b) => a.bucket - b.bucket || (a.name < b.name ? -1 : 1))
  }
}
