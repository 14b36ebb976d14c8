import {EventEmitter} from 'node:events'
import {OutboxCursor} from '../engine/bus/outbox-cursor.js'
import {channels, toMessage, type EventMessage} from '../engine/bus/channels.js'
import {connectRedis, redisConfigured, describeRedis, type RedisClient} from '../engine/bus/redis.js'
import type {LoadedConfig} from '../engine/config/index.js'
import {openEngine, type Engine} from '../engine/index.js'
import {readState, runningPid} from '../engine/runtime/pidfile.js'
import type {OrderLog} from '../engine/store/index.js'
import {applyEvent, describe, emptyModel, type PanelModel} from './model.js'

export type Connection = 'connecting' | 'live' | 'reconnecting'

export interface FeedStatus {
  connection: Connection
  source: 'redis' | 'database'
  target: string
  error?: string
}

/** How often the embedded feed reads the outbox, and the database-reconnect back-off. */
export const POLL_MS = 250
export const ENGINE_CHECK_MS = 2000

/**
 * The panel's data: the last state loaded from the database at start, then live events — from Redis
 * pub/sub when configured, otherwise by following the database outbox, so the panel works on the
 * embedded default with the engine in another terminal. Loses and regains its connection by itself;
 * listeners get 'change' after every batch of events and 'status' when the connection changes.
 */
export class LiveFeed extends EventEmitter {
  readonly model: PanelModel = emptyModel()
  status: FeedStatus
  private engine?: Engine
  private sub?: RedisClient
  private cursor?: OutboxCursor
  private timers: NodeJS.Timeout[] = []
  /** Only the next poll is ever pending: one handle, replaced each time. */
  private pollTimer?: NodeJS.Timeout
  private stopped = false

  constructor(private readonly loaded: LoadedConfig) {
    super()
    const redis = redisConfigured(loaded.config)
    this.status = {connection: 'connecting', source: redis ? 'redis' : 'database', target: redis ? describeRedis(loaded.config) : loaded.paths.sqliteFile ?? 'database'}
  }

  async start(): Promise<void> {
    this.engine = await openEngine({loaded: this.loaded})
    await this.loadInitial()
    if (this.status.source === 'redis') await this.followRedis()
    else await this.followDatabase()
    this.checkEngine()
    this.timers.push(setInterval(() => this.checkEngine(), ENGINE_CHECK_MS))
  }

  private async loadInitial(): Promise<void> {
    const store = this.engine!.store
    const [users, strategies, orders, recent, metrics] = await Promise.all([
      store.users.list({limit: 5000, offset: 0}),
      store.strategies.list({limit: 5000, offset: 0}),
      store.orders.list({limit: 2000, offset: 0}),
      store.events.recent(50, {exceptType: 'system.metrics'}),
      store.events.recent(60, {type: 'system.metrics'}),
    ])
    for (const u of users.users) this.model.users.set(u.user_id, {user_id: u.user_id, username: u.username, name: u.name, type: u.type, status: u.status})
    for (const s of strategies.strategies) this.model.strategies.set(s.strategy_id, {strategy_id: s.strategy_id, name: s.name, type: s.type, user_id: s.user_id, status: s.status})
    for (const o of [...orders.orders].reverse()) {
      this.model.orders.set(o.order_id, {order_id: o.order_id, user_id: o.user_id, symbol: o.symbol, side: o.side, quantity: o.quantity, price: o.price, filled_quantity: o.filled_quantity, status: o.status, updated_at: o.updated_at})
      if (o.status !== 'pending' && o.status !== 'partially_filled') this.model.closed++
    }
    // History in order, so the trends and the activity feed read as if we had been watching.
    for (const e of [...metrics].reverse()) applyEvent(this.model, toMessage(e))
    this.model.activity = [...recent].map((e) => ({id: e.id, at: e.created_at, type: e.type, text: describe(toMessage(e), this.model), source: e.source}))
    this.model.events = 0
  }

  private setStatus(connection: Connection, error?: string): void {
    // After stop() the connection closing is ours, not news.
    if (this.stopped) return
    if (this.status.connection === connection && this.status.error === error) return
    this.status = {...this.status, connection, error}
    this.emit('status', this.status)
  }

  private deliver(events: EventMessage[]): void {
    if (events.length === 0 || this.stopped) return
    for (const e of events) applyEvent(this.model, e)
    this.emit('change')
  }

  private async followRedis(): Promise<void> {
    const prefix = this.loaded.config.redis.key_prefix
    this.sub = await connectRedis(this.loaded.config)
    // ioredis reconnects and re-subscribes by itself; we only report what it is doing.
    this.sub.on('ready', () => this.setStatus('live'))
    this.sub.on('reconnecting', () => this.setStatus('reconnecting', 'Redis connection lost'))
    this.sub.on('end', () => this.setStatus('reconnecting', 'Redis connection closed'))
    const batch: EventMessage[] = []
    let scheduled = false
    this.sub.on('message', (_channel: string, raw: string) => {
      try {
        batch.push(JSON.parse(raw) as EventMessage)
      } catch {
        return
      }
      // Coalesce a burst into one 'change'.
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          this.deliver(batch.splice(0))
        })
      }
    })
    await this.sub.subscribe(channels.all(prefix))
    this.setStatus('live')
  }

  private async followDatabase(): Promise<void> {
    this.cursor = new OutboxCursor(this.engine!.store)
    await this.cursor.init()
    this.setStatus('live')
    const poll = async () => {
      if (this.stopped) return
      try {
        for (let i = 0; i < 10; i++) {
          const events = await this.cursor!.next(2000)
          await this.cursor!.commit()
          this.deliver(events.map(toMessage))
          if (events.length < 2000) break
        }
        this.setStatus('live')
      } catch (error) {
        this.setStatus('reconnecting', `database: ${(error as Error).message.split('\n')[0]}`)
      }
      if (!this.stopped) this.pollTimer = setTimeout(poll, POLL_MS)
    }
    this.pollTimer = setTimeout(poll, POLL_MS)
  }

  /** Engine vital signs from its state file (same machine) or, failing that, from metric heartbeats. */
  private checkEngine(): void {
    const home = this.loaded.paths.home
    const pid = runningPid(home)
    const state = readState(home)
    const m = this.model
    const beat = m.engine.heartbeat_at ? Date.now() - Date.parse(m.engine.heartbeat_at) : Infinity
    if (pid && state && state.pid === pid) m.engine = {status: state.status === 'degraded' || state.last_error ? 'degraded' : 'running', instance: state.instance_id, started_at: state.started_at, heartbeat_at: state.updated_at}
    else if (beat < 5000) m.engine = {...m.engine, status: 'running'}
    else m.engine = {...m.engine, status: m.engine.heartbeat_at || state ? 'down' : 'unknown'}
    this.emit('change')
  }

  async orderHistory(orderId: string): Promise<OrderLog[]> {
    return this.engine!.store.orders.logs(orderId)
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    if (this.pollTimer) clearTimeout(this.pollTimer)
    this.sub?.disconnect()
    await this.engine?.close()
  }
}
