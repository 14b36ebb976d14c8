import {conflict} from '../../errors.js'
import {isTerminalOrder, type OrderStatus} from '../statuses.js'

/**
 * The order state machine, in one place. pending -> partially_filled -> filled;
 * pending | partially_filled -> cancelled | expired; pending -> rejected. partially_filled may repeat
 * (another partial fill). Terminal states never change again.
 */
const transitions: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['partially_filled', 'filled', 'cancelled', 'expired', 'rejected'],
  partially_filled: ['partially_filled', 'filled', 'cancelled', 'expired'],
  filled: [],
  cancelled: [],
  rejected: [],
  expired: [],
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to)
}

export function assertTransition(orderId: string, from: OrderStatus, to: OrderStatus): void {
  if (canTransition(from, to)) return
  const why = isTerminalOrder(from) ? `it is already ${from}, a final state` : `${from} cannot become ${to}`
  throw conflict(`Order ${orderId} cannot be ${to === 'partially_filled' ? 'partially filled' : to}: ${why}.`, 'See its history with `ordermon order history --order-id ' + orderId + '`.')
}
