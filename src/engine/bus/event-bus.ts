import type {EventMessage} from './channels.js'

export type EventHandler = (event: EventMessage) => void | Promise<void>

/**
 * In-process routing of events to handlers by type ("order.filled"), by entity ("order.*") or all
 * ("*"). A failing handler is isolated: it is reported through `onError` and the others still run.
 */
export class EventBus {
  private readonly handlers = new Map<string, Set<EventHandler>>()

  constructor(private readonly onError: (error: unknown, event: EventMessage, pattern: string) => void = () => {}) {}

  on(pattern: string, handler: EventHandler): () => void {
    let set = this.handlers.get(pattern)
    if (!set) this.handlers.set(pattern, (set = new Set()))
    set.add(handler)
    return () => set!.delete(handler)
  }

  async emit(event: EventMessage): Promise<void> {
    const patterns = [event.type, `${event.entity_type}.*`, '*']
    for (const pattern of patterns) {
      const set = this.handlers.get(pattern)
      if (!set) continue
      for (const handler of set) {
        try {
          await handler(event)
        } catch (error) {
          this.onError(error, event, pattern)
        }
      }
    }
  }
}
