import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'

export const orderSides = ['buy', 'sell'] as const
export const orderTypes = ['market', 'limit', 'stop', 'stop_limit'] as const
export const timesInForce = ['GTC', 'IOC', 'FOK', 'DAY'] as const
export const orderStatuses = ['pending', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired'] as const
export const openOrderStatuses = ['pending', 'partially_filled'] as const
export type OrderStatus = (typeof orderStatuses)[number]

export interface NewOrderRow {
  order_id: string
  client_order_id?: string | null
  user_id: string
  strategy_id?: string | null
  symbol: string
  side: (typeof orderSides)[number]
  order_type: (typeof orderTypes)[number]
  time_in_force: (typeof timesInForce)[number]
  quantity: number
  price?: number | null
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
  source: 'engine' | 'cli' | 'api' | 'sql'
  actor?: string | null
}

export interface FillRow {
  order_id: string
  user_id: string
  strategy_id?: string | null
  symbol: string
  side: 'buy' | 'sell'
  quantity: number
  price: number
  fee?: number
}

export class OrderRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async insert(rows: NewOrderRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.knex('orders').insert(
      rows.map((r) => ({
        client_order_id: null,
        strategy_id: null,
        price: null,
        filled_quantity: 0,
        avg_fill_price: null,
        status_reason: null,
        ...r,
        filled_at: r.filled_at ? this.dialect.toDb(r.filled_at) : null,
      })),
    )
  }

  async insertLogs(rows: OrderLogRow[]): Promise<void> {
    // Multi-row inserts need every column in every row (missing ones would become NULL).
    if (rows.length)
      await this.knex('order_logs').insert(
        rows.map((r) => ({filled_delta: 0, price: null, quantity: null, reason: null, actor: null, ...r})),
      )
  }

  async insertFills(rows: FillRow[]): Promise<void> {
    if (rows.length) await this.knex('fills').insert(rows.map((r) => ({strategy_id: null, fee: 0, ...r})))
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: Array<{status: string; n: number | string}> = await this.knex('orders').select('status').count({n: '*'}).groupBy('status')
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }
}
