import type {ChangedRow, NewEvent, OrderStatus, Store, WatchedTable} from '../store/index.js'

export interface DetectedChange {
  table: WatchedTable
  id: string
  user_id: string
  from: string | null
  to: string
  filled_delta?: number
}

export interface DetectorOptions {
  /** Rows whose updated_at falls within this window of the watermark are looked at again (equal timestamps, clock skew). */
  overlapMs?: number
  batchSize?: number
}

const tables: WatchedTable[] = ['users', 'strategies', 'orders']
const strategyVerb: Record<string, string> = {running: 'started', stopped: 'stopped', paused: 'paused', error: 'failed'}

/**
 * DB-driven control, as in the original system: a status changed by raw SQL from outside
 * (`UPDATE users SET status=...`, `UPDATE orders SET status='cancelled' ...`) is noticed by its
 * updated_at and turned into the same events the CLI would have written, plus an order_logs row
 * (source sql) for orders. A row is "changed from outside" when its status differs from the last
 * state its history recorded, so the check is stateless and survives restarts. Six queries per
 * poll, whatever the number of users.
 */
export class ChangeDetector {
  private readonly watermarks = new Map<WatchedTable, number>()
  private readonly overlapMs: number
  private readonly batchSize: number

  constructor(private readonly store: Store, options: DetectorOptions = {}) {
    this.overlapMs = options.overlapMs ?? 2000
    this.batchSize = options.batchSize ?? 5000
  }

  /** Starts from the persisted watermarks, so changes made while the engine was down are found too. */
  async init(now = Date.now()): Promise<void> {
    for (const t of tables) {
      const saved = await this.store.events.offset(`detector.${t}`)
      this.watermarks.set(t, saved > 0 ? saved : now - this.overlapMs)
    }
  }

  async poll(): Promise<DetectedChange[]> {
    const found: DetectedChange[] = []
    for (const table of tables) {
      const since = new Date((this.watermarks.get(table) ?? Date.now()) - this.overlapMs)
      const rows = await this.store.changes.changedSince(table, since, this.batchSize)
      if (rows.length === 0) continue
      const changes = await this.compare(this.store, table, rows)
      if (changes.length) found.push(...(await this.record(changes)))
      const newest = Date.parse(rows.at(-1)!.updated_at)
      if (newest > (this.watermarks.get(table) ?? 0)) {
        this.watermarks.set(table, newest)
        await this.store.events.setOffset(`detector.${table}`, newest)
      }
    }
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

  /** Writes history for each change in one transaction, re-checking under lock that it still stands. */
  private async record(changes: DetectedChange[]): Promise<DetectedChange[]> {
    return this.store.transaction(async (tx) => {
      const table = changes[0]!.table
      // A CLI change may have committed since the poll: compare again with the rows locked.
      const rows = await tx.changes.rowsById(table, changes.map((c) => c.id))
      const fresh = await this.compare(tx, table, rows)
      const events: NewEvent[] = []
      for (const c of fresh) {
        if (c.table === 'orders') {
          await tx.orders.insertLogs([{order_id: c.id, from_status: (c.from as OrderStatus) ?? null, to_status: c.to as OrderStatus, filled_delta: c.filled_delta ?? 0, reason: 'changed in the database', source: 'sql', actor: 'sql'}])
          events.push({type: `order.${c.to}`, entity_type: 'order', entity_id: c.id, user_id: c.user_id, source: 'sql', payload: {from: c.from, to: c.to, filled_delta: c.filled_delta}})
        } else if (c.table === 'users') {
          events.push({type: 'user.status_changed', entity_type: 'user', entity_id: c.id, user_id: c.id, source: 'sql', payload: {from: c.from, to: c.to, reason: 'changed in the database'}})
        } else {
          events.push({type: `strategy.${strategyVerb[c.to] ?? 'updated'}`, entity_type: 'strategy', entity_id: c.id, user_id: c.user_id, source: 'sql', payload: {from: c.from, to: c.to, reason: 'changed in the database'}})
        }
      }
      await tx.events.append(events)
      await tx.changes.markSynced(table, rows.map((r) => r.id))
      return fresh
    })
  }
}
