import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {performanceRecord} from '../../cli/views/strategies.js'
import type {Performance} from '../../engine/index.js'

export default class StrategyPerformance extends BaseCommand<typeof StrategyPerformance> {
  static override summary = 'Orders, fill and success rates, realized and unrealized P&L and max drawdown of a strategy.'
  static override examples = ['<%= config.bin %> strategy performance --strategy-id STR001 --start-date 2024-01-01 --end-date 2024-01-31']

  static override flags = {
    'strategy-id': Flags.string({char: 's', required: true, description: 'Strategy id.'}),
    'start-date': Flags.string({description: 'From this date (YYYY-MM-DD, UTC).'}),
    'end-date': Flags.string({description: 'To this date, inclusive (YYYY-MM-DD, UTC).'}),
  }

  async run(): Promise<Performance> {
    const engine = await this.engine()
    const p = await engine.strategies.performance(this.flags['strategy-id'], {start_date: this.flags['start-date'], end_date: this.flags['end-date']})
    this.log(performanceRecord(p))
    return p
  }
}
