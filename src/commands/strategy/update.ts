import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import {strategyRecord} from '../../cli/views/strategies.js'
import {readStrategyConfig, type Strategy} from '../../engine/index.js'

export default class StrategyUpdate extends BaseCommand<typeof StrategyUpdate> {
  static override summary = "Replace a strategy's name, parameters, risk management or schedule from a JSON file."
  static override examples = ['<%= config.bin %> strategy update --strategy-id STR001 --config strategy_config.json']

  static override flags = {
    'strategy-id': Flags.string({char: 's', required: true, description: 'Strategy id.'}),
    config: Flags.string({char: 'c', required: true, description: 'JSON with the settings to replace.'}),
  }

  async run(): Promise<{strategy: Strategy; changed: string[]}> {
    const config = await readStrategyConfig(this.flags.config)
    const engine = await this.engine()
    const r = await engine.strategies.update(this.flags['strategy-id'], config, this.actor())
    this.log(r.changed.length ? success(`Updated ${r.strategy.strategy_id}: ${r.changed.join(', ')}.`) : `Nothing changed for ${r.strategy.strategy_id}.`)
    this.log(strategyRecord(r.strategy))
    return r
  }
}
