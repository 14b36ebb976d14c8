import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {renderTable, wantsTable} from '../../cli/output.js'
import {strategyColumns} from '../../cli/views/strategies.js'
import {strategyStatuses, strategyTypes, type StrategyList} from '../../engine/index.js'

export default class ListStrategies extends BaseCommand<typeof ListStrategies> {
  static override summary = 'List strategies.'
  static override examples = ['<%= config.bin %> strategy list --user-id U000001 --status running']

  static override flags = {
    'user-id': Flags.string({description: 'Only strategies of this user.'}),
    status: Flags.string({options: [...strategyStatuses], description: 'Only strategies in this status.'}),
    type: Flags.string({options: [...strategyTypes], description: 'Only strategies of this type.'}),
    limit: Flags.integer({default: 50, min: 1, max: 1000, description: 'Rows per page.'}),
    page: Flags.integer({default: 1, min: 1, description: 'Page number.'}),
  }

  async run(): Promise<StrategyList> {
    const f = this.flags
    const engine = await this.engine()
    const result = await engine.strategies.list({user_id: f['user-id'], status: f.status, type: f.type, limit: f.limit, page: f.page})
    this.log(renderTable(strategyColumns, result.strategies))
    if (wantsTable()) this.logToStderr(`${result.strategies.length} of ${result.total} strateg${result.total === 1 ? 'y' : 'ies'}`)
    return result
  }
}
