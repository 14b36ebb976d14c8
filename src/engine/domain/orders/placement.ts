import type {OrdermonConfig} from '../../config/index.js'
import {conflict, invalidInput, notFound, type OrdermonError} from '../../errors.js'
import type {Order, Store, Strategy, User} from '../../store/index.js'
import type {Actor} from '../context.js'
import {orderEvents} from '../events.js'
import {formatOrderId} from '../ids.js'
import {isActiveUser} from '../statuses.js'
import {show} from '../validate.js'
import {validClientOrderId, validSymbol, validTerms, type OrderTerms} from './rules.js'

/** A new order as a caller asks for it (flags, JSON, a strategy's intent): text is fine, it is validated. */
export interface CreateOrderOptions {
  user_id: string
  symbol: string
  side: string
  order_type?: string
  quantity: string | number
  price?: string | number
  stop_price?: string | number
  time_in_force?: string
  strategy_id?: string
  client_order_id?: string
}

/** A new order whose terms are valid; whether its user and strategy allow it is checked in the transaction. */
export interface NewOrder {
  user_id: string
  strategy_id?: string
  symbol: string
  client_order_id?: string
  terms: OrderTerms
}

/** The terms of a new order, checked against config/order.yaml (throws invalidInput). */
export function validNewOrder(options: CreateOrderOptions, limits: OrdermonConfig['order']['validation']): NewOrder {
  const terms = validTerms(options, limits)
  const symbol = validSymbol(options.symbol)
  const client_order_id = validClientOrderId(options.client_order_id)
  const user_id = options.user_id?.trim()
  if (!user_id) throw invalidInput('user id is required.')
  return {user_id, strategy_id: options.strategy_id?.trim() || undefined, symbol, client_order_id, terms}
}

/** Why this order may not be placed (no such user, an inactive one, a foreign or missing strategy), if it may not. */
export function placementRefusal(order: NewOrder, user: User | undefined, strategy: Strategy | undefined): OrdermonError | undefined {
  if (!user) return notFound(`No user id ${show(order.user_id)}.`, 'List users with `ordermon user list`.')
  if (!isActiveUser(user.status)) return conflict(`User ${user.username} is ${user.status}; orders need an active user.`, `Reactivate with \`ordermon user status --username ${user.username} --status active\`.`)
  if (order.strategy_id && !strategy) return notFound(`No strategy ${show(order.strategy_id)}.`)
  if (strategy && strategy.user_id !== order.user_id) return conflict(`Strategy ${order.strategy_id} belongs to ${strategy.user_id}, not ${order.user_id}.`)
  return undefined
}

/**
 * Writes accepted new orders through `tx` (a transaction) under the sequence values `numbers`
 * (reserved beforehand, one per order: see IdBlocks): the order rows, their order_logs and
 * order.created events (and audit rows unless the engine placed them), all in multi-row
 * statements; returns the orders as stored, in the order given.
 */
export async function insertOrders(tx: Store, orders: NewOrder[], numbers: number[], actor: Actor): Promise<Order[]> {
  if (orders.length === 0) return []
  if (numbers.length < orders.length) throw new Error(`insertOrders: ${orders.length} orders, ${numbers.length} ids`)
  const ids = orders.map((_, k) => formatOrderId(numbers[k]!))
  await tx.orders.insert(orders.map((o, k) => ({order_id: ids[k]!, client_order_id: o.client_order_id ?? null, user_id: o.user_id, strategy_id: o.strategy_id ?? null, symbol: o.symbol, ...o.terms, status: 'pending' as const})))
  await tx.orders.insertLogs(orders.map((o, k) => ({order_id: ids[k]!, from_status: null, to_status: 'pending' as const, quantity: o.terms.quantity, price: o.terms.price, reason: 'created', source: actor.source, actor: actor.name})))
  await tx.events.append(
    orders.map((o, k) =>
      orderEvents.created({order_id: ids[k]!, user_id: o.user_id}, actor.source, {
        symbol: o.symbol,
        side: o.terms.side,
        order_type: o.terms.order_type,
        quantity: o.terms.quantity,
        price: o.terms.price,
        strategy_id: o.strategy_id ?? null,
        client_order_id: o.client_order_id ?? null,
      }),
    ),
  )
  if (actor.source !== 'engine')
    for (const [k, o] of orders.entries())
      await tx.audit.record({actor: actor.name, action: 'order.create', target_type: 'order', target: ids[k]!, details: {user_id: o.user_id, symbol: o.symbol, side: o.terms.side, quantity: o.terms.quantity, price: o.terms.price}})
  const rows = new Map((await tx.orders.findMany(ids)).map((o) => [o.order_id, o]))
  return ids.map((id) => rows.get(id)!)
}
