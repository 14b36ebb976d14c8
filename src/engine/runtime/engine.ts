import {hostname} from 'node:os'
import {randomBytes} from 'node:crypto'
import {channels, toMessage, type EventMessage} from '../bus/channels.js'
import {EventBus} from '../bus/event-bus.js'
import {OutboxCursor} from '../bus/outbox-cursor.js'
import {OutboxRelay} from '../bus/outbox-relay.js'
import {connectRedis, describeRedis, redisConfigured, type RedisClient} from '../bus/redis.js'
import type {LoadedConfig} from '../config/index.js'
import {OrdermonError} from '../errors.js'
import type {Actor} from '../domain/context.js'
import {TransitionBatcher} from '../domain/orders/batcher.js'
import {openEngine, type Engine} from '../index.js'
import {createSystemLogger, type Logger} from '../logging/logger.js'
import {MetricsSampler} from '../metrics/sampler.js'
import {metricsMessage, type MetricsSnapshot} from '../metrics/snapshot.js'
import {UserLogs} from '../logging/user-logs.js'
import type {Order, Strategy, StoredEvent} from '../store/index.js'
import {loadStrategy} from '../strategies/registry.js'
import {ChangeDetector} from './change-detector.js'
import {Housekeeping} from './housekeeping.js'
import {claimDatabase, releaseClaim, supersededBy} from './instance-claim.js'
import {LoopScheduler} from './loop-scheduler.js'
import {RedisMarket} from './market/redis-feed.js'
import {ReplayMarket} from './market/replay.js'
import {SimMarket} from './market/sim.js'
import type {MarketData, Tick} from './market/types.js'
import {acquirePidfile, releasePidfile, writeState, type EngineState} from './pidfile.js'
import {MonitorState} from './monitor-state.js'
import {StrategyRunner} from './strategy-runner.js'
import {ExternalVenue, PaperVenue} from './venue/paper.js'
import type {ExecutionVenue} from './venue/types.js'

export interface EngineOptions {
  loaded: LoadedConfig
  version: string
  /** Called for every event the engine sees (the foreground console view). */
  onEvent?: (event: EventMessage) => void
  /** Claim ORDERMON_HOME with a pidfile (the CLI engine does; in-process tests need not). */
  pidfile?: boolean
  /**
   * Called once if another engine has claimed this database while this one looked dead (frozen,
   * cut off): this engine must stop trading. The CLI stops the process; default: stop().
   */
  onSuperseded?: (by: string) => void
}

const ENGINE_ACTOR: Actor = {name: 'engine', source: 'engine'}

/**
 * The monitoring engine (the original's MonitoringEngine): one UserMonitor per active user with that
 * user's running strategies and open orders; strategies fed by market data; orders executed by a
 * venue; every change flows through the events outbox, which it tails to stay in step with the CLI
 * and with raw SQL (ChangeDetector), and relays to Redis when configured.
 */
export class MonitoringEngine {
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  private engine!: Engine
  private redis?: RedisClient
  private relay?: OutboxRelay
  private detector!: ChangeDetector
  private batcher!: TransitionBatcher
  private market!: MarketData
  private venue!: ExecutionVenue
  private logger!: Logger
  private userLogs!: UserLogs
  readonly bus: EventBus
  private readonly state = new MonitorState()
  private follower!: OutboxCursor
  private scheduler!: LoopScheduler
  private sampler!: MetricsSampler
  private housekeeping!: Housekeeping
  private stopping = false
  private superseded = false
  private readonly startedAt = new Date()
  private lastScanAt: Date | null = null
  private lastError: string | null = null
  private eventsTotal = 0
  private transitionsTotal = 0

  constructor(private options: EngineOptions) {
    this.bus = new EventBus((error, event, pattern) => this.logger?.error('event handler failed', {pattern, event_id: event.id, error: String(error)}))
  }

  get config() {
    return this.options.loaded.config
  }

  get latestMetrics(): MetricsSnapshot | undefined {
    return this.sampler?.latest
  }

  /** Timer handles the engine's loops hold (at most one per loop). */
  get loopHandles(): number {
    return this.scheduler?.handles ?? 0
  }

  async start(): Promise<void> {
    const {loaded} = this.options
    if (this.options.pidfile) acquirePidfile(loaded.paths.home)
    try {
      this.logger = createSystemLogger(loaded.paths.logDir, this.config.logging.level)
      this.userLogs = new UserLogs(loaded.paths.logDir, this.config.logging.level === 'debug' ? 'debug' : 'info', 500, (error, file) =>
        this.logger?.warn('user log not written', {file, error: String(error), dropped_total: this.userLogs.dropped}),
      )
      this.engine = await openEngine({loaded})
      this.scheduler = new LoopScheduler((loop, error) => this.fail(error, loop))
      // One engine per database (until engines can share one): refused with the live one named.
      await claimDatabase(this.engine.store, this.instanceRow('starting'), this.config.engine.instance_ttl_ms, this.engine.db.label)
      if (redisConfigured(this.config)) {
        this.redis = await connectRedis(this.config)
        this.relay = new OutboxRelay(this.engine.store, this.redis, {name: `relay.${this.config.redis.key_prefix}`, channelPrefix: this.config.redis.key_prefix})
        // Fix the starting point now, before the engine writes anything it should publish.
        await this.relay.position()
      }
      const e = this.config.engine
      if (e.market === 'redis') {
        if (!this.redis) throw new OrdermonError('invalidInput', 'engine.market is redis but no Redis is configured.', {hint: 'Set ORDERMON_REDIS_URL, or use --market sim.'})
        const feed = new RedisMarket(await connectRedis(this.config), `${this.config.redis.key_prefix}ticks`)
        await feed.open()
        this.market = feed
      } else this.market = e.market === 'replay' ? new ReplayMarket(e.replay_file ?? 'ticks.csv') : new SimMarket(e.market_seed)
      this.venue = e.venue === 'external' ? new ExternalVenue() : new PaperVenue({latencyMs: e.paper_latency_ms})
      this.detector = new ChangeDetector(this.engine.store)
      this.batcher = new TransitionBatcher(this.engine.store, {source: 'engine', actor: 'engine', maxDelayMs: 5})
      this.follower = new OutboxCursor(this.engine.store)
      await this.follower.init()
      this.sampler = new MetricsSampler({
        instanceId: this.instanceId,
        startedAt: this.startedAt,
        store: this.engine.store,
        counts: () => this.state.counts(),
        drainLatencies: () => this.batcher.drainLatencies(),
        publish: this.redis ? (snapshot) => this.publishMetrics(snapshot) : undefined,
        storeEveryMs: () => this.config.monitoring.store_interval * 1000,
      })
      await this.sampler.init()
      this.housekeeping = new Housekeeping({
        store: this.engine.store,
        config: () => this.config,
        logDir: loaded.paths.logDir,
        logger: this.logger,
        localPositions: () => [this.follower.position],
        stopping: () => this.stopping,
      })
      await this.scan()
      await this.heartbeat()
      this.logger.info('engine started', {instance: this.instanceId, ...this.state.counts(), database: this.engine.db.label, redis: this.redis ? describeRedis(this.config) : null})
      // Intervals are read each time, so a SIGHUP reload changes them without a restart.
      const s = this.scheduler
      s.every('changes', () => this.pollChanges(), () => this.config.engine.poll_ms)
      s.every('market', () => this.marketTick(), () => this.config.engine.tick_ms)
      if (this.relay) s.every('relay', () => this.relayOutbox(), () => this.config.engine.relay_ms)
      s.every('heartbeat', () => this.heartbeat(), () => this.config.engine.heartbeat_ms, this.config.engine.heartbeat_ms)
      s.every('metrics', () => this.sampler.sample(), () => this.config.engine.metrics_ms)
      s.every('housekeeping', () => this.housekeeping.run(), () => this.config.engine.housekeeping_ms)
    } catch (error) {
      await this.close()
      throw error
    }
  }

  private instanceRow(status: string) {
    return {instance_id: this.instanceId, hostname: hostname(), pid: process.pid, version: this.options.version, backend: this.engine.db.client, status, info: {}}
  }

  private fail(error: unknown, loop?: string): void {
    const e = error as {code?: string; message?: string}
    const dbDown = ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ETIMEDOUT'].includes(e?.code ?? '') || /acquiring a connection|connection/i.test(e?.message ?? '')
    this.lastError = `${dbDown ? 'db_connection_failed: ' : ''}${e?.message ?? String(error)}`.slice(0, 300)
    this.logger?.error(dbDown ? 'db_connection_failed' : 'engine task failed', {loop, error: e?.message ?? String(error), code: e?.code})
  }

  /** Loads active users, their running strategies and open orders: three queries, whatever the size. */
  private async scan(): Promise<void> {
    const store = this.engine.store
    const users = await store.users.active()
    const active = new Set(users.map((u) => u.user_id))
    for (const id of [...this.state.monitors.keys()]) if (!active.has(id)) this.dropUser(id)
    for (const u of users) this.state.addUser(u)
    const strategies = (await store.strategies.running('all')).filter((s) => active.has(s.user_id))
    for (const s of strategies) await this.ensureRunner(s)
    const positions = await store.orders.positions(strategies.map((s) => s.strategy_id))
    for (const p of positions) this.state.runner(p.strategy_id)?.setPosition(p.symbol, p.quantity, p.avg_cost)
    for (const o of await store.orders.openForUsers('all')) this.trackOrder(o)
    this.lastScanAt = new Date()
  }

  private async ensureRunner(s: Strategy): Promise<void> {
    if (!this.state.monitors.has(s.user_id)) return
    const existing = this.state.runner(s.strategy_id)
    if (existing && existing.config.version === s.version) return
    try {
      const logic = await loadStrategy(s, this.config.engine.strategies_dir ?? process.cwd())
      const runner = new StrategyRunner(s, logic)
      this.state.addRunner(s.user_id, runner)
      this.market.follow(runner.symbols)
      this.userLogs.log(s.user_id, 'info', `strategy ${s.strategy_id} running`, {strategy_id: s.strategy_id, type: s.type})
    } catch (error) {
      this.userLogs.log(s.user_id, 'error', `strategy ${s.strategy_id} failed to load: ${String(error)}`)
      await this.engine.strategies.stop(s.strategy_id, ENGINE_ACTOR, {reason: `failed to load: ${String(error)}`.slice(0, 250)}).catch(() => {})
    }
  }

  private dropUser(userId: string): void {
    this.state.dropUser(userId)
    this.userLogs.log(userId, 'info', 'user no longer monitored')
  }

  private trackOrder(o: Order): void {
    if (this.state.track(o)) this.market.follow([o.symbol])
  }

  /** Raw SQL changes become events; then every new event is applied to what we monitor. */
  private async pollChanges(): Promise<void> {
    await this.detector.poll()
    for (;;) {
      const events = await this.follower.next(5000)
      if (events.length === 0) {
        await this.follower.commit()
        break
      }
      try {
        await this.applyEvents(events)
      } catch (error) {
        // Applied in part at most: read them again next poll (applying twice is harmless).
        this.follower.rewind()
        throw error
      }
      await this.follower.commit()
    }
  }

  /** Brings what the engine monitors in line with a batch of events, then hands them on. */
  private async applyEvents(events: StoredEvent[]): Promise<void> {
    const store = this.engine.store
    const userIds = new Set<string>()
    const strategyIds = new Set<string>()
    const orderIds = new Set<string>()
    for (const e of events) {
      if (e.entity_type === 'user') userIds.add(e.entity_id)
      else if (e.entity_type === 'strategy') strategyIds.add(e.entity_id)
      else if (e.entity_type === 'order') orderIds.add(e.entity_id)
    }
    // Current rows in three queries, then apply: the events say what changed, the rows what is.
    const [users, strategies, orders] = await Promise.all([store.users.findMany([...userIds]), store.strategies.findMany([...strategyIds]), store.orders.findMany([...orderIds])])
    const userMap = new Map(users.map((u) => [u.user_id, u]))
    for (const id of userIds) {
      const u = userMap.get(id)
      if (!u || u.status !== 'active') {
        if (this.state.monitors.has(id)) this.dropUser(id)
      } else if (this.state.addUser(u)) {
        for (const s of await store.strategies.running([id])) await this.ensureRunner(s)
        for (const o of await store.orders.openForUsers([id])) this.trackOrder(o)
        this.userLogs.log(id, 'info', 'user monitored')
      }
    }
    const strategyMap = new Map(strategies.map((s) => [s.strategy_id, s]))
    for (const id of strategyIds) {
      const s = strategyMap.get(id)
      if (s && s.status === 'running') await this.ensureRunner(s)
      else this.state.removeRunner(id)
    }
    const orderMap = new Map(orders.map((o) => [o.order_id, o]))
    for (const o of orders) this.trackOrder(o)
    for (const e of events) {
      const m = toMessage(e)
      if (e.entity_type === 'order' && (e.type === 'order.filled' || e.type === 'order.partially_filled')) {
        const o = orderMap.get(e.entity_id)
        const sid = (e.payload.strategy_id as string | undefined) ?? o?.strategy_id
        const delta = Number(e.payload.filled_delta ?? 0)
        if (delta > 0) this.sampler.onFill()
        if (sid && delta > 0 && o) this.state.runner(sid)?.onFill(o.symbol, o.side, delta, Number(e.payload.fill_price ?? o.avg_fill_price ?? 0))
      }
      if (e.user_id) this.userLogs.log(e.user_id, 'info', e.type, {event_id: e.id, entity: e.entity_id, source: e.source, ...e.payload})
      this.count(e)
      await this.bus.emit(m)
      this.options.onEvent?.(m)
    }
  }

  /** Live metrics go straight to Redis (`<prefix>metrics`): a sample a second is no outbox event. */
  private async publishMetrics(snapshot: MetricsSnapshot): Promise<void> {
    await this.redis!.publish(channels.metrics(this.config.redis.key_prefix), JSON.stringify(metricsMessage(snapshot)))
  }

  private count(e: StoredEvent): void {
    this.eventsTotal++
    this.sampler.events.add()
    if (e.entity_type === 'order') this.sampler.transitions.add()
  }

  /** One market step: strategies see the ticks and place orders, then the venue works the book. */
  private async marketTick(): Promise<void> {
    const now = Date.now()
    const ticks = await this.market.next(now)
    const date = new Date(now)
    for (const tick of ticks) {
      for (const runner of this.state.runnersFor(tick.symbol)) {
        const userId = runner.config.user_id
        const {intents, blocked} = runner.onTick(tick, date)
        for (const b of blocked) this.userLogs.log(userId, 'warn', `risk: ${b}`, {strategy_id: runner.config.strategy_id})
        for (const intent of intents) {
          runner.working.add(intent.symbol)
          await this.engine.orders
            .create({user_id: userId, strategy_id: runner.config.strategy_id, symbol: intent.symbol, side: intent.side, order_type: intent.order_type, quantity: intent.quantity, price: intent.price, time_in_force: 'GTC'}, ENGINE_ACTOR)
            .then((r) => this.trackOrder(r.order))
            .catch((error) => {
              runner.working.delete(intent.symbol)
              this.userLogs.log(userId, 'warn', `order refused: ${String((error as Error).message ?? error)}`, {strategy_id: runner.config.strategy_id})
            })
        }
      }
      await this.execute(tick, now)
    }
  }

  private async execute(tick: Tick, now: number): Promise<void> {
    const book = this.state.ordersFor(tick.symbol)
    if (book.length === 0) return
    const decision = this.venue.onTick(tick, book, now)
    // All of a tick's fills and cancels go through the batcher: a few transactions, not one per fill.
    const results = await Promise.all([
      ...decision.fills.map((f) => this.batcher.submit({order_id: f.order_id, fill: {quantity: f.quantity, price: f.price, fee: f.fee}, reason: 'fill'})),
      ...decision.cancels.map((c) => this.batcher.submit({order_id: c.order_id, to: 'cancelled', reason: c.reason})),
    ]).catch((error) => {
      this.fail(error)
      return []
    })
    for (const order of results) {
      if (!order) continue
      this.transitionsTotal++
      this.trackOrder(order)
    }
  }

  private async relayOutbox(): Promise<void> {
    while (!this.stopping && (await this.relay!.relayOnce()) > 0);
  }

  /**
   * Every heartbeat_ms: engine.json for local commands, the engine_instances row (with the latest
   * metrics, which a panel without Redis shows) for everyone else, and a look for an engine that
   * claimed the database while this one was frozen, in which case this one yields.
   */
  private async heartbeat(): Promise<void> {
    this.writeState(this.lastError ? 'degraded' : 'running')
    const s = this.status()
    await this.engine.store.instances.heartbeat({
      ...this.instanceRow('running'),
      info: {users: s.users, strategies: s.strategies, open_orders: s.open_orders, events_per_s: s.events_per_s, last_error: this.lastError, metrics: this.sampler.latest ?? null},
    })
    const newer = await supersededBy(this.engine.store, this.instanceId, this.startedAt, this.config.engine.instance_ttl_ms)
    if (newer && !this.superseded) {
      this.superseded = true
      this.logger.error('another engine claimed this database; stopping', {instance: this.instanceId, by: newer})
      if (this.options.onSuperseded) this.options.onSuperseded(newer)
      else void this.stop()
    }
    this.lastError = null
  }

  /**
   * SIGHUP: re-reads the configuration and applies what can change at run time (log level, loop
   * intervals, retention, risk limits for new strategies). Database, Redis, market and venue need a
   * restart. An invalid configuration is refused and the running one kept.
   */
  reload(next: LoadedConfig): string[] {
    const before = this.config
    // Paths (home, pidfile, logs) and connections stay as they were started.
    this.options.loaded = {...next, paths: this.options.loaded.paths}
    this.logger.level = next.config.logging.level
    const changed = (['logging', 'engine', 'order', 'strategy', 'monitoring'] as const).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(next.config[k]))
    this.logger.info('configuration reloaded', {changed})
    return changed
  }

  status(): EngineState {
    const now = Date.now()
    const counts = this.state.counts()
    return {
      pid: process.pid,
      instance_id: this.instanceId,
      version: this.options.version,
      backend: this.engine?.db.client ?? 'unknown',
      database: this.engine?.db.label ?? '',
      redis: this.redis ? describeRedis(this.config) : null,
      status: 'running',
      started_at: this.startedAt.toISOString(),
      updated_at: new Date(now).toISOString(),
      ...counts,
      events_per_s: this.sampler?.events.rate(now) ?? 0,
      events_total: this.eventsTotal,
      transitions_total: this.transitionsTotal,
      last_scan_at: this.lastScanAt?.toISOString() ?? null,
      last_error: this.lastError,
    }
  }

  private writeState(status: EngineState['status']): void {
    try {
      writeState(this.options.loaded.paths.home, {...this.status(), status})
    } catch (error) {
      this.logger?.warn('cannot write engine state', {error: String(error)})
    }
  }

  /**
   * Graceful stop, in this order: no new work (loops, market, venue); what is in flight committed
   * (runs finish, the batcher flushes); everything committed published (the relay drains to the
   * newest event); then the stopped heartbeat, logs flushed, connections closed.
   */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    this.writeState('stopping')
    await this.scheduler?.stop()
    await this.batcher?.flush().catch((error) => this.fail(error, 'stop'))
    if (this.relay) {
      const published = await this.relay.drain().catch((error) => {
        this.logger?.warn('events left unpublished at stop; they go out at the next start', {error: String(error)})
        return 0
      })
      if (published) this.logger?.info('outbox drained at stop', {events: published})
    }
    await this.engine?.store.instances.heartbeat({...this.instanceRow('stopped'), info: {}}).catch(() => {})
    this.logger?.info('engine stopped', {instance: this.instanceId, events: this.eventsTotal})
    this.writeState('stopped')
    await this.close()
  }

  private async close(): Promise<void> {
    releaseClaim(this.instanceId)
    await this.userLogs?.close()
    await this.market?.close?.().catch(() => {})
    this.redis?.disconnect()
    await this.engine?.close().catch(() => {})
    await new Promise<void>((resolve) => {
      if (!this.logger) return resolve()
      this.logger.on('finish', () => resolve())
      this.logger.end()
      setTimeout(resolve, 500)
    })
    if (this.options.pidfile) releasePidfile(this.options.loaded.paths.home)
  }
}

export {channels}
