import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {colorStatus, success} from '../../cli/output.js'
import type {Strategy, StrategyStatus} from '../../engine/index.js'

export default class StrategyStop extends BaseCommand<typeof StrategyStop> {
  static override summary = 'Stop (or pause) a strategy: it places no more orders.'
  static override examples = ['<%= config.bin %> strategy stop --strategy-id STR001', '<%= config.bin %> strategy stop --strategy-id STR002 --pause']

  static override flags = {
    'strategy-id': Flags.string({char: 's', required: true, description: 'Strategy id.'}),
    pause: Flags.boolean({description: 'Pause instead of stop (paused strategies keep their state).'}),
    reason: Flags.string({description: 'Why (kept in the audit log and the event).'}),
  }

  async run(): Promise<{strategy: Strategy; previous: StrategyStatus; changed: boolean}> {
    const engine = await this.engine()
    const r = await engine.strategies.stop(this.flags['strategy-id'], this.actor(), {pause: this.flags.pause, reason: this.flags.reason})
    this.log(r.changed ? success(`Strategy ${r.strategy.strategy_id}: ${colorStatus(r.previous)} -> ${colorStatus(r.strategy.status)}`) : `Strategy ${r.strategy.strategy_id} is already ${r.strategy.status}.`)
    return r
  }
}
