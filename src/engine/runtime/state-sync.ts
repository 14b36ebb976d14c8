import {OutboxCursor} from '../bus/outbox-cursor.js'
import {isActiveUser, isRunningStrategy} from '../domain/statuses.js'
import type {UserLogs} from '../logging/user-logs.js'
import type {Order, Store, StoredEvent, Strategy} from '../store/index.js'
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
}

/**
 * Keeps the in-memory monitors (MonitorState) in step with the database. `load()` reads the active
 * users, their running strategies and open orders (three queries whatever the size); `poll()` turns
 * raw SQL changes into events (ChangeDetector) and then follows the events outbox — every change from
 * the CLI, the API, raw SQL or this engine — and applies each batch: the events say what changed,
 * the current rows (three queries a batch) say what is.
 */
export class StateSync {
  private readonly detector: ChangeDetector
  private readonly follower: OutboxCursor
  lastScanAt: Date | null = null

  constructor(private readonly options: StateSyncOptions) {
    this.detector = new ChangeDetector(options.store)
    this.follower = new OutboxCursor(options.store)
  }

  /** The newest event id applied: housekeeping never prunes past it. */
  get position(): number {
    return this.follower.position
  }

  /** Fixes where following starts (the newest event), then loads what to monitor. */
  async load(): Promise<void> {
    await this.follower.init()
    const {store, state} = this.options
    const users = await store.users.active()
    const active = new Set(users.map((u) => u.user_id))
    for (const id of [...state.monitors.keys()]) if (!active.has(id)) this.dropUser(id)
    for (const u of users) state.addUser(u)
    const strategies = (await store.strategies.running('all')).filter((s) => active.has(s.user_id))
    for (const s of strategies) await this.ensureRunner(s)
    const positions = await store.orders.positions(strategies.map((s) => s.strategy_id))
    for (const p of positions) state.runner(p.strategy_id)?.setPosition(p.symbol, p.quantity, p.avg_cost)
    this.track(await store.orders.openForUsers('all'))
    this.lastScanAt = new Date()
  }

  /** Raw SQL changes become events; then every new event is applied, batch by batch. */
  async poll(): Promise<void> {
    await this.detector.poll()
    for (;;) {
      const events = await this.follower.next(this.options.batchSize ?? 5000)
      if (events.length === 0) {
        await this.follower.commit()
        return
      }
      try {
        await this.apply(events)
      } catch (error) {
        // Applied in part at most: read them again next poll (applying twice is harmless).
        this.follower.rewind()
        throw error
      }
      await this.follower.commit()
    }
  }

  /** Orders the engine itself just changed (the venue's fills), tracked before their events arrive. */
  track(orders: Iterable<Order>): void {
    const symbols: string[] = []
    for (const o of orders) if (this.options.state.track(o)) symbols.push(o.symbol)
    if (symbols.length) this.options.follow(symbols)
  }

  private async apply(events: StoredEvent[]): Promise<void> {
    const {store, state, userLogs} = this.options
    const ids = {user: new Set<string>(), strategy: new Set<string>(), order: new Set<string>()}
    for (const e of events) if (e.entity_type in ids) ids[e.entity_type as keyof typeof ids].add(e.entity_id)
    const [users, strategies, orders] = await Promise.all([store.users.findMany([...ids.user]), store.strategies.findMany([...ids.strategy]), store.orders.findMany([...ids.order])])
    const userMap = new Map(users.map((u) => [u.user_id, u]))
    for (const id of ids.user) {
      const u = userMap.get(id)
      if (!u || !isActiveUser(u.status)) {
        if (state.monitors.has(id)) this.dropUser(id)
      } else if (state.addUser(u)) {
        for (const s of await store.strategies.running([id])) await this.ensureRunner(s)
        this.track(await store.orders.openForUsers([id]))
        userLogs.log(id, 'info', 'user monitored')
      }
    }
    const strategyMap = new Map(strategies.map((s) => [s.strategy_id, s]))
    for (const id of ids.strategy) {
      const s = strategyMap.get(id)
      if (s && isRunningStrategy(s.status)) await this.ensureRunner(s)
      else state.removeRunner(id)
    }
    this.track(orders)
    const orderMap = new Map(orders.map((o) => [o.order_id, o]))
    for (const e of events) {
      if (e.type === 'order.filled' || e.type === 'order.partially_filled') this.bookFill(e, orderMap.get(e.entity_id))
      await this.options.deliver(e)
    }
  }

  /** A fill moves its strategy's position and realised P&L (what the risk limits read). */
  private bookFill(e: StoredEvent, o: Order | undefined): void {
    const delta = Number(e.payload.filled_delta ?? 0)
    const strategyId = (e.payload.strategy_id as string | undefined) ?? o?.strategy_id
    if (!o || !strategyId || !(delta > 0)) return
    this.options.state.runner(strategyId)?.onFill(o.symbol, o.side, delta, Number(e.payload.fill_price ?? o.avg_fill_price ?? 0))
  }

  private async ensureRunner(s: Strategy): Promise<void> {
    const {state} = this.options
    if (!state.monitors.has(s.user_id)) return
    const existing = state.runner(s.strategy_id)
    if (existing && existing.config.version === s.version) return
    const runner = await this.options.loader.load(s)
    if (runner) state.addRunner(s.user_id, runner)
  }

  private dropUser(userId: string): void {
    this.options.state.dropUser(userId)
    this.options.userLogs.log(userId, 'info', 'user no longer monitored')
  }
}
