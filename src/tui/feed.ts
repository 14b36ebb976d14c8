import {EventEmitter} from 'node:events'
import {initialFeedStatus, isOpenOrder, openEventFeed, type EngineLiveness, type EventFeed, type EventMessage, type FeedStatus, type LoadedConfig, type OrderLog} from '../engine/index.js'
import {applyEvent, describe, emptyModel, type PanelModel} from './model.js'

export {ENGINE_CHECK_MS, POLL_MS, type Connection, type FeedStatus} from '../engine/index.js'

/**
 * The panel's data: the engine's EventFeed (state at start, then live events from Redis or the
 * outbox, and the engine's vital signs) folded into a PanelModel. Listeners get 'change' after every
 * batch of events and 'status' when the connection changes.
 */
export class LiveFeed extends EventEmitter {
  readonly model: PanelModel = emptyModel()
  private feed?: EventFeed
  private readonly initial: FeedStatus

  constructor(private readonly loaded: LoadedConfig) {
    super()
    this.initial = initialFeedStatus(loaded)
  }

  get status(): FeedStatus {
    return this.feed?.status ?? this.initial
  }

  async start(): Promise<void> {
    const feed = (this.feed = await openEventFeed(this.loaded))
    const snap = await feed.open()
    const m = this.model
    for (const u of snap.users) m.users.set(u.user_id, {user_id: u.user_id, username: u.username, name: u.name, type: u.type, status: u.status})
    for (const s of snap.strategies) m.strategies.set(s.strategy_id, {strategy_id: s.strategy_id, name: s.name, type: s.type, user_id: s.user_id, status: s.status})
    for (const o of [...snap.orders].reverse()) {
      m.orders.set(o.order_id, {order_id: o.order_id, user_id: o.user_id, symbol: o.symbol, side: o.side, quantity: o.quantity, price: o.price, filled_quantity: o.filled_quantity, status: o.status, updated_at: o.updated_at})
      if (!isOpenOrder(o.status)) m.closed++
    }
    // History in order, so the trends and the activity feed read as if we had been watching.
    for (const sample of snap.metrics) applyEvent(m, sample)
    for (const alert of snap.alerts) applyEvent(m, alert)
    m.activity = snap.recent.map((e) => ({id: e.id, at: e.created_at, type: e.type, text: describe(e, m), source: e.source}))
    m.events = 0
    feed.on('events', (events: EventMessage[]) => {
      for (const e of events) applyEvent(m, e)
      this.emit('change')
    })
    feed.on('status', () => this.emit('status', this.status))
    feed.on('engine', (engine: EngineLiveness) => {
      m.engine = engine
      this.emit('change')
    })
    await feed.follow()
  }

  async orderHistory(orderId: string): Promise<OrderLog[]> {
    return this.feed ? this.feed.orderHistory(orderId) : []
  }

  async stop(): Promise<void> {
    await this.feed?.stop()
  }
}
