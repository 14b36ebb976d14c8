import type {ChangedRow, NewEvent, Store, WatchedTable} from '../store/index.js'
import type {OrderStatus} from '../domain/statuses.js'

import {CHANGED_IN_DATABASE, orderEvents, strategyEvents, userEvents} from '../domain/events.js'
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
}

const tables: WatchedTable[] = ['users', 'strategies', 'orders']

/**
 * DB-driven control, as in the original system: a status changed by raw SQL from outside
 * (`UPDATE users SET status=...`, `UPDATE orders SET status='cancelled' ...`) becomes the same events
 * the CLI would have written, plus an order_logs row (source sql) for orders.
 *
 * The database marks such rows (updated_at moved without synced_at, see the migration
 * index_outside_changes), so each poll reads only them, in one locked transaction per table: compare
 * each with the state its history recorded, write history for real changes, mark all of them seen.
 * Nothing depends on timing, so a long outside transaction, a burst, or a change made while the
 * engine was stopped is found all the same. Per table: one query when idle, a fixed handful otherwise.
 */
export class ChangeDetector {
  private readonly batchSize: number

  constructor(private readonly store: Store, options: DetectorOptions = {}) {
    this.batchSize = options.batchSize ?? 5000
  }

  async poll(): Promise<DetectedChange[]> {
    const found: DetectedChange[] = []
    for (const table of tables) found.push(...(await this.pollTable(table)))
    return found
  }

  private async pollTable(table: WatchedTable): Promise<DetectedChange[]> {
    // A cheap unlocked look first: the common case is that nothing changed outside.
    if ((await this.store.changes.dirtyRows(table, 1, false)).length === 0) return []
    return this.store.transaction(async (tx) => {
      const rows = await tx.changes.dirtyRows(table, this.batchSize)
      if (rows.length === 0) return []
      const changes = await this.compare(tx, table, rows)
      const events: NewEvent[] = []
      for (const c of changes) {
        if (c.table === 'orders') {
          await tx.orders.insertLogs([{order_id: c.id, from_status: (c.from as OrderStatus) ?? null, to_status: c.to as OrderStatus, filled_delta: c.filled_delta ?? 0, reason: CHANGED_IN_DATABASE, source: 'sql', actor: 'sql'}])
          events.push(orderEvents.changed({order_id: c.id, user_id: c.user_id}, c.to as OrderStatus, 'sql', {from: c.from, to: c.to, filled_delta: c.filled_delta}))
        } else if (c.table === 'users') {
          events.push(userEvents.statusChanged(c.id, c.from, c.to, CHANGED_IN_DATABASE, 'sql'))
        } else {
          events.push(strategyEvents.statusChanged({strategy_id: c.id, user_id: c.user_id}, c.from, c.to, CHANGED_IN_DATABASE, 'sql'))
        }
      }
      await tx.events.append(events)
      await tx.changes.markSynced(table, rows.map((r) => r.id))
      return changes
    })
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
