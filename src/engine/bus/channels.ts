import type {StoredEvent} from '../store/index.js'

/**
 * Redis pub/sub channels (documented in the README). Every event goes to `<prefix>events`, and to
 * `<prefix>events.<entity_type>` (user, strategy, order, alert, system) for narrower subscribers.
 * Metric snapshots go to `<prefix>metrics`. The prefix is redis.key_prefix (default "ordermon:").
 */
export const channels = {
  all: (prefix: string) => `${prefix}events`,
  entity: (prefix: string, entityType: string) => `${prefix}events.${entityType}`,
  metrics: (prefix: string) => `${prefix}metrics`,
}

/** The JSON published for each event: the outbox row as is. Consumers dedupe by `id`. */
export interface EventMessage {
  id: number
  type: string
  entity_type: string
  entity_id: string
  user_id: string | null
  source: string
  created_at: string
  payload: Record<string, unknown>
}

export function toMessage(e: StoredEvent): EventMessage {
  return {id: e.id, type: e.type, entity_type: e.entity_type, entity_id: e.entity_id, user_id: e.user_id, source: e.source, created_at: e.created_at, payload: e.payload}
}
