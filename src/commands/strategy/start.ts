import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {colorStatus, success} from '../../cli/output.js'
import type {Strategy, StrategyStatus} from '../../engine/index.js'

export default class StrategyStart extends BaseCommand<typeof StrategyStart> {
  static override summary = 'Start a strategy (its user must be active); the engine picks it up.'
  static override examples = ['<%= config.bin %> strategy start --strategy-id STR001']

  static override flags = {
    'strategy-id': Flags.string({char: 's', required: true, description: 'Strategy id.'}),
  }

  async run(): Promise<{strategy: Strategy; previous: StrategyStatus; changed: boolean}> {
    const engine = await this.engine()
    const r = await engine.strategies.start(this.flags['strategy-id'], this.actor())
    this.log(r.changed ? success(`Strategy ${r.strategy.strategy_id}: ${colorStatus(r.previous)} -> ${colorStatus(r.strategy.status)}`) : `Strategy ${r.strategy.strategy_id} is already running.`)
    return r
  }
}
