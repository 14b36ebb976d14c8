import {summarize, type EngineSummary} from '../system/engines.js'
import {EventEmitter} from 'node:events'
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {channels, toMessage, type EventMessage} from '../bus/channels.js'
import {OutboxCursor} from '../bus/outbox-cursor.js'
import {connectRedis, type RedisClient} from '../bus/redis.js'
import type {LoadedConfig} from '../config/index.js'
import {engineStatus} from '../daemon/control.js'
import {openHandle, type EngineHandle} from '../handle.js'
import {METRIC_NAMES, metricsMessage, snapshotsFromPoints, type MetricsSnapshot} from '../metrics/snapshot.js'
import type {Order, OrderLog, Strategy, User} from '../store/index.js'
import {alertEvents} from '../domain/events.js'
import {ENGINE_CHECK_MS, HISTORY_MS, initialFeedStatus, POLL_MS, type Connection, type FeedStatus} from './status.js'

/** The engine as a watcher sees it: from engine.json on this machine, or its heartbeat row. */
export interface EngineLiveness {
  status: 'running' | 'degraded' | 'down' | 'unknown'
  instance?: string
  started_at?: string
  heartbeat_at?: string
  /** Live engines on the database (several when they share it: engine.sharing). */
  engines?: number
  /** Those engines, as their heartbeat rows say (the panel's engines view). */
  list?: EngineSummary[]
}

/** What there is before following starts. */
export interface FeedSnapshot {
  users: User[]
  strategies: Strategy[]
  /** The newest orders, newest first. */
  orders: Order[]
  /** The newest events (metrics excepted), newest first. */
  recent: EventMessage[]
  /** Stored metric samples of the last HISTORY_MS, oldest first, as system.metrics messages. */
  metrics: EventMessage[]
  /** Open alerts, oldest first, as the alert events that would have shown them. */
  alerts: EventMessage[]
}

/** Rows loaded at start. */
const SNAPSHOT_LIMITS = {users: 5000, strategies: 5000, orders: 2000, events: 50}

/**
 * Live events for a watcher in another process (the panel; later the API's streams): the state at
 * start, then every event — from Redis pub/sub when configured, otherwise by following the database
 * outbox under a named position that housekeeping respects, so it works on the embedded default.
 * Loses and regains its connection by itself. Emits 'events' (EventMessage[], in order, metric
 * samples included), 'status' (FeedStatus) when the connection changes, and 'engine'
 * (EngineLiveness) every ENGINE_CHECK_MS.
 */
export class EventFeed extends EventEmitter {
  status: FeedStatus
  private handle?: EngineHandle
  private sub?: RedisClient
  private cursor?: OutboxCursor
  /** Only the next poll or check is ever pending: one handle each, replaced each time. */
  private pollTimer?: NodeJS.Timeout
  private checkTimer?: NodeJS.Timeout
  private stopped = false
  private lastMetricsAt = ''
  private liveness: EngineLiveness = {status: 'unknown'}

  constructor(private readonly loaded: LoadedConfig) {
    super()
    this.status = initialFeedStatus(loaded)
  }

  /** Opens the database and reads the state to start from. */
  async open(): Promise<FeedSnapshot> {
    this.handle = await openHandle({loaded: this.loaded})
    const store = this.handle.store
    const [users, strategies, orders, recent, points, open] = await Promise.all([
      store.users.list({limit: SNAPSHOT_LIMITS.users, offset: 0}),
      store.strategies.list({limit: SNAPSHOT_LIMITS.strategies, offset: 0}),
      store.orders.list({limit: SNAPSHOT_LIMITS.orders, offset: 0}),
      store.events.recent(SNAPSHOT_LIMITS.events, {exceptType: 'system.metrics'}),
      store.metrics.history(METRIC_NAMES, new Date(Date.now() - HISTORY_MS)),
      store.alerts.openAlerts(),
    ])
    const alerts = open.map((a): EventMessage => {
      const e = alertEvents.changed(a, a.status === 'acknowledged' ? 'acknowledged' : 'raised', 'engine')
      return {id: 0, type: e.type, entity_type: 'alert', entity_id: e.entity_id, user_id: null, source: 'engine', created_at: a.created_at, payload: e.payload ?? {}}
    })
    return {users: users.users, strategies: strategies.strategies, orders: orders.orders, recent: recent.map(toMessage), metrics: snapshotsFromPoints(points).map(metricsMessage), alerts}
  }

  /** Starts following (after open()) and checking the engine's vital signs. */
  async follow(): Promise<void> {
    if (this.status.source === 'redis') await this.followRedis()
    else await this.followDatabase()
    await this.checkEngine()
  }

  get engine(): EngineLiveness {
    return this.liveness
  }

  async orderHistory(orderId: string): Promise<OrderLog[]> {
    return this.handle!.store.orders.logs(orderId)
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
    this.emit('events', events)
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
      // Coalesce a burst into one delivery.
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
    const store = this.handle!.store
    // A named position, touched every few seconds, so the engine's pruning never removes events
    // this feed has not read yet; released when the feed stops.
    const name = `feed.${hostname()}.${process.pid}.${randomBytes(3).toString('hex')}`
    this.cursor = new OutboxCursor(store, {name, persistEveryMs: 5000, touchEveryMs: 5000})
    await this.cursor.init(await store.events.maxId())
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
   * The engine's vital signs: the state file when the engine runs on this machine, else the live
   * heartbeat row in the database (an engine on another host). Without Redis the heartbeat row also
   * carries the engine's latest metrics sample, which becomes a live sample here.
   */
  private async checkEngine(): Promise<void> {
    if (this.stopped) return
    let live: {instance_id: string; started_at: string; heartbeat_at: string | null} | undefined
    let engines: number | undefined
    let list: EngineSummary[] | undefined
    try {
      const rows = await this.handle!.store.instances.live(this.loaded.config.engine.instance_ttl_ms)
      const [row] = rows
      live = row
      engines = rows.length
      list = rows.map(summarize)
      const metrics = row?.info.metrics as MetricsSnapshot | null | undefined
      if (this.status.source === 'database' && metrics?.at && metrics.at !== this.lastMetricsAt) {
        this.lastMetricsAt = metrics.at
        this.deliver([metricsMessage(metrics)])
      }
    } catch {
      // The outbox poll reports a lost database; this check just tries again next time.
    }
    const {running, state} = engineStatus(this.loaded.paths.home)
    const last = this.liveness
    if (running && state) this.liveness = {status: state.status === 'degraded' || state.last_error ? 'degraded' : 'running', instance: state.instance_id, started_at: state.started_at, heartbeat_at: state.updated_at}
    else if (live) this.liveness = {...last, status: 'running', instance: live.instance_id, started_at: live.started_at, heartbeat_at: live.heartbeat_at ?? undefined}
    // Down once an engine was seen (here, or in a state file left behind); unknown before that.
    else this.liveness = {...last, status: last.heartbeat_at || state ? 'down' : 'unknown'}
    if (engines !== undefined) this.liveness = {...this.liveness, engines, list}
    if (!this.stopped) {
      this.emit('engine', this.liveness)
      this.checkTimer = setTimeout(() => void this.checkEngine(), ENGINE_CHECK_MS)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.pollTimer)
    clearTimeout(this.checkTimer)
    this.sub?.disconnect()
    await this.cursor?.release().catch(() => {})
    await this.handle?.close()
  }
}
