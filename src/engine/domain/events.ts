import type {NewEvent} from '../store/index.js'
import type {ChangeSource, OrderStatus, StrategyStatus, UserStatus} from './statuses.js'

/**
 * Every outbox event is built here: the services, the order lifecycle, the batcher and the change
 * detector (raw SQL) all describe a change through these functions, so an event's type, entity and
 * payload read the same whichever path wrote it. Subscribers (Redis, the panel, the engine's own
 * state sync) and the change detector's "what did history last record?" rely on that.
 */

type Payload = Record<string, unknown>

/** The verb of each strategy status in its event type: running -> strategy.started. */
export const strategyStatusVerb: Record<StrategyStatus, string> = {running: 'started', stopped: 'stopped', paused: 'paused', error: 'failed'}

/** Event types that record a user's or a strategy's status (`to`, or `status` on creation). */
export const statusEventTypes = {
  user: ['user.created', 'user.status_changed'],
  strategy: ['strategy.created', ...Object.values(strategyStatusVerb).map((v) => `strategy.${v}`)],
} as const

/** The reason recorded for a change made by raw SQL from outside. */
export const CHANGED_IN_DATABASE = 'changed in the database'

function event(entity_type: NewEvent['entity_type'], entity_id: string, user_id: string | null, type: string, source: ChangeSource, payload: Payload): NewEvent {
  return {type, entity_type, entity_id, user_id, source, payload}
}

export const userEvents = {
  created: (userId: string, source: ChangeSource, payload: {username: string; status: UserStatus; name: string | null | undefined; type: string}) =>
    event('user', userId, userId, 'user.created', source, payload),
  statusChanged: (userId: string, from: string | null, to: string, reason: string | null, source: ChangeSource) =>
    event('user', userId, userId, 'user.status_changed', source, {from, to, reason}),
  updated: (userId: string, changed: string[], source: ChangeSource) => event('user', userId, userId, 'user.updated', source, {changed}),
  deleted: (userId: string, source: ChangeSource, payload: Payload) => event('user', userId, userId, 'user.deleted', source, payload),
}

type StrategyRef = {strategy_id: string; user_id: string}

export const strategyEvents = {
  created: (s: StrategyRef & {name: string; type: string; status: StrategyStatus}, source: ChangeSource) =>
    event('strategy', s.strategy_id, s.user_id, 'strategy.created', source, {name: s.name, type: s.type, status: s.status}),
  /** An unknown status (raw SQL can write anything) is recorded as an update. */
  statusChanged: (s: StrategyRef, from: string | null, to: string, reason: string | null, source: ChangeSource) =>
    event('strategy', s.strategy_id, s.user_id, `strategy.${strategyStatusVerb[to as StrategyStatus] ?? 'updated'}`, source, {from, to, reason}),
  updated: (s: StrategyRef, changed: string[], version: number, source: ChangeSource) => event('strategy', s.strategy_id, s.user_id, 'strategy.updated', source, {changed, version}),
  deleted: (s: StrategyRef & {name: string}, source: ChangeSource) => event('strategy', s.strategy_id, s.user_id, 'strategy.deleted', source, {name: s.name}),
}

type OrderRef = {order_id: string; user_id: string}

export const orderEvents = {
  created: (o: OrderRef, source: ChangeSource, payload: Payload) => event('order', o.order_id, o.user_id, 'order.created', source, {to: 'pending', ...payload}),
  /** A transition (order.filled, order.cancelled ...) or, with `modified`, a change of terms. */
  changed: (o: OrderRef, type: OrderStatus | 'modified', source: ChangeSource, payload: Payload) => event('order', o.order_id, o.user_id, `order.${type}`, source, payload),
}

type AlertRef = {id: number; rule: string; level: string; category: string; message: string; value: string | null}

/** Alert lifecycle: raised once, repeated while it holds, acknowledged by an operator, resolved when it clears. */
export const alertEvents = {
  changed: (a: AlertRef, kind: 'raised' | 'repeated' | 'acknowledged' | 'resolved', source: ChangeSource, extra: Payload = {}) =>
    event('alert', String(a.id), null, `alert.${kind}`, source, {alert_id: a.id, rule: a.rule, level: a.level, category: a.category, message: a.message, value: a.value, ...extra}),
}
