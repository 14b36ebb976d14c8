import {CHANGED_IN_DATABASE, orderEvents, strategyEvents, userEvents} from '../domain/events.js'
import type {OrderStatus} from '../domain/statuses.js'
import type {ChangedRow, NewEvent, OrderLogRow, Store, WatchedTable} from '../store/index.js'

export interface DetectedChange {
  table: WatchedTable
  id: string
  user_id: string
  from: string | null
  to: string
  filled_delta?: number
}

export interface DetectorOptions {
  /** Dirty rows handled per table per poll. */
  batchSize?: number
  /** Called right after a poll's transaction commits events: the engine wakes its relay then, not at its next timer. */
  onCommit?: (events: number) => void
}

const tables: WatchedTable[] = ['users', 'strategies', 'orders']

/**
 * DB-driven control, as in the original system: a status changed by raw SQL from outside
 * (`UPDATE users SET status=...`, `UPDATE orders SET status='cancelled' ...`) becomes the same events
 * the CLI would have written, plus an order_logs row (source sql) for orders.
 *
 * The database marks such rows (updated_at moved without synced_at, see the migration
 * index_outside_changes), so each poll reads only them: one unlocked query tells which tables have
 * any; per such table the dirty rows are listed without locks; then one transaction locks those rows
 * by key and reads them again, compares each with the state its history recorded, writes history
 * for real changes (multi-row) and marks all of them seen. Nothing depends on timing, so a long
 * outside transaction, a burst, or a change made while the engine was stopped is found all the
 * same. One query when idle, a fixed handful per changed table otherwise.
 */
export class ChangeDetector {
  private readonly batchSize: number

  constructor(private readonly store: Store, private readonly options: DetectorOptions = {}) {
    this.batchSize = options.batchSize ?? 5000
  }

  async poll(): Promise<DetectedChange[]> {
    const dirty = await this.store.changes.dirtyTables()
    if (dirty.size === 0) return []
    const candidates: Array<[WatchedTable, string[]]> = []
    for (const table of tables) {
      if (!dirty.has(table)) continue
      const rows = await this.store.changes.dirtyRows(table, this.batchSize)
      if (rows.length) candidates.push([table, rows.map((r) => r.id)])
    }
    if (candidates.length === 0) return []
    const found = await this.store.transaction(async (tx) => {
      const changes: DetectedChange[] = []
      const seen: Array<[WatchedTable, string[]]> = []
      for (const [table, ids] of candidates) {
        const rows = await tx.changes.lockDirty(table, ids)
        if (rows.length === 0) continue
        changes.push(...(await this.compare(tx, table, rows)))
        seen.push([table, rows.map((r) => r.id)])
      }
      const logs: OrderLogRow[] = []
      const events: NewEvent[] = []
      for (const c of changes) {
        if (c.table === 'orders') {
          logs.push({order_id: c.id, from_status: (c.from as OrderStatus) ?? null, to_status: c.to as OrderStatus, filled_delta: c.filled_delta ?? 0, reason: CHANGED_IN_DATABASE, source: 'sql', actor: 'sql'})
          events.push(orderEvents.changed({order_id: c.id, user_id: c.user_id}, c.to as OrderStatus, 'sql', {from: c.from, to: c.to, filled_delta: c.filled_delta}))
        } else if (c.table === 'users') events.push(userEvents.statusChanged(c.id, c.from, c.to, CHANGED_IN_DATABASE, 'sql'))
        else events.push(strategyEvents.statusChanged({strategy_id: c.id, user_id: c.user_id}, c.from, c.to, CHANGED_IN_DATABASE, 'sql'))
      }
      await tx.orders.insertLogs(logs)
      await tx.events.append(events)
      for (const [table, ids] of seen) await tx.changes.markSynced(table, ids)
      return changes
    })
    if (found.length) this.options.onCommit?.(found.length)
    return found
  }

  private async compare(store: Store, table: WatchedTable, rows: ChangedRow[]): Promise<DetectedChange[]> {
    const ids = rows.map((r) => r.id)
    if (table === 'orders') {
      const history = await store.changes.orderHistoryState(ids)
      return rows.flatMap((r) => {
        const h = history.get(r.id)
        const delta = +(r.filled_quantity - (h?.filled ?? 0)).toFixed(8)
        if (h && h.status === r.status && Math.abs(delta) < 1e-9) return []
        return [{table, id: r.id, user_id: r.user_id, from: h?.status ?? null, to: r.status, filled_delta: delta || undefined}]
      })
    }
    const recorded = await store.changes.lastRecordedStatus(table === 'users' ? 'user' : 'strategy', ids)
    return rows.flatMap((r) => (recorded.get(r.id) === r.status ? [] : [{table, id: r.id, user_id: r.user_id, from: recorded.get(r.id) ?? null, to: r.status}]))
  }
}
