import type {Actor} from '../domain/context.js'
import {TransitionBatcher} from '../domain/orders/batcher.js'
import type {WriteFence} from '../domain/shards.js'
import type {OrderService} from '../domain/orders/service.js'
import type {UserLogs} from '../logging/user-logs.js'
import type {OrderIntent} from '../strategies/types.js'
import type {Order, Store} from '../store/index.js'
import {yieldToEventLoop} from './loop-scheduler.js'
import type {MarketData, Tick} from './market/types.js'
import type {MonitorState} from './monitor-state.js'
import type {StrategyRunner} from './strategy-runner.js'
import type {ExecutionVenue} from './venue/types.js'

/** A strategy's order intent on its way to the order service. */
interface Placed {
  runner: StrategyRunner
  intent: OrderIntent
}

export interface TradingPathOptions {
  store: Store
  state: MonitorState
  market: MarketData
  venue: ExecutionVenue
  orders: Pick<OrderService, 'createMany'>
  userLogs: UserLogs
  actor: Actor
  /** Orders this path created or changed: state sync tracks them before their events come round. */
  track(orders: Order[]): void
  /** A failed batch of venue decisions (the database went away): reported, and the next tick tries again. */
  onFailure(error: unknown): void
  /** The batcher committed transitions (the engine wakes its relay). */
  onCommit?: (events: number) => void
  /** Several engines on one database: what this engine writes is checked against its shard leases. */
  fence?: WriteFence
}

/**
 * The trading path, one market step at a time: ticks from the market data source go to the strategy
 * runners following each symbol; their order intents (checked against risk limits and schedule by
 * the runner) are placed through the order service, all of a symbol's in one transaction; then the
 * venue works the open book and its fills and cancels are committed in batches (TransitionBatcher: a
 * few transactions a tick, not one per order or fill).
 */
export class TradingPath {
  readonly batcher: TransitionBatcher
  /** Venue transitions committed since start. */
  transitions = 0

  constructor(private readonly options: TradingPathOptions) {
    this.batcher = new TransitionBatcher(options.store, {source: options.actor.source, actor: options.actor.name, maxDelayMs: 5, onCommit: options.onCommit, fence: options.fence})
  }

  async tick(now = Date.now()): Promise<void> {
    const ticks = await this.options.market.next(now)
    const date = new Date(now)
    for (const tick of ticks) {
      await this.runStrategies(tick, date)
      await this.execute(tick, now)
      // One symbol at a time: at 30,000 strategies and 100,000 orders a whole tick is ~100 ms of
      // CPU, which would otherwise hold up the change detector and the relay in one block.
      await yieldToEventLoop()
    }
  }

  /** Each runner following the symbol sees the tick; their orders go in together (one transaction). */
  private async runStrategies(tick: Tick, date: Date): Promise<void> {
    const {state, userLogs} = this.options
    const placed: Placed[] = []
    for (const runner of state.runnersFor(tick.symbol)) {
      const {intents, blocked} = runner.onTick(tick, date)
      for (const b of blocked) userLogs.log(runner.config.user_id, 'warn', `risk: ${b}`, {strategy_id: runner.config.strategy_id})
      for (const intent of intents) {
        // One working order per symbol and strategy: held from the intent until the order closes.
        if (runner.working.has(intent.symbol)) continue
        runner.working.add(intent.symbol)
        placed.push({runner, intent})
      }
    }
    if (placed.length) await this.place(placed)
  }

  private async place(placed: Placed[]): Promise<void> {
    const {orders, actor, userLogs} = this.options
    const refused = ({runner, intent}: Placed, error: unknown) => {
      runner.working.delete(intent.symbol)
      userLogs.log(runner.config.user_id, 'warn', `order refused: ${String((error as Error).message ?? error)}`, {strategy_id: runner.config.strategy_id})
    }
    const items = placed.map(({runner, intent}) => ({user_id: runner.config.user_id, strategy_id: runner.config.strategy_id, symbol: intent.symbol, side: intent.side, order_type: intent.order_type, quantity: intent.quantity, price: intent.price, time_in_force: 'GTC'}))
    let results
    try {
      results = await orders.createMany(items, actor, {fence: this.options.fence})
    } catch (error) {
      for (const p of placed) refused(p, error)
      return
    }
    const made: Order[] = []
    for (const [i, r] of results.entries()) {
      if (r.order) made.push(r.order)
      else refused(placed[i]!, r.error)
    }
    this.options.track(made)
  }

  private async execute(tick: Tick, now: number): Promise<void> {
    const book = this.options.state.ordersFor(tick.symbol)
    if (book.length === 0) return
    const decision = this.options.venue.onTick(tick, book, now)
    const results = await Promise.all([
      ...decision.fills.map((f) => this.batcher.submit({order_id: f.order_id, fill: {quantity: f.quantity, price: f.price, fee: f.fee}, reason: 'fill'})),
      ...decision.cancels.map((c) => this.batcher.submit({order_id: c.order_id, to: 'cancelled', reason: c.reason})),
    ]).catch((error) => {
      this.options.onFailure(error)
      return []
    })
    const changed = (results as Array<Order | undefined>).filter((o): o is Order => o !== undefined)
    this.transitions += changed.length
    this.options.track(changed)
  }

  /** Commits what the venue decided so far (at stop). */
  flush(): Promise<void> {
    return this.batcher.flush()
  }

  /** Submit-to-commit latencies (ms) since the last call: the metrics' average and p99. */
  drainLatencies(): number[] {
    return this.batcher.drainLatencies()
  }
}
