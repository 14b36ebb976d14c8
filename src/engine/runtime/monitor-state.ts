import {isOpenOrder} from '../domain/statuses.js'
import type {Order, User} from '../store/index.js'
import type {StrategyRunner} from './strategy-runner.js'

/** One active user: the original's UserMonitor, with that user's running strategies. */
export interface UserMonitor {
  user: User
  runners: Map<string, StrategyRunner>
}

/**
 * What the engine monitors, indexed the ways it is asked: users by id, strategies by id and by
 * symbol, open orders by id, by symbol and by user. Every change is O(1) or O(what it touches), never
 * a walk over all users or orders, so 10,000 users and 100,000 orders stay cheap.
 */
export class MonitorState {
  readonly monitors = new Map<string, UserMonitor>()
  private readonly runners = new Map<string, {runner: StrategyRunner; userId: string}>()
  private readonly runnersBySymbol = new Map<string, Set<StrategyRunner>>()
  readonly openOrders = new Map<string, Order>()
  private readonly ordersBySymbol = new Map<string, Map<string, Order>>()
  private readonly ordersByUser = new Map<string, Set<string>>()

  addUser(user: User): boolean {
    const m = this.monitors.get(user.user_id)
    if (m) {
      m.user = user
      return false
    }
    this.monitors.set(user.user_id, {user, runners: new Map()})
    return true
  }

  dropUser(userId: string): void {
    const m = this.monitors.get(userId)
    if (!m) return
    for (const id of [...m.runners.keys()]) this.removeRunner(id)
    for (const id of [...(this.ordersByUser.get(userId) ?? [])]) this.untrack(this.openOrders.get(id)!)
    this.monitors.delete(userId)
  }

  runner(strategyId: string): StrategyRunner | undefined {
    return this.runners.get(strategyId)?.runner
  }

  addRunner(userId: string, runner: StrategyRunner): void {
    const m = this.monitors.get(userId)
    if (!m) return
    this.removeRunner(runner.config.strategy_id)
    m.runners.set(runner.config.strategy_id, runner)
    this.runners.set(runner.config.strategy_id, {runner, userId})
    for (const s of runner.symbols) {
      let set = this.runnersBySymbol.get(s)
      if (!set) this.runnersBySymbol.set(s, (set = new Set()))
      set.add(runner)
    }
    // A runner built while its strategy has orders open (a restart, an update) holds their slots.
    for (const id of this.ordersByUser.get(userId) ?? []) {
      const o = this.openOrders.get(id)!
      if (o.strategy_id === runner.config.strategy_id) runner.working.add(o.symbol)
    }
  }

  removeRunner(strategyId: string): void {
    const entry = this.runners.get(strategyId)
    if (!entry) return
    this.runners.delete(strategyId)
    this.monitors.get(entry.userId)?.runners.delete(strategyId)
    for (const s of entry.runner.symbols) this.runnersBySymbol.get(s)?.delete(entry.runner)
  }

  runnersFor(symbol: string): Iterable<StrategyRunner> {
    return this.runnersBySymbol.get(symbol) ?? []
  }

  ordersFor(symbol: string): Order[] {
    const m = this.ordersBySymbol.get(symbol)
    return m ? [...m.values()] : []
  }

  /** Keeps an order if it is open and its user monitored; forgets it otherwise. */
  track(o: Order): boolean {
    const keep = isOpenOrder(o.status) && this.monitors.has(o.user_id)
    if (keep) {
      this.openOrders.set(o.order_id, o)
      let bySym = this.ordersBySymbol.get(o.symbol)
      if (!bySym) this.ordersBySymbol.set(o.symbol, (bySym = new Map()))
      bySym.set(o.order_id, o)
      let byUser = this.ordersByUser.get(o.user_id)
      if (!byUser) this.ordersByUser.set(o.user_id, (byUser = new Set()))
      byUser.add(o.order_id)
    } else this.untrack(o)
    if (o.strategy_id) {
      const r = this.runner(o.strategy_id)
      if (r) {
        if (isOpenOrder(o.status)) r.working.add(o.symbol)
        else r.working.delete(o.symbol)
      }
    }
    return keep
  }

  private untrack(o: Order): void {
    this.openOrders.delete(o.order_id)
    this.ordersBySymbol.get(o.symbol)?.delete(o.order_id)
    this.ordersByUser.get(o.user_id)?.delete(o.order_id)
  }

  /** Open orders monitored, by status (a scrape's worth of work: one pass over the map). */
  openOrdersByStatus(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const o of this.openOrders.values()) out[o.status] = (out[o.status] ?? 0) + 1
    return out
  }

  counts(): {users: number; strategies: number; open_orders: number} {
    return {users: this.monitors.size, strategies: this.runners.size, open_orders: this.openOrders.size}
  }
}
