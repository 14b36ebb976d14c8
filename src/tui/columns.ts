import type {EngineSummary} from '../engine/index.js'
import type {AlertRow, OrderRow, PanelModel, StrategyRow, UserRow} from './model.js'

export interface TableColumn<T> {
  header: string
  width: number
  get: (row: T) => string | number | null
  align?: 'left' | 'right'
}

export interface TableSpec<T> {
  rows: (m: PanelModel) => T[]
  key: (row: T) => string
  columns: TableColumn<T>[]
}

const num = (n: number | null) => (n === null ? '-' : n)

export const userTable: TableSpec<UserRow> = {
  rows: (m) => [...m.users.values()],
  key: (u) => u.user_id,
  columns: [
    {header: 'ID', width: 9, get: (u) => u.user_id},
    {header: 'Username', width: 14, get: (u) => u.username},
    {header: 'Name', width: 12, get: (u) => u.name},
    {header: 'Type', width: 13, get: (u) => u.type},
    {header: 'Status', width: 10, get: (u) => u.status},
  ],
}

export const strategyTable: TableSpec<StrategyRow> = {
  rows: (m) => [...m.strategies.values()],
  key: (s) => s.strategy_id,
  columns: [
    {header: 'Strategy', width: 10, get: (s) => s.strategy_id},
    {header: 'Name', width: 18, get: (s) => s.name},
    {header: 'Type', width: 10, get: (s) => s.type},
    {header: 'User', width: 9, get: (s) => s.user_id},
    {header: 'Status', width: 9, get: (s) => s.status},
  ],
}

export const orderTable: TableSpec<OrderRow> = {
  // Newest first: the model keeps orders in update order.
  rows: (m) => [...m.orders.values()].reverse(),
  key: (o) => o.order_id,
  columns: [
    {header: 'Order', width: 10, get: (o) => o.order_id},
    {header: 'User', width: 8, get: (o) => o.user_id},
    {header: 'Symbol', width: 7, get: (o) => o.symbol},
    {header: 'Side', width: 5, get: (o) => o.side},
    {header: 'Qty', width: 7, get: (o) => o.quantity, align: 'right'},
    {header: 'Price', width: 9, get: (o) => num(o.price), align: 'right'},
    {header: 'Filled', width: 7, get: (o) => o.filled_quantity, align: 'right'},
    {header: 'Status', width: 16, get: (o) => o.status},
  ],
}

export const alertTable: TableSpec<AlertRow> = {
  rows: (m) => m.alerts,
  key: (a) => a.key,
  columns: [
    {header: 'Time', width: 9, get: (a) => a.at.slice(11, 19)},
    {header: 'Level', width: 8, get: (a) => a.level},
    {header: 'Type', width: 10, get: (a) => a.category},
    {header: 'Message', width: 40, get: (a) => a.message},
    {header: 'Status', width: 12, get: (a) => a.status},
  ],
}

/** The live engines on the database, from their heartbeat rows (several when they share it). */
export const engineTable: TableSpec<EngineSummary> = {
  rows: (m) => m.engine.list ?? [],
  key: (e) => e.instance_id,
  columns: [
    {header: 'Instance', width: 24, get: (e) => e.instance_id},
    {header: 'Host', width: 12, get: (e) => e.hostname},
    {header: 'PID', width: 7, get: (e) => e.pid, align: 'right'},
    {header: 'Status', width: 16, get: (e) => (e.leader ? `${e.status} leader` : e.status)},
    {header: 'Shards', width: 6, get: (e) => num(e.shards), align: 'right'},
    {header: 'Users', width: 7, get: (e) => num(e.users), align: 'right'},
  ],
}
