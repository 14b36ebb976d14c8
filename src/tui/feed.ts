import {EventEmitter} from 'node:events'
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {OutboxCursor} from '../engine/bus/outbox-cursor.js'
import {channels, toMessage, type EventMessage} from '../engine/bus/channels.js'
import {connectRedis, redisConfigured, describeRedis, type RedisClient} from '../engine/bus/redis.js'
import type {LoadedConfig} from '../engine/config/index.js'
import {openEngine, type Engine} from '../engine/index.js'
import {METRIC_NAMES, metricsMessage, snapshotsFromPoints, type MetricsSnapshot} from '../engine/metrics/snapshot.js'
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
export const ENGINE_CHECK_MS = 1000
/** Metric history loaded at start: the trend lines' worth. */
export const HISTORY_MS = 10 * 60_000

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
  private lastMetricsAt = ''
  private liveEngine?: {instance_id: string; started_at: string; heartbeat_at: string | null; age_ms: number}

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
    await this.checkEngine()
    this.timers.push(setInterval(() => void this.checkEngine(), ENGINE_CHECK_MS))
  }

  private async loadInitial(): Promise<void> {
    const store = this.engine!.store
    const [users, strategies, orders, recent, points] = await Promise.all([
      store.users.list({limit: 5000, offset: 0}),
      store.strategies.list({limit: 5000, offset: 0}),
      store.orders.list({limit: 2000, offset: 0}),
      store.events.recent(50, {exceptType: 'system.metrics'}),
      store.metrics.history(METRIC_NAMES, new Date(Date.now() - HISTORY_MS)),
    ])
    for (const u of users.users) this.model.users.set(u.user_id, {user_id: u.user_id, username: u.username, name: u.name, type: u.type, status: u.status})
    for (const s of strategies.strategies) this.model.strategies.set(s.strategy_id, {strategy_id: s.strategy_id, name: s.name, type: s.type, user_id: s.user_id, status: s.status})
    for (const o of [...orders.orders].reverse()) {
      this.model.orders.set(o.order_id, {order_id: o.order_id, user_id: o.user_id, symbol: o.symbol, side: o.side, quantity: o.quantity, price: o.price, filled_quantity: o.filled_quantity, status: o.status, updated_at: o.updated_at})
      if (o.status !== 'pending' && o.status !== 'partially_filled') this.model.closed++
    }
    // History in order, so the trends and the activity feed read as if we had been watching.
    for (const snap of snapshotsFromPoints(points)) applyEvent(this.model, metricsMessage(snap))
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
    await this.sub.subscribe(channels.all(prefix), channels.metrics(prefix))
    this.setStatus('live')
  }

  private async followDatabase(): Promise<void> {
    // A named position, touched every few seconds, so the engine's pruning never removes events
    // this panel has not read yet; released when the panel closes.
    const name = `feed.${hostname()}.${process.pid}.${randomBytes(3).toString('hex')}`
    this.cursor = new OutboxCursor(this.engine!.store, {name, persistEveryMs: 5000, touchEveryMs: 5000})
    await this.cursor.init(await this.engine!.store.events.maxId())
    await this.cursor.persist()
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

  /**
   * Engine vital signs: the state file when the engine runs on this machine, else the live
   * heartbeat row in the database (an engine on another host). Without Redis the heartbeat row also
   * carries the engine's latest metrics sample, which becomes the panel's live figures.
   */
  private async checkEngine(): Promise<void> {
    if (this.stopped) return
    try {
      const [live] = await this.engine!.store.instances.live(this.loaded.config.engine.instance_ttl_ms)
      this.liveEngine = live ? {instance_id: live.instance_id, started_at: live.started_at, heartbeat_at: live.heartbeat_at, age_ms: live.heartbeat_age_ms ?? 0} : undefined
      const metrics = live?.info.metrics as MetricsSnapshot | null | undefined
      if (this.status.source === 'database' && metrics?.at && metrics.at !== this.lastMetricsAt) {
        this.lastMetricsAt = metrics.at
        this.deliver([metricsMessage(metrics)])
      }
    } catch {
      // The outbox poll reports a lost database; this check just tries again next time.
    }
    const home = this.loaded.paths.home
    const pid = runningPid(home)
    const state = readState(home)
    const m = this.model
    const live = this.liveEngine
    if (pid && state && state.pid === pid) m.engine = {status: state.status === 'degraded' || state.last_error ? 'degraded' : 'running', instance: state.instance_id, started_at: state.started_at, heartbeat_at: state.updated_at}
    else if (live) m.engine = {...m.engine, status: 'running', instance: live.instance_id, started_at: live.started_at, heartbeat_at: live.heartbeat_at ?? undefined}
    else m.engine = {...m.engine, status: m.engine.heartbeat_at || state ? 'down' : 'unknown'}
    if (!this.stopped) this.emit('change')
  }

  async orderHistory(orderId: string): Promise<OrderLog[]> {
    return this.engine!.store.orders.logs(orderId)
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    if (this.pollTimer) clearTimeout(this.pollTimer)
    this.sub?.disconnect()
    await this.cursor?.release().catch(() => {})
    await this.engine?.close()
  }
}
