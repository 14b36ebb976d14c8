import type {Order, OrderDetails, OrderLog} from '../../engine/index.js'
import {colorStatus, type Column, heading, renderRecord, renderTable} from '../output.js'

const time = (iso: string | null) => (iso ? iso.slice(0, 23).replace('T', ' ') : null)

export const orderColumns: Column<Order>[] = [
  {header: 'Order ID', get: (o) => o.order_id},
  {header: 'User', get: (o) => o.user_id},
  {header: 'Symbol', get: (o) => o.symbol},
  {header: 'Side', get: (o) => o.side},
  {header: 'Type', get: (o) => o.order_type},
  {header: 'Quantity', get: (o) => o.quantity},
  {header: 'Price', get: (o) => o.price},
  {header: 'Filled', get: (o) => o.filled_quantity},
  {header: 'Status', get: (o) => o.status, color: (t) => colorStatus(t)},
  {header: 'Created', get: (o) => time(o.created_at)?.slice(0, 19)},
]

export const historyColumns: Column<OrderLog>[] = [
  {header: 'Time', get: (l) => time(l.at)},
  {header: 'From', get: (l) => l.from_status ?? '(new)'},
  {header: 'To', get: (l) => l.to_status, color: (t) => colorStatus(t)},
  {header: 'Filled', get: (l) => (l.filled_delta ? `+${l.filled_delta}` : '')},
  {header: 'Price', get: (l) => l.price},
  {header: 'Reason', get: (l) => l.reason},
  {header: 'Source', get: (l) => l.source},
  {header: 'Actor', get: (l) => l.actor},
]

/** The manual's order detail: basic, trade, status and time information, then the execution record. */
export function orderDetails(d: OrderDetails): string {
  const o = d.order
  return [
    heading('Basic information'),
    renderRecord([
      ['Order id', o.order_id],
      ['Client order id', o.client_order_id],
      ['User', o.user_id],
      ['Strategy', o.strategy_id],
      ['Symbol', o.symbol],
    ]),
    '',
    heading('Trade'),
    renderRecord([
      ['Side', o.side],
      ['Order type', o.order_type],
      ['Time in force', o.time_in_force],
      ['Quantity', o.quantity],
      ['Price', o.price],
      ['Stop price', o.stop_price],
    ]),
    '',
    heading('Status'),
    renderRecord([
      ['Status', colorStatus(o.status)],
      ['Reason', o.status_reason],
      ['Filled', o.filled_quantity],
      ['Remaining', o.remaining_quantity],
      ['Average fill price', o.avg_fill_price],
      ['Version', o.version],
    ]),
    '',
    heading('Time'),
    renderRecord([
      ['Created', time(o.created_at)],
      ['Updated', time(o.updated_at)],
      ['Filled', time(o.filled_at)],
    ]),
    '',
    heading('Execution record'),
    renderTable(historyColumns, d.history),
  ].join('\n')
}
