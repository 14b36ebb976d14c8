import type {Knex} from 'knex'
import {statusEventTypes} from '../../domain/events.js'
import type {Dialect} from '../dialect.js'

export type WatchedTable = 'users' | 'strategies' | 'orders'

export interface ChangedRow {
  table: WatchedTable
  id: string
  user_id: string
  status: string
  filled_quantity: number
  updated_at: string
}

const idColumn: Record<WatchedTable, string> = {users: 'user_id', strategies: 'strategy_id', orders: 'order_id'}
const tables: WatchedTable[] = ['users', 'strategies', 'orders']

/**
 * The queries behind DB-driven control: rows changed outside ordermon (the database marks them, see
 * the migration index_outside_changes) and the last recorded state of those rows. A fixed number of
 * queries per scan, whatever the number of users.
 */
export class ChangeRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  private columns(table: WatchedTable): string[] {
    return [`${idColumn[table]} as id`, 'user_id', 'status', 'updated_at', ...(table === 'orders' ? ['filled_quantity'] : [])]
  }

  private toRow(table: WatchedTable, r: Record<string, unknown>): ChangedRow {
    return {table, id: String(r.id), user_id: String(r.user_id), status: String(r.status), filled_quantity: Number(r.filled_quantity ?? 0), updated_at: this.dialect.toIso(r.updated_at)!}
  }

  /**
   * Rows changed outside ordermon, oldest first, read without locks. Ordered by the table's own id,
   * qualified: a bare `id` is the select list's alias (`order_id as id`), so MySQL sorted by the
   * string key, and at 100,000 orders walked that key's index instead: a full scan per poll.
   */
  async dirtyRows(table: WatchedTable, limit: number): Promise<ChangedRow[]> {
    const q = this.knex.from(this.dialect.tableVia(this.knex, table, `idx_${table}_dirty`))
    const rows = await this.dialect.whereDirty(q).orderBy(`${table}.id`).limit(limit).select(this.columns(table))
    return rows.map((r: Record<string, unknown>) => this.toRow(table, r))
  }

  /** Which watched tables have rows changed outside ordermon: one cheap indexed query for all three (the idle poll). */
  async dirtyTables(): Promise<Set<WatchedTable>> {
    const sql = `SELECT ${tables.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE ${this.dialect.dirtyCondition}) AS ${t}`).join(', ')}`
    const [row] = this.dialect.rawRows(await this.knex.raw(sql))
    return new Set(tables.filter((t) => Number(row?.[t]) === 1))
  }

  /**
   * The rows of `ids` still changed outside ordermon, as they are now, locked for the transaction
   * (MySQL) through the table's unique key, so exactly these rows are locked. A locking scan of the
   * dirty index would also lock that index's gaps, which stalls every insert of a new row (order
   * creation) and every raw UPDATE from outside until the detector commits.
   */
  async lockDirty(table: WatchedTable, ids: string[]): Promise<ChangedRow[]> {
    if (ids.length === 0) return []
    const key = idColumn[table]
    const q = this.knex.from(this.dialect.tableVia(this.knex, table, `${table}_${key}_unique`)).whereIn(key, ids)
    const rows = await this.dialect.forUpdate(this.dialect.whereDirty(q).select(this.columns(table)))
    const order = new Map(ids.map((id, i) => [id, i]))
    return rows.map((r: Record<string, unknown>) => this.toRow(table, r)).sort((a: ChangedRow, b: ChangedRow) => order.get(a.id)! - order.get(b.id)!)
  }

  /** Marks rows as seen, as they are: synced_at takes their updated_at, which is assigned to itself so it does not move. */
  async markSynced(table: WatchedTable, ids: string[]): Promise<void> {
    if (ids.length) await this.knex(table).whereIn(idColumn[table], ids).update({synced_at: this.knex.ref('updated_at'), updated_at: this.knex.ref('updated_at')})
  }

  /** For each order: the status its history ends at and the quantity its history has filled. */
  async orderHistoryState(orderIds: string[]): Promise<Map<string, {status: string; filled: number}>> {
    const out = new Map<string, {status: string; filled: number}>()
    if (orderIds.length === 0) return out
    const last = await this.knex('order_logs')
      .whereIn('id', this.knex('order_logs').whereIn('order_id', orderIds).groupBy('order_id').max('id'))
      .select('order_id', 'to_status')
    const sums: Array<{order_id: string; filled: number | string | null}> = await this.knex('order_logs').whereIn('order_id', orderIds).groupBy('order_id').select('order_id').sum({filled: 'filled_delta'})
    for (const r of last) out.set(String(r.order_id), {status: String(r.to_status), filled: 0})
    for (const r of sums) {
      const e = out.get(String(r.order_id))
      if (e) e.filled = Number(r.filled ?? 0)
    }
    return out
  }

  /**
   * For users and strategies: the status their last status event recorded (events carry `to`, or
   * `status` for creations). Rows with no event at all are missing from the map.
   */
  async lastRecordedStatus(entityType: 'user' | 'strategy', ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    if (ids.length === 0) return out
    const types = statusEventTypes[entityType]
    const rows = await this.knex('events')
      .whereIn('id', this.knex('events').where({entity_type: entityType}).whereIn('entity_id', ids).whereIn('type', types).groupBy('entity_id').max('id'))
      .select('entity_id', 'payload')
    for (const r of rows) {
      const p = this.dialect.fromJson<{to?: string; status?: string}>(r.payload, {})
      const s = p.to ?? p.status
      if (s) out.set(String(r.entity_id), s)
    }
    return out
  }
}
