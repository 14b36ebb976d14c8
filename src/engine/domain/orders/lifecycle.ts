import {conflict} from '../../errors.js'
import type {Order, OrderChange, OrderLogSource, OrderStatus, Store} from '../../store/index.js'
import {assertTransition} from './state-machine.js'

export interface Fill {
  quantity: number
  price: number
  fee?: number
}

export interface ChangeRequest {
  /** Target status; omitted for a modify (status unchanged) and for fills (derived). */
  to?: OrderStatus
  fill?: Fill
  modify?: {quantity?: number; price?: number | null}
  reason?: string | null
  source: OrderLogSource
  actor?: string | null
}

const round8 = (n: number) => Math.round(n * 1e8) / 1e8

/**
 * Writes one order change — the order row (version-checked), its order_logs row and its events row —
 * through `tx`, which must be a transaction. Returns the order as it now is, or undefined when the
 * order moved on since it was read (the caller re-reads and decides). Every path that changes an
 * order goes through here, so the history always replays to the current state.
 */
export async function applyChange(tx: Store, order: Order, req: ChangeRequest): Promise<Order | undefined> {
  const change: OrderChange = {}
  let to: OrderStatus = req.to ?? order.status
  let filledDelta = 0
  let logPrice: number | null = null
  let logQuantity: number | null = null
  let eventType: string

  if (req.fill) {
    const {quantity, price} = req.fill
    const filled = round8(order.filled_quantity + quantity)
    if (filled > order.quantity + 1e-9) throw conflict(`Fill of ${quantity} on ${order.order_id} would exceed its quantity (${order.filled_quantity} of ${order.quantity} filled).`)
    to = filled >= order.quantity - 1e-9 ? 'filled' : 'partially_filled'
    assertTransition(order.order_id, order.status, to)
    change.filled_quantity = filled
    change.avg_fill_price = round8(((order.avg_fill_price ?? 0) * order.filled_quantity + price * quantity) / filled)
    change.status = to
    if (to === 'filled') change.filled_at = new Date()
    filledDelta = quantity
    logPrice = price
    eventType = `order.${to}`
  } else if (req.modify) {
    if (req.modify.quantity !== undefined) change.quantity = req.modify.quantity
    if (req.modify.price !== undefined) change.price = req.modify.price
    logQuantity = req.modify.quantity ?? null
    logPrice = req.modify.price ?? null
    eventType = 'order.modified'
  } else {
    assertTransition(order.order_id, order.status, to)
    change.status = to
    eventType = `order.${to}`
  }
  if (req.reason !== undefined && !req.modify) change.status_reason = req.reason

  if (!(await tx.orders.updateIfVersion(order.order_id, order.version, change))) return undefined
  await tx.orders.insertLogs([
    {order_id: order.order_id, from_status: order.status, to_status: to, filled_delta: filledDelta, price: logPrice, quantity: logQuantity, reason: req.reason ?? null, source: req.source, actor: req.actor ?? null},
  ])
  if (req.fill) {
    await tx.orders.insertFills([
      {order_id: order.order_id, user_id: order.user_id, strategy_id: order.strategy_id, symbol: order.symbol, side: order.side, quantity: req.fill.quantity, price: req.fill.price, fee: req.fill.fee ?? 0},
    ])
  }
  const after = (await tx.orders.find(order.order_id))!
  await tx.events.append({
    type: eventType,
    entity_type: 'order',
    entity_id: order.order_id,
    user_id: order.user_id,
    source: req.source,
    payload: {
      from: order.status,
      to,
      symbol: order.symbol,
      side: order.side,
      quantity: after.quantity,
      price: after.price,
      filled_quantity: after.filled_quantity,
      filled_delta: filledDelta || undefined,
      fill_price: req.fill?.price,
      strategy_id: order.strategy_id,
      version: after.version,
      reason: req.reason ?? undefined,
    },
  })
  return after
}
