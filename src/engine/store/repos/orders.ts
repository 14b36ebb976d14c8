import type {Knex} from 'knex'
import {openOrderStatuses, type ChangeSource, type OrderSide, type OrderStatus, type OrderType, type TimeInForce} from '../../domain/statuses.js'
import {chunkRows, insertChunked, type Dialect} from '../dialect.js'
import {inShards, type ShardScope} from '../shard-scope.js'

export interface Order {
  order_id: string
  client_order_id: string | null
  user_id: string
  strategy_id: string | null
  symbol: string
  side: OrderSide
  order_type: OrderType
  time_in_force: TimeInForce
  quantity: number
  price: number | null
  stop_price: number | null
  filled_quantity: number
  remaining_quantity: number
  avg_fill_price: number | null
  status: OrderStatus
  status_reason: string | null
  version: number
  created_at: string
  updated_at: string
  filled_at: string | null
}

export interface NewOrderRow {
  order_id: string
  client_order_id?: string | null
  user_id: string
  strategy_id?: string | null
  symbol: string
  side: OrderSide
  order_type: OrderType
  time_in_force: TimeInForce
  quantity: number
  price?: number | null
  stop_price?: number | null
  filled_quantity?: number
  avg_fill_price?: number | null
  status: OrderStatus
  status_reason?: string | null
  filled_at?: Date | null
}

export interface OrderLogRow {
  order_id: string
  from_status: OrderStatus | null
  to_status: OrderStatus
  filled_delta?: number
  price?: number | null
  quantity?: number | null
  reason?: string | null
  source: ChangeSource
  actor?: string | null
}

export interface OrderLog extends Required<OrderLogRow> {
  id: number
  at: string
}

export interface FillRow {
  order_id: string
  user_id: string
  strategy_id?: string | null
  symbol: string
  side: OrderSide
  quantity: number
  price: number
  fee?: number
}

export interface Fill extends Required<FillRow> {
  id: number
  at: string
}

export interface OrderFilter {
  user_id?: string
  strategy_id?: string
  status?: OrderStatus[]
  symbol?: string
  since?: Date
  until?: Date
  limit: number
  offset: number
}

/** Columns an order transition may set; `version` always advances by one. */
export interface OrderChange {
  status?: OrderStatus
  status_reason?: string | null
  quantity?: number
  price?: number | null
  filled_quantity?: number
  avg_fill_price?: number | null
  filled_at?: Date | null
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))

export class OrderRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  toOrder(r: Record<string, unknown>): Order {
    const quantity = Number(r.quantity)
    const filled = Number(r.filled_quantity)
    return {
      order_id: String(r.order_id),
      client_order_id: (r.client_order_id as string) ?? null,
      user_id: String(r.user_id),
      strategy_id: (r.strategy_id as string) ?? null,
      symbol: String(r.symbol),
      side: r.side as OrderSide,
      order_type: r.order_type as OrderType,
      time_in_force: r.time_in_force as TimeInForce,
      quantity,
      price: num(r.price),
      stop_price: num(r.stop_price),
      filled_quantity: filled,
      remaining_quantity: +(quantity - filled).toFixed(8),
      avg_fill_price: num(r.avg_fill_price),
      status: r.status as OrderStatus,
      status_reason: (r.status_reason as string) ?? null,
      version: Number(r.version),
      created_at: this.dialect.toIso(r.created_at)!,
      updated_at: this.dialect.toIso(r.updated_at)!,
      filled_at: this.dialect.toIso(r.filled_at),
    }
  }

  async insert(rows: NewOrderRow[]): Promise<void> {
    if (rows.length === 0) return
    // Multi-row inserts need every column in every row (missing ones would become NULL).
    await insertChunked(
      this.knex,
      'orders',
      rows.map((r) => ({
        client_order_id: null,
        strategy_id: null,
        price: null,
        stop_price: null,
        filled_quantity: 0,
        avg_fill_price: null,
        status_reason: null,
        ...r,
        filled_at: r.filled_at ? this.dialect.toDb(r.filled_at) : null,
        ...this.dialect.touch(this.knex),
      })),
    )
  }

  async find(orderId: string): Promise<Order | undefined> {
    const r = await this.knex('orders').where({order_id: orderId}).first()
    return r ? this.toOrder(r) : undefined
  }

  async findMany(orderIds: string[]): Promise<Order[]> {
    if (orderIds.length === 0) return []
    const rows = await this.knex('orders').whereIn('order_id', orderIds)
    return rows.map((r) => this.toOrder(r))
  }

  /** Every open order of the given users (or all, of the scope's shards when given): what the engine monitors (one query). */
  async openForUsers(userIds: string[] | 'all', scope?: ShardScope): Promise<Order[]> {
    const q = this.knex('orders').whereIn('status', [...openOrderStatuses])
    if (userIds !== 'all') q.whereIn('user_id', userIds)
    const rows = await inShards(q, 'user_id', scope)
    return rows.map((r) => this.toOrder(r))
  }

  /** Net position and average buy cost per strategy and symbol, from fills (one query). */
  async positions(strategyIds: string[]): Promise<Array<{strategy_id: string; symbol: string; quantity: number; avg_cost: number}>> {
    if (strategyIds.length === 0) return []
    const rows = await this.knex('fills')
      .whereIn('strategy_id', strategyIds)
      .groupBy('strategy_id', 'symbol')
      .select('strategy_id', 'symbol')
      .select(this.knex.raw("SUM(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) AS qty"))
      .select(this.knex.raw("SUM(CASE WHEN side = 'buy' THEN quantity * price ELSE 0 END) AS cost"))
      .select(this.knex.raw("SUM(CASE WHEN side = 'buy' THEN quantity ELSE 0 END) AS bought"))
    return rows.map((r: Record<string, unknown>) => ({
      strategy_id: String(r.strategy_id),
      symbol: String(r.symbol),
      quantity: Number(r.qty),
      avg_cost: Number(r.bought) > 0 ? Number(r.cost) / Number(r.bought) : 0,
    }))
  }

  async findByClientId(userId: string, clientOrderId: string): Promise<Order | undefined> {
    const r = await this.knex('orders').where({user_id: userId, client_order_id: clientOrderId}).first()
    return r ? this.toOrder(r) : undefined
  }

  private filtered(f: Omit<OrderFilter, 'limit' | 'offset'>): Knex.QueryBuilder {
    return this.knex('orders').where((q) => {
      if (f.user_id) q.where('user_id', f.user_id)
      if (f.strategy_id) q.where('strategy_id', f.strategy_id)
      if (f.status?.length) q.whereIn('status', f.status)
      if (f.symbol) q.where('symbol', f.symbol)
      if (f.since) q.where('created_at', '>=', this.dialect.toDb(f.since))
      if (f.until) q.where('created_at', '<', this.dialect.toDb(f.until))
    })
  }

  async list(f: OrderFilter): Promise<{total: number; orders: Order[]}> {
    const [total, orders] = [await this.count(f), await this.rows(f)]
    return {total, orders}
  }

  /** One page of matching orders, newest first, without counting them all. */
  async rows(f: OrderFilter): Promise<Order[]> {
    const rows = await this.filtered(f).orderBy('id', 'desc').limit(f.limit).offset(f.offset)
    return rows.map((r: Record<string, unknown>) => this.toOrder(r))
  }

  /** Ids of matching orders after `afterId` (internal id), oldest first: how batch jobs walk a set. */
  async idsAfter(f: Omit<OrderFilter, 'limit' | 'offset'>, afterId: number, limit: number): Promise<Array<{id: number; order_id: string}>> {
    const rows = await this.filtered(f).where('id', '>', afterId).orderBy('id').limit(limit).select('id', 'order_id')
    return rows.map((r: Record<string, unknown>) => ({id: Number(r.id), order_id: String(r.order_id)}))
  }

  async count(f: Omit<OrderFilter, 'limit' | 'offset'>): Promise<number> {
    const [{n}] = await this.filtered(f).count({n: '*'})
    return Number(n)
  }

  /** Locks rows for the rest of the transaction on MySQL; SQLite transactions already serialise writers. */
  async findManyForUpdate(orderIds: string[]): Promise<Order[]> {
    if (orderIds.length === 0) return []
    const rows = await this.dialect.forUpdate(this.knex('orders').whereIn('order_id', orderIds))
    return rows.map((r) => this.toOrder(r))
  }

  /**
   * Applies a change only if the order is still at `version` (optimistic locking). Returns false when
   * someone else changed it first; the caller re-reads and decides.
   */
  async updateIfVersion(orderId: string, version: number, change: OrderChange): Promise<boolean> {
    const cols: Record<string, unknown> = {version: version + 1, ...this.dialect.touch(this.knex)}
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) continue
      cols[k] = k === 'filled_at' ? (v ? this.dialect.toDb(v as Date) : null) : v
    }
    const n = await this.knex('orders').where({order_id: orderId, version}).update(cols)
    return n === 1
  }

  /**
   * Writes the new state of many orders with one UPDATE per chunk, for rows the caller has locked in
   * its transaction. updated_at and synced_at are set together, as for every ordermon write.
   */
  async writeStates(orders: Order[]): Promise<void> {
    const cols = ['quantity', 'price', 'filled_quantity', 'avg_fill_price', 'status', 'status_reason', 'version', 'filled_at'] as const
    const now = this.dialect.touchSql()
    const size = chunkRows(this.dialect.client)
    for (let i = 0; i < orders.length; i += size) {
      const chunk = orders.slice(i, i + size)
      const bindings: Knex.RawBinding[] = []
      for (const o of chunk) {
        bindings.push(o.order_id)
        for (const c of cols) bindings.push((c === 'filled_at' ? (o.filled_at ? this.dialect.toDb(new Date(o.filled_at)) : null) : o[c]) as Knex.RawBinding)
      }
      await this.knex.raw(this.dialect.bulkUpdateSql('orders', 'order_id', cols, chunk.length, `updated_at = ${now}, synced_at = ${now}`), bindings)
    }
  }

  async insertLogs(rows: OrderLogRow[]): Promise<void> {
    if (rows.length)
      await insertChunked(this.knex, 'order_logs', rows.map((r) => ({filled_delta: 0, price: null, quantity: null, reason: null, actor: null, ...r})))
  }

  async logs(orderId: string): Promise<OrderLog[]> {
    const rows = await this.knex('order_logs').where({order_id: orderId}).orderBy('id')
    return rows.map((r) => ({
      id: Number(r.id),
      order_id: r.order_id,
      from_status: r.from_status,
      to_status: r.to_status,
      filled_delta: Number(r.filled_delta),
      price: num(r.price),
      quantity: num(r.quantity),
      reason: r.reason,
      source: r.source,
      actor: r.actor,
      at: this.dialect.toIso(r.at)!,
    }))
  }

  async insertFills(rows: FillRow[]): Promise<void> {
    if (rows.length) await insertChunked(this.knex, 'fills', rows.map((r) => ({strategy_id: null, fee: 0, ...r})))
  }

  async fills(filter: {order_id?: string; strategy_id?: string; strategy_ids?: string[]; user_id?: string; since?: Date; until?: Date}): Promise<Fill[]> {
    const rows = await this.knex('fills')
      .where((q) => {
        if (filter.order_id) q.where('order_id', filter.order_id)
        if (filter.strategy_id) q.where('strategy_id', filter.strategy_id)
        if (filter.strategy_ids) q.whereIn('strategy_id', filter.strategy_ids)
        if (filter.user_id) q.where('user_id', filter.user_id)
        if (filter.since) q.where('at', '>=', this.dialect.toDb(filter.since))
        if (filter.until) q.where('at', '<', this.dialect.toDb(filter.until))
      })
      .orderBy('id')
    return rows.map((r) => ({
      id: Number(r.id),
      order_id: r.order_id,
      user_id: r.user_id,
      strategy_id: r.strategy_id,
      symbol: r.symbol,
      side: r.side,
      quantity: Number(r.quantity),
      price: Number(r.price),
      fee: Number(r.fee),
      at: this.dialect.toIso(r.at)!,
    }))
  }

  /** Order counts per strategy and status, for several strategies in one query (a page of them). */
  async statsByStrategy(strategyIds: string[]): Promise<Array<{strategy_id: string; status: OrderStatus; n: number}>> {
    if (strategyIds.length === 0) return []
    const rows = await this.knex('orders').whereIn('strategy_id', strategyIds).select('strategy_id', 'status').count({n: '*'}).groupBy('strategy_id', 'status')
    return rows.map((r: Record<string, any>) => ({strategy_id: String(r.strategy_id), status: r.status as OrderStatus, n: Number(r.n)}))
  }

  /** Order counts for performance figures: total, by status, quantities. */
  async stats(filter: {strategy_id?: string; user_id?: string; since?: Date; until?: Date}): Promise<Array<{status: OrderStatus; n: number; quantity: number; filled: number}>> {
    const rows = await this.filtered(filter)
      .select('status')
      .count({n: '*'})
      .sum({quantity: 'quantity'})
      .sum({filled: 'filled_quantity'})
      .groupBy('status')
    return rows.map((r: Record<string, any>) => ({status: r.status as OrderStatus, n: Number(r.n), quantity: Number(r.quantity ?? 0), filled: Number(r.filled ?? 0)}))
  }

  async countFillsSince(since: Date): Promise<number> {
    const [{n}] = await this.knex('fills').where('at', '>=', this.dialect.toDb(since)).count({n: '*'})
    return Number(n)
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: Array<{status: string; n: number | string}> = await this.knex('orders').select('status').count({n: '*'}).groupBy('status')
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }

  /**
   * Per calendar day in [from, to) (UTC, or `tzOffsetMinutes` east of it), only days with activity:
   * orders created and how many of those were rejected (by created_at), fills, volume (quantity
   * filled) and turnover (quantity × price) by the fill's time. Grouped by the database.
   */
  async dailyActivity(from: Date, to: Date, tzOffsetMinutes = 0): Promise<DailyActivity[]> {
    const lo = this.dialect.toDb(from)
    const hi = this.dialect.toDb(to)
    const [orders, fills] = await Promise.all([
      this.knex('orders')
        .where('created_at', '>=', lo)
        .where('created_at', '<', hi)
        .select(this.knex.raw(`${this.dialect.daySql('created_at', tzOffsetMinutes)} AS day`))
        .count({n: '*'})
        .select(this.knex.raw("SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected"))
        .groupBy('day'),
      this.knex('fills')
        .where('at', '>=', lo)
        .where('at', '<', hi)
        .select(this.knex.raw(`${this.dialect.daySql('at', tzOffsetMinutes)} AS day`))
        .count({n: '*'})
        .sum({volume: 'quantity'})
        .select(this.knex.raw('SUM(quantity * price) AS turnover'))
        .groupBy('day'),
    ])
    const days = new Map<string, DailyActivity>()
    const at = (day: unknown) => {
      const key = String(day)
      let d = days.get(key)
      if (!d) days.set(key, (d = {day: key, orders: 0, rejected: 0, fills: 0, volume: 0, turnover: 0}))
      return d
    }
    for (const r of orders as Array<Record<string, unknown>>) Object.assign(at(r.day), {orders: Number(r.n), rejected: Number(r.rejected ?? 0)})
    for (const r of fills as Array<Record<string, unknown>>) Object.assign(at(r.day), {fills: Number(r.n), volume: Number(r.volume ?? 0), turnover: Number(r.turnover ?? 0)})
    return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1))
  }
}

/** One day of order activity (see OrderRepo.dailyActivity). */
export interface DailyActivity {
  day: string
  orders: number
  rejected: number
  fills: number
  volume: number
  turnover: number
}
