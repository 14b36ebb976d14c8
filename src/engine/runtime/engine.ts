import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {engineInputs} from '../alerts/inputs.js'
import type {AlertMonitor} from '../alerts/monitor.js'
import {channels, toMessage, type EventMessage} from '../bus/channels.js'
import {EventBus} from '../bus/event-bus.js'
import {OutboxRelay} from '../bus/outbox-relay.js'
import {connectRedis, describeRedis, redisConfigured, type RedisClient} from '../bus/redis.js'
import {canShareDatabase, sharesDatabase, type LoadedConfig} from '../config/index.js'
import type {Actor} from '../domain/context.js'
import {classifyFailure, isConnectionFailure} from '../errors.js'
import {openHandle, type EngineHandle} from '../handle.js'
import {createSystemLogger, type Logger} from '../logging/logger.js'
import {UserLogs} from '../logging/user-logs.js'
import {MetricsSampler} from '../metrics/sampler.js'
import type {PrometheusServer} from '../metrics/prometheus.js'
import {metricsMessage, type MetricsSnapshot} from '../metrics/snapshot.js'
import type {StoredEvent} from '../store/index.js'
import {Heartbeat} from './heartbeat.js'
import {Housekeeping} from './housekeeping.js'
import {claimDatabase, goneHere, releaseClaim} from './instance-claim.js'
import {ShardKeeper} from './shard-keeper.js'
import {SHARD_COUNT} from '../domain/shards.js'
import {invalidInput} from '../errors.js'
import {LoopScheduler} from './loop-scheduler.js'
import {openMarket} from './market/open.js'
import type {MarketData} from './market/types.js'
import {MonitorState} from './monitor-state.js'
import {acquirePidfile, releasePidfile, type EngineState} from '../daemon/pidfile.js'
import {StateSync} from './state-sync.js'
import {StrategyLoader} from './strategy-loader.js'
import {TradingPath} from './trading-path.js'
import {openVenue} from './venue/open.js'

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
  /** `ordermon stop --all` / `--instance` asked for a stop through the database. Default: stop(). */
  onStopRequested?: () => void
}

const ENGINE_ACTOR: Actor = {name: 'engine', source: 'engine'}

/**
 * The monitoring engine (the original's MonitoringEngine). It wires its parts and owns start, stop
 * and reload; each part does one job:
 * - LoopScheduler: one timer per loop, never overlapping itself, stopped cleanly;
 * - StateSync: the database <-> the in-memory monitors (one per active user, with that user's running
 *   strategies and open orders), from raw SQL changes (the `changes` loop) and the events outbox
 *   (the `follow` loop);
 * - TradingPath: ticks -> strategy runners -> orders -> venue -> batched transitions;
 * - Heartbeat, MetricsSampler and Housekeeping: vital signs, metrics, retention;
 * - OutboxRelay (when Redis is configured): every committed event to Redis pub/sub.
 */
export class MonitoringEngine {
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  readonly bus: EventBus
  private readonly startedAt = new Date()
  private readonly state = new MonitorState()
  private services?: EngineHandle
  private logger?: Logger
  private userLogs?: UserLogs
  private redis?: RedisClient
  private relay?: OutboxRelay
  private market?: MarketData
  private scheduler?: LoopScheduler
  private sync?: StateSync
  private trading?: TradingPath
  private sampler?: MetricsSampler
  private heartbeat?: Heartbeat
  private alerts?: AlertMonitor
  private prometheus?: PrometheusServer
  /** Several engines on one database (engine.sharing): this engine's shards of the users. */
  private keeper?: ShardKeeper
  /** False after a loop failed to reach the database, until a heartbeat gets through again. */
  private dbReachable = true
  private stopping = false

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
    // Refused before anything is opened or written.
    if (this.config.engine.sharing === true && !canShareDatabase(this.config)) throw invalidInput('engine.sharing needs MySQL/MariaDB: the embedded SQLite database runs one engine.', 'Set engine.sharing to auto or false, or use ORDERMON_DATABASE_URL=mysql://...')
    if (this.options.pidfile) acquirePidfile(loaded.paths.home)
    try {
      const logger = (this.logger = createSystemLogger(loaded.paths.logDir, this.config.logging.level))
      const userLogs = (this.userLogs = new UserLogs(loaded.paths.logDir, this.config.logging.level === 'debug' ? 'debug' : 'info', 500, (error, file) =>
        logger.warn('user log not written', {file, error: String(error), dropped_total: userLogs.dropped}),
      ))
      const services = (this.services = await openHandle({loaded}))
      const store = services.store
      // One engine per database, or engines sharing it (this one's row first, so the others count it
      // in the split): refused with the engine in the way named.
      const sharing = sharesDatabase(this.config)
      await claimDatabase(store, this.instanceRow('starting'), this.config.engine.instance_ttl_ms, services.db.label, {sharing})
      if (sharing) {
        this.keeper = new ShardKeeper({
          store,
          instanceId: this.instanceId,
          shardCount: SHARD_COUNT,
          leaseMs: () => this.config.engine.shard_lease_ms,
          liveEngines: async () => (await store.instances.live(this.config.engine.shard_lease_ms)).filter((i) => !goneHere(i)).map((i) => i.instance_id),
          onChange: async (gained, lost) => {
            logger.info('shards changed', {gained: gained.length, lost: lost.length, held: this.keeper!.shards.length, leader: this.keeper!.isLeader})
            await this.sync?.reload(gained)
          },
        })
        // A crashed engine of this host (its pid gone) holds leases nobody needs to wait out.
        await this.keeper.start(async (id) => {
          const i = await store.instances.find(id)
          return Boolean(i && goneHere(i))
        })
      }
      if (redisConfigured(this.config)) {
        this.redis = await connectRedis(this.config)
        this.relay = new OutboxRelay(store, this.redis, {name: `relay.${this.config.redis.key_prefix}`, channelPrefix: this.config.redis.key_prefix})
        // Fix the starting point now, before the engine writes anything it should publish.
        await this.relay.position()
      }
      const market = (this.market = await openMarket(this.config, Boolean(this.redis)))
      const loader = new StrategyLoader({strategiesDir: () => this.config.engine.strategies_dir ?? process.cwd(), market, strategies: services.strategies, userLogs, actor: ENGINE_ACTOR, fence: this.keeper?.fence})
      // Committed events are published and applied at once: the relay and the follower are woken
      // instead of waiting for their timers.
      const wakeReaders = () => {
        this.scheduler?.wake('relay')
        this.scheduler?.wake('follow')
      }
      const keeper = this.keeper
      const sync = (this.sync = new StateSync({store, state: this.state, loader, userLogs, follow: (symbols) => market.follow(symbols), deliver: (e) => this.deliver(e), onCommit: wakeReaders, owns: keeper ? (id) => keeper.owns(id) : undefined, scope: keeper ? () => ({count: SHARD_COUNT, shards: keeper.shards}) : undefined}))
      const trading = (this.trading = new TradingPath({
        store,
        state: this.state,
        market,
        venue: openVenue(this.config),
        orders: services.orders,
        userLogs,
        actor: ENGINE_ACTOR,
        track: (orders) => sync.track(orders),
        onFailure: (error) => this.fail(error, 'market'),
        onCommit: wakeReaders,
        fence: keeper?.fence,
      }))
      const sampler = (this.sampler = new MetricsSampler({
        instanceId: this.instanceId,
        startedAt: this.startedAt,
        store,
        counts: () => this.state.counts(),
        drainLatencies: () => trading.drainLatencies(),
        publish: this.redis ? (snapshot) => this.publishMetrics(snapshot) : undefined,
        storeEveryMs: () => this.config.monitoring.store_interval * 1000,
        poolInUse: () => services.db.poolInUse(),
        diskPath: loaded.paths.logDir,
      }))
      await sampler.init()
      if (this.config.monitoring.enabled) {
        const {AlertMonitor} = await import('../alerts/monitor.js')
        this.alerts = await AlertMonitor.open({loaded, store, logger, version: this.options.version, role: 'engine', raisedBy: this.instanceId, source: 'engine'})
      }
      const heartbeat = (this.heartbeat = new Heartbeat({
        store,
        home: loaded.paths.home,
        logger,
        startedAt: this.startedAt,
        row: (status) => this.instanceRow(status),
        status: () => this.status(),
        latestMetrics: () => sampler.latest,
        ttlMs: () => this.config.engine.instance_ttl_ms,
        onSuperseded: (by) => (this.options.onSuperseded ? this.options.onSuperseded(by) : void this.stop()),
        shared: () => Boolean(keeper),
        onStopRequested: () => (this.options.onStopRequested ? this.options.onStopRequested() : void this.stop()),
      }))
      const housekeeping = new Housekeeping({store, config: () => this.config, logDir: loaded.paths.logDir, logger, localPositions: () => [sync.position], stopping: () => this.stopping})
      await sync.load()
      await heartbeat.beat()
      if (this.config.monitoring.prometheus.enabled) this.prometheus = await this.startPrometheus()
      logger.info('engine started', {instance: this.instanceId, ...this.state.counts(), database: services.db.label, redis: this.redis ? describeRedis(this.config) : null})
      // Intervals are read each time, so a SIGHUP reload changes them without a restart.
      const e = () => this.config.engine
      const s = (this.scheduler = new LoopScheduler((loop, error) => this.fail(error, loop)))
      // The detector and the follower on loops of their own: a burst of events to apply never
      // holds up the detection of the next raw SQL change.
      // With several engines, what must run once per database runs on the leader only.
      const single = () => !keeper || keeper.isLeader
      s.every('changes', async () => void (single() && (await sync.detect())), () => e().poll_ms)
      s.every('follow', () => sync.follow(), () => e().poll_ms)
      s.every('market', () => trading.tick(), () => e().tick_ms)
      if (this.relay) s.every('relay', async () => void (single() && (await this.relayOutbox())), () => e().relay_ms)
      if (keeper) s.every('shards', () => keeper.step().then(() => undefined), () => Math.max(250, Math.floor(e().shard_lease_ms / 3)))
      s.every('heartbeat', () => heartbeat.beat().then(() => void (this.dbReachable = true)), () => e().heartbeat_ms, e().heartbeat_ms)
      // Rules are evaluated after every sample, also one that could not be stored: a database that
      // is down is exactly what an alert must say.
      s.every('metrics', () => sampler.sample().finally(() => this.checkAlerts()), () => e().metrics_ms)
      // Notifications on a loop of their own: a dead SMTP server delays only later notifications.
      if (this.alerts) s.every('notify', () => this.alerts!.deliver(), () => Math.min(1000, e().metrics_ms))
      s.every('housekeeping', async () => void (single() && (await housekeeping.run())), () => e().housekeeping_ms)
    } catch (error) {
      await this.close()
      throw error
    }
  }

  private instanceRow(status: string) {
    return {instance_id: this.instanceId, hostname: hostname(), pid: process.pid, version: this.options.version, backend: this.services?.db.client ?? 'unknown', status, info: {}}
  }

  /** The engine's rules on its latest sample and what it knows of its connections. */
  private async checkAlerts(): Promise<void> {
    if (!this.alerts) return
    const redis = !this.redis ? 'not_configured' : this.redis.status === 'ready' ? 'up' : 'down'
    const changes = await this.alerts.check(engineInputs(this.sampler?.latest, {dbFailed: !this.dbReachable, redis, degraded: Boolean(this.heartbeat?.error)}))
    // Something to tell: the notify loop goes now rather than at its next turn.
    if (changes.length) this.scheduler?.wake('notify')
  }

  private async startPrometheus(): Promise<PrometheusServer> {
    const {startPrometheus} = await import('../metrics/prometheus.js')
    const p = this.config.monitoring.prometheus
    return startPrometheus({
      host: p.host,
      port: p.port,
      path: p.path,
      onError: (error) => this.logger?.warn('prometheus scrape failed', {error: String(error)}),
      source: {
        snapshot: () => this.sampler?.latest,
        loops: () => this.scheduler?.stats() ?? [],
        ordersByStatus: () => this.state.openOrdersByStatus(),
        counters: () => ({
          events_total: this.sampler?.eventsTotal ?? 0,
          transitions_total: this.trading?.transitions ?? 0,
          fills_total: this.sampler?.fillsTotal ?? 0,
          rejects_by_reason: this.sampler?.rejectsByReason() ?? {},
          alerts_raised_total: this.alerts?.stats().raised_total ?? 0,
          notifications_failed_total: this.alerts?.stats().failed_total ?? 0,
        }),
        relayLagMs: () => this.relay?.lagMs() ?? null,
        alertsFiring: () => this.alerts?.stats().firing ?? [],
        info: () => ({version: this.options.version, instance_id: this.instanceId, backend: this.services?.db.client ?? 'unknown'}),
      },
    })
  }

  /** A loop failed: logged, and the engine shows degraded until its next heartbeat. */
  private fail(error: unknown, loop: string): void {
    const {failure} = classifyFailure(error)
    if (isConnectionFailure(failure) && loop !== 'relay') this.dbReachable = false
    const tag = isConnectionFailure(failure) ? 'db_connection_failed' : failure === 'redis_unavailable' ? 'redis_connection_failed' : undefined
    const message = (error as Error)?.message ?? String(error)
    this.heartbeat?.report(`${tag ? `${tag}: ` : ''}${message}`.slice(0, 300))
    this.logger?.error(tag ?? 'engine task failed', {loop, error: message, code: (error as {code?: string})?.code})
  }

  /** Each event, once state sync has applied it: counted, logged for its user, handed to subscribers. */
  private async deliver(e: StoredEvent): Promise<void> {
    const fill = e.type === 'order.filled' || e.type === 'order.partially_filled' ? Number(e.payload.filled_delta ?? 0) : 0
    const rejected = e.type === 'order.rejected'
    this.sampler!.onEvent(e.entity_type, fill, new Date(), rejected, rejected ? String(e.payload.reason ?? 'unknown') : undefined)
    if (e.type === 'alert.acknowledged') this.alerts?.acknowledged(String(e.payload.rule ?? ''))
    if (e.user_id) this.userLogs!.log(e.user_id, 'info', e.type, {event_id: e.id, entity: e.entity_id, source: e.source, ...e.payload})
    const m = toMessage(e)
    await this.bus.emit(m)
    this.options.onEvent?.(m)
  }

  /** Live metrics go straight to Redis (`<prefix>metrics`): a sample a second is no outbox event. */
  private async publishMetrics(snapshot: MetricsSnapshot): Promise<void> {
    await this.redis!.publish(channels.metrics(this.config.redis.key_prefix), JSON.stringify(metricsMessage(snapshot)))
  }

  private async relayOutbox(): Promise<void> {
    while (!this.stopping && (await this.relay!.relayOnce()) > 0);
  }

  /**
   * SIGHUP: re-reads the configuration and applies what can change at run time (log level, loop
   * intervals, retention, risk limits for new strategies). Database, Redis, market, venue and
   * engine.sharing need a restart. An invalid configuration is refused and the running one kept.
   */
  reload(next: LoadedConfig): string[] {
    // Rules first: a bad rule refuses the whole reload, and the running configuration is kept.
    this.alerts?.reload(next)
    const before = this.config
    // Paths (home, pidfile, logs) and connections stay as they were started; so does whether this
    // engine shares the database (its leases or its claim were taken at start).
    const config = {...next.config, engine: {...next.config.engine, sharing: before.engine.sharing}}
    this.options.loaded = {...next, config, paths: this.options.loaded.paths}
    if (this.logger) this.logger.level = next.config.logging.level
    const changed = (['logging', 'engine', 'order', 'strategy', 'monitoring', 'notification'] as const).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(config[k]))
    this.logger?.info('configuration reloaded', {changed})
    return changed
  }

  /** What engine.json and `ordermon status` show. Reading it changes nothing. */
  status(): EngineState {
    const now = Date.now()
    return {
      pid: process.pid,
      instance_id: this.instanceId,
      version: this.options.version,
      backend: this.services?.db.client ?? 'unknown',
      database: this.services?.db.label ?? '',
      redis: this.redis ? describeRedis(this.config) : null,
      status: 'running',
      started_at: this.startedAt.toISOString(),
      updated_at: new Date(now).toISOString(),
      ...this.state.counts(),
      events_per_s: this.sampler?.eventsPerSecond(now) ?? 0,
      events_total: this.sampler?.eventsTotal ?? 0,
      transitions_total: this.trading?.transitions ?? 0,
      last_scan_at: this.sync?.lastScanAt?.toISOString() ?? null,
      last_error: this.heartbeat?.error ?? null,
      shards: this.keeper ? this.keeper.shards.length : null,
      leader: this.keeper ? this.keeper.isLeader : null,
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
    this.heartbeat?.write('stopping')
    await this.scheduler?.stop()
    await this.prometheus?.close().catch(() => {})
    await this.trading?.flush().catch((error) => this.fail(error, 'stop'))
    if (this.relay && (!this.keeper || this.keeper.isLeader)) {
      const published = await this.relay.drain().catch((error) => {
        this.logger?.warn('events left unpublished at stop; they go out at the next start', {error: String(error)})
        return 0
      })
      if (published) this.logger?.info('outbox drained at stop', {events: published})
    }
    // Every shard handed over at once: the other engines take them at their next step.
    await this.keeper?.stop().catch((error) => this.logger?.warn('shard leases not released; they lapse on their own', {error: String(error)}))
    await this.heartbeat?.stopped()
    this.logger?.info('engine stopped', {instance: this.instanceId, events: this.sampler?.eventsTotal ?? 0})
    this.heartbeat?.write('stopped')
    await this.close()
  }

  private async close(): Promise<void> {
    // Queued notifications get one last try (bounded by the channel timeout) while the database is open.
    await this.alerts?.close().catch(() => {})
    await this.prometheus?.close().catch(() => {})
    releaseClaim(this.instanceId)
    await this.userLogs?.close()
    await this.market?.close?.().catch(() => {})
    this.redis?.disconnect()
    await this.services?.close().catch(() => {})
    await new Promise<void>((resolve) => {
      if (!this.logger) return resolve()
      this.logger.on('finish', () => resolve())
      this.logger.end()
      setTimeout(resolve, 500)
    })
    if (this.options.pidfile) releasePidfile(this.options.loaded.paths.home)
  }
}
