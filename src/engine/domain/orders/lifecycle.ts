import {conflict} from '../../errors.js'
import type {FillRow, NewEvent, Order, OrderChange, OrderLogRow, Store} from '../../store/index.js'
import type {ChangeSource, OrderStatus} from '../statuses.js'
import {orderEvents} from '../events.js'
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
  source: ChangeSource
  actor?: string | null
}

/** Everything one change writes, computed without touching the database. */
export interface ChangePlan {
  before: Order
  after: Order
  change: OrderChange
  log: OrderLogRow
  fill?: FillRow
  event: NewEvent
}

const round8 = (n: number) => Math.round(n * 1e8) / 1e8

/**
 * The rules of one order change, in one place: the state machine, fill arithmetic (filled quantity,
 * average price, overfill), and what the history and event rows say. Throws a conflict for a change
 * the state machine forbids. Pure: the single writer (applyChange) and the batch writer both use it,
 * so history always replays to the current state whichever path wrote it.
 */
export function planChange(order: Order, req: ChangeRequest, now = new Date()): ChangePlan {
  const change: OrderChange = {}
  let to: OrderStatus = req.to ?? order.status
  let filledDelta = 0
  let logPrice: number | null = null
  let logQuantity: number | null = null
  let eventType: OrderStatus | 'modified'

  if (req.fill) {
    const {quantity, price} = req.fill
    const filled = round8(order.filled_quantity + quantity)
    if (filled > order.quantity + 1e-9) throw conflict(`Fill of ${quantity} on ${order.order_id} would exceed its quantity (${order.filled_quantity} of ${order.quantity} filled).`)
    to = filled >= order.quantity - 1e-9 ? 'filled' : 'partially_filled'
    assertTransition(order.order_id, order.status, to)
    change.filled_quantity = filled
    change.avg_fill_price = round8(((order.avg_fill_price ?? 0) * order.filled_quantity + price * quantity) / filled)
    change.status = to
    if (to === 'filled') change.filled_at = now
    filledDelta = quantity
    logPrice = price
    eventType = to
  } else if (req.modify) {
    if (req.modify.quantity !== undefined) change.quantity = req.modify.quantity
    if (req.modify.price !== undefined) change.price = req.modify.price
    logQuantity = req.modify.quantity ?? null
    logPrice = req.modify.price ?? null
    eventType = 'modified'
  } else {
    assertTransition(order.order_id, order.status, to)
    change.status = to
    eventType = to
  }
  if (req.reason !== undefined && !req.modify) change.status_reason = req.reason

  const quantity = change.quantity ?? order.quantity
  const filledQuantity = change.filled_quantity ?? order.filled_quantity
  const after: Order = {
    ...order,
    status: to,
    quantity,
    price: change.price !== undefined ? change.price : order.price,
    filled_quantity: filledQuantity,
    remaining_quantity: round8(quantity - filledQuantity),
    avg_fill_price: change.avg_fill_price ?? order.avg_fill_price,
    status_reason: change.status_reason !== undefined ? change.status_reason : order.status_reason,
    filled_at: change.filled_at ? change.filled_at.toISOString() : order.filled_at,
    version: order.version + 1,
    updated_at: now.toISOString(),
  }
  return {
    before: order,
    after,
    change,
    log: {order_id: order.order_id, from_status: order.status, to_status: to, filled_delta: filledDelta, price: logPrice, quantity: logQuantity, reason: req.reason ?? null, source: req.source, actor: req.actor ?? null},
    fill: req.fill
      ? {order_id: order.order_id, user_id: order.user_id, strategy_id: order.strategy_id, symbol: order.symbol, side: order.side, quantity: req.fill.quantity, price: req.fill.price, fee: req.fill.fee ?? 0}
      : undefined,
    event: orderEvents.changed(order, eventType, req.source, {
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
    }),
  }
}

/**
 * Writes one order change — the order row (version-checked), its order_logs row and its events row —
 * through `tx`, which must be a transaction. Returns the order as it now is, or undefined when the
 * order moved on since it was read (the caller re-reads and decides).
 */
export async function applyChange(tx: Store, order: Order, req: ChangeRequest): Promise<Order | undefined> {
  const plan = planChange(order, req)
  if (!(await tx.orders.updateIfVersion(order.order_id, order.version, plan.change))) return undefined
  await tx.orders.insertLogs([plan.log])
  if (plan.fill) await tx.orders.insertFills([plan.fill])
  await tx.events.append(plan.event)
  return (await tx.orders.find(order.order_id))!
}
