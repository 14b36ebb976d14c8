import {conflict} from '../../errors.js'
import type {OrderStatus} from '../../store/index.js'

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

export const terminalStatuses: readonly OrderStatus[] = ['filled', 'cancelled', 'rejected', 'expired']

export const isTerminal = (s: OrderStatus) => terminalStatuses.includes(s)
export const isOpen = (s: OrderStatus) => s === 'pending' || s === 'partially_filled'

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to)
}

export function assertTransition(orderId: string, from: OrderStatus, to: OrderStatus): void {
  if (canTransition(from, to)) return
  const why = isTerminal(from) ? `it is already ${from}, a final state` : `${from} cannot become ${to}`
  throw conflict(`Order ${orderId} cannot be ${to === 'partially_filled' ? 'partially filled' : to}: ${why}.`, 'See its history with `ordermon order history --order-id ' + orderId + '`.')
}

export function allowedFrom(from: OrderStatus): readonly OrderStatus[] {
  return transitions[from]
}
