import type {Actor} from '../domain/context.js'
import type {WriteFence} from '../domain/shards.js'
import type {StrategyService} from '../domain/strategies/service.js'
import type {UserLogs} from '../logging/user-logs.js'
import type {Strategy} from '../store/index.js'
import {loadStrategy} from '../strategies/registry.js'
import type {MarketData} from './market/types.js'
import {StrategyRunner} from './strategy-runner.js'

export interface StrategyLoaderOptions {
  /** Where custom strategies' module_path is resolved from (read each time: a reload may change it). */
  strategiesDir(): string
  market: MarketData
  strategies: Pick<StrategyService, 'stop'>
  userLogs: UserLogs
  actor: Actor
  /** Engines sharing the database: the stop of a strategy that failed to load is fenced like any write. */
  fence?: WriteFence
}

/**
 * Turns a running strategy row into a StrategyRunner: its trading logic (built in, or a custom
 * module), the market following its symbols, a line in its user's log. A strategy whose logic cannot
 * be loaded is stopped with the reason, through the same service the CLI uses, so it shows as stopped
 * everywhere instead of silently not trading.
 */
export class StrategyLoader {
  constructor(private readonly options: StrategyLoaderOptions) {}

  async load(s: Strategy): Promise<StrategyRunner | undefined> {
    const {market, userLogs} = this.options
    try {
      const runner = new StrategyRunner(s, await loadStrategy(s, this.options.strategiesDir()))
      market.follow(runner.symbols)
      userLogs.log(s.user_id, 'info', `strategy ${s.strategy_id} running`, {strategy_id: s.strategy_id, type: s.type})
      return runner
    } catch (error) {
      userLogs.log(s.user_id, 'error', `strategy ${s.strategy_id} failed to load: ${String(error)}`)
      await this.options.strategies.stop(s.strategy_id, this.options.actor, {reason: `failed to load: ${String(error)}`.slice(0, 250), fence: this.options.fence}).catch(() => {})
      return undefined
    }
  }
}
