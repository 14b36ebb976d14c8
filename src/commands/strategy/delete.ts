import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import {confirm, interactive} from '../../cli/prompt.js'
import {OrdermonError, type Strategy} from '../../engine/index.js'

export default class StrategyDelete extends BaseCommand<typeof StrategyDelete> {
  static override summary = 'Delete a strategy (its orders stay, without a strategy).'
  static override description = 'Refuses a running strategy or one with open orders unless --force. Asks on a terminal; scripts pass --yes.'
  static override examples = ['<%= config.bin %> strategy delete --strategy-id STR004 --yes']

  static override flags = {
    'strategy-id': Flags.string({char: 's', required: true, description: 'Strategy id.'}),
    yes: yesFlag,
    force: Flags.boolean({description: 'Delete even when running or with open orders.'}),
  }

  async run(): Promise<{strategy: Strategy; open_orders: number}> {
    const engine = await this.engine()
    if (!this.flags.yes) {
      if (!interactive()) throw new OrdermonError('invalidInput', 'Refusing to delete without confirmation on a non-interactive terminal.', {hint: 'Add --yes.'})
      const s = await engine.strategies.get(this.flags['strategy-id'])
      if (!(await confirm(`Delete strategy ${s.strategy_id} (${s.name}, ${s.status})?`))) throw new OrdermonError('aborted', 'Not deleted.')
    }
    const r = await engine.strategies.delete(this.flags['strategy-id'], {force: this.flags.force}, this.actor())
    this.log(success(`Deleted strategy ${r.strategy.strategy_id} (${r.strategy.name}).`))
    return r
  }
}
