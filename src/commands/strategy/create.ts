import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import {strategyRecord} from '../../cli/views/strategies.js'
import {readStrategyConfig, strategyTypes, type Strategy} from '../../engine/index.js'

export default class StrategyCreate extends BaseCommand<typeof StrategyCreate> {
  static override summary = 'Create a strategy from a JSON configuration and/or flags (created stopped).'
  static override description = `The configuration is the manual's strategy_config.json: strategy_id (optional), name, type, user_id, parameters, risk_management, schedule. Flags override the file.`
  static override examples = [
    '<%= config.bin %> strategy create --config strategy_config.json --user-id U000001',
    '<%= config.bin %> strategy create --name "动量策略" --type momentum --user-id 001 --config strategy_config.json',
  ]

  static override flags = {
    config: Flags.string({char: 'c', description: 'Path to the JSON configuration.'}),
    name: Flags.string({description: 'Strategy name.'}),
    type: Flags.string({options: [...strategyTypes], description: 'Strategy type.'}),
    'user-id': Flags.string({description: 'Owner of the strategy.'}),
  }

  async run(): Promise<Strategy> {
    const f = this.flags
    const config = f.config ? await readStrategyConfig(f.config) : undefined
    const engine = await this.engine()
    const strategy = await engine.strategies.create({config, name: f.name, type: f.type, user_id: f['user-id']}, this.actor())
    this.log(success(`Created strategy ${strategy.strategy_id} (${strategy.name}); start it with \`ordermon strategy start --strategy-id ${strategy.strategy_id}\`.`))
    this.log(strategyRecord(strategy))
    return strategy
  }
}
