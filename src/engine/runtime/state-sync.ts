import {OutboxCursor} from '../bus/outbox-cursor.js'
import {isActiveUser, isRunningStrategy} from '../domain/statuses.js'
import type {UserLogs} from '../logging/user-logs.js'
import {shardOf} from '../domain/shards.js'
import type {Order, ShardScope, Store, StoredEvent, Strategy} from '../store/index.js'
import {ChangeDetector} from './change-detector.js'
import type {MonitorState} from './monitor-state.js'
import type {StrategyLoader} from './strategy-loader.js'

export interface StateSyncOptions {
  store: Store
  state: MonitorState
  loader: StrategyLoader
  userLogs: UserLogs
  /** Symbols of newly tracked orders: the market must follow them for the venue to work them. */
  follow(symbols: string[]): void
  /** Every event once it is applied to the state, in id order: the engine counts, logs and hands it on. */
  deliver(event: StoredEvent): Promise<void> | void
  /** Events read per follower batch. */
  batchSize?: number
  /** The change detector committed events (the engine wakes its relay). */
  onCommit?: (events: number) => void
  /** Several engines on one database: the users this engine handles (its shards). Default: all. */
  owns?: (userId: string) => boolean
  /** With `owns`: the shards those users are in, so that only their rows are read. */
  scope?: () => ShardScope
}

/**
 * Keeps the in-memory monitors (MonitorState) in step with the database. `load()` reads the active
 * users, their running strategies and open orders (three queries whatever the size); `detect()`
 * turns raw SQL changes into events (ChangeDetector); `follow()` follows the events outbox — every
 * change from the CLI, the API, raw SQL or this engine — and applies each batch: the events say what
 * changed, the current rows (three queries a batch) say what is.
 */
export class StateSync {
  private readonly detector: ChangeDetector
  private readonly follower: OutboxCursor
  /**
   * Fill events booked and events delivered since the follower's last commit. A batch that fails
   * half-way is read again (rewind); what is in these is skipped then, so a fill is booked once and
   * an event delivered once. Pruned to ids past the committed position at each commit.
   */
  private readonly booked = new Set<number>()
  private readonly delivered = new Set<number>()
  lastScanAt: Date | null = null

  constructor(private readonly options: StateSyncOptions) {
    this.detector = new ChangeDetector(options.store, {onCommit: options.onCommit})
    this.follower = new OutboxCursor(options.store)
  }

  /** The newest event id applied: housekeeping never prunes past it. */
  get position(): number {
    return this.follower.position
  }

  private owns(userId: string): boolean {
    return this.options.owns?.(userId) ?? true
  }

  /** Fixes where following starts (the newest event), then loads what to monitor. */
  async load(): Promise<void> {
    await this.follower.init()
    await this.reload()
  }

  /**
   * Reads what to monitor again, keeping the runners that are still current: at start, and when this
   * engine's shards change. Then `gained` names the shards taken: only their users' rows are read,
   * and the users of shards lost are dropped from memory.
   */
  async reload(gained?: readonly number[]): Promise<void> {
    const {store, state} = this.options
    const owned = this.options.scope?.()
    const scope = owned && gained ? {count: owned.count, shards: gained} : owned
    const users = (await store.users.active(scope)).filter((u) => this.owns(u.user_id))
    const active = new Set(users.map((u) => u.user_id))
    const read = scope && new Set(scope.shards)
    const wasRead = (id: string) => !read || read.has(shardOf(id, scope.count))
    for (const id of [...state.monitors.keys()]) if (!this.owns(id) || (wasRead(id) && !active.has(id))) this.dropUser(id)
    for (const u of users) state.addUser(u)
    const strategies = (await store.strategies.running('all', scope)).filter((s) => active.has(s.user_id))
    const fresh: string[] = []
    for (const s of strategies) if ((await this.ensureRunner(s)) === 'new') fresh.push(s.strategy_id)
    await this.loadPositions(fresh)
    this.track(await store.orders.openForUsers('all', scope))
    this.lastScanAt = new Date()
  }

  /** Raw SQL changes become events, and then every new event is applied: one step of each. */
  async poll(): Promise<void> {
    await this.detect()
    await this.follow()
  }

  /**
   * Raw SQL changes become events. On its own loop in the engine: a quick indexed look when nothing
   * changed, so it can run every few milliseconds without waiting for the follower's batches.
   */
  async detect(): Promise<void> {
    await this.detector.poll()
  }

  /** Every new event in the outbox applied to the monitors, batch by batch, then delivered. */
  async follow(): Promise<void> {
    for (;;) {
      const events = await this.follower.next(this.options.batchSize ?? 5000)
      if (events.length === 0) {
        await this.commit()
        return
      }
      try {
        await this.apply(events)
      } catch (error) {
        // Applied in part at most: read them again next poll. Row state is re-read, so applying it
        // twice is harmless; what is not (fills, delivery) is skipped through `booked` and `delivered`.
        this.follower.rewind()
        throw error
      }
      await this.commit()
    }
  }

  private async commit(): Promise<void> {
    await this.follower.commit()
    // A rewind never goes back past the committed position (it stays behind an open gap, if any).
    const upTo = this.follower.position
    for (const set of [this.booked, this.delivered]) for (const id of set) if (id <= upTo) set.delete(id)
  }

  /** Orders the engine itself just changed (the venue's fills), tracked before their events arrive. */
  track(orders: Iterable<Order>): void {
    const symbols: string[] = []
    for (const o of orders) if (this.options.state.track(o)) symbols.push(o.symbol)
    if (symbols.length) this.options.follow(symbols)
  }

  private async apply(events: StoredEvent[]): Promise<void> {
    const {store, state, userLogs} = this.options
    const fresh: string[] = []
    const ensure = async (s: Strategy) => void ((await this.ensureRunner(s)) === 'new' && fresh.push(s.strategy_id))
    const ids = {user: new Set<string>(), strategy: new Set<string>(), order: new Set<string>()}
    for (const e of events) if (e.entity_type in ids) ids[e.entity_type as keyof typeof ids].add(e.entity_id)
    const [users, strategies, orders] = await Promise.all([store.users.findMany([...ids.user]), store.strategies.findMany([...ids.strategy]), store.orders.findMany([...ids.order])])
    const userMap = new Map(users.map((u) => [u.user_id, u]))
    for (const id of ids.user) {
      const u = userMap.get(id)
      if (!u || !isActiveUser(u.status) || !this.owns(id)) {
        if (state.monitors.has(id)) this.dropUser(id)
      } else if (state.addUser(u)) {
        for (const s of await store.strategies.running([id])) await ensure(s)
        this.track(await store.orders.openForUsers([id]))
        userLogs.log(id, 'info', 'user monitored')
      }
    }
    const strategyMap = new Map(strategies.map((s) => [s.strategy_id, s]))
    for (const id of ids.strategy) {
      const s = strategyMap.get(id)
      if (s && isRunningStrategy(s.status)) await ensure(s)
      else state.removeRunner(id)
    }
    await this.loadPositions(fresh)
    this.track(orders)
    const orderMap = new Map(orders.map((o) => [o.order_id, o]))
    for (const e of events) {
      if ((e.type === 'order.filled' || e.type === 'order.partially_filled') && !this.booked.has(e.id)) {
        this.booked.add(e.id)
        this.bookFill(e, orderMap.get(e.entity_id))
      }
      if (this.delivered.has(e.id)) continue
      await this.options.deliver(e)
      this.delivered.add(e.id)
    }
  }

  /** A fill moves its strategy's position and realised P&L (what the risk limits read). */
  private bookFill(e: StoredEvent, o: Order | undefined): void {
    const delta = Number(e.payload.filled_delta ?? 0)
    const strategyId = (e.payload.strategy_id as string | undefined) ?? o?.strategy_id
    if (!o || !strategyId || !(delta > 0)) return
    this.options.state.runner(strategyId)?.onFill(o.symbol, o.side, delta, Number(e.payload.fill_price ?? o.avg_fill_price ?? 0))
  }

  /**
   * A runner for a running strategy of a monitored user: kept if its version is current, rebuilt
   * (keeping its positions and the day's P&L) after an update, or 'new', whose positions the caller
   * loads from fills for all new runners at once.
   */
  private async ensureRunner(s: Strategy): Promise<'kept' | 'rebuilt' | 'new' | undefined> {
    const {state} = this.options
    if (!state.monitors.has(s.user_id)) return undefined
    const existing = state.runner(s.strategy_id)
    if (existing && existing.config.version === s.version) return 'kept'
    const runner = await this.options.loader.load(s)
    if (!runner) return undefined
    if (existing) runner.adoptBook(existing)
    state.addRunner(s.user_id, runner)
    return existing ? 'rebuilt' : 'new'
  }

  /** Positions and average costs from fills, for runners that have none yet (one query). */
  private async loadPositions(strategyIds: string[]): Promise<void> {
    if (strategyIds.length === 0) return
    for (const p of await this.options.store.orders.positions(strategyIds)) this.options.state.runner(p.strategy_id)?.setPosition(p.symbol, p.quantity, p.avg_cost)
  }

  private dropUser(userId: string): void {
    this.options.state.dropUser(userId)
    this.options.userLogs.log(userId, 'info', 'user no longer monitored')
  }
}
