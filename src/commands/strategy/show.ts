import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {strategyDetails} from '../../cli/views/strategies.js'
import type {Performance, Strategy} from '../../engine/index.js'

export default class StrategyShow extends BaseCommand<typeof StrategyShow> {
  static override summary = 'Show a strategy: configuration, state and performance.'
  static override aliases = ['strategy:status']
  static override examples = ['<%= config.bin %> strategy show --strategy-id STR001', '<%= config.bin %> strategy status --strategy-id STR001']

  static override flags = {
    'strategy-id': Flags.string({char: 's', required: true, description: 'Strategy id (e.g. STR001).'}),
  }

  async run(): Promise<{strategy: Strategy; performance: Performance}> {
    const engine = await this.engine()
    const strategy = await engine.strategies.get(this.flags['strategy-id'])
    const performance = await engine.strategies.performance(strategy.strategy_id)
    this.log(strategyDetails(strategy, performance))
    return {strategy, performance}
  }
}
