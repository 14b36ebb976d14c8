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

  /** Rows changed outside ordermon, oldest first, locked for the transaction on MySQL. */
  async dirtyRows(table: WatchedTable, limit: number, lock = true): Promise<ChangedRow[]> {
    const q = this.dialect.whereDirty(this.knex(table)).orderBy('id').limit(limit).select(this.columns(table))
    const rows = await (lock ? this.dialect.forUpdate(q) : q)
    return rows.map((r: Record<string, unknown>) => this.toRow(table, r))
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
