import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {pageFooter, renderTable} from '../../cli/output.js'
import {orderColumns} from '../../cli/views/orders.js'
import {orderStatuses, type OrderList} from '../../engine/index.js'

export default class ListOrders extends BaseCommand<typeof ListOrders> {
  static override summary = 'List orders, newest first.'
  static override examples = [
    '<%= config.bin %> order list --user-id U000001 --status pending',
    '<%= config.bin %> order list --symbol AAPL --since 24h --page 2 --size 50',
  ]

  static override flags = {
    'user-id': Flags.string({description: 'Only orders of this user.'}),
    'strategy-id': Flags.string({description: 'Only orders of this strategy.'}),
    status: Flags.string({options: [...orderStatuses], multiple: true, description: 'Only orders in this status (repeatable).'}),
    symbol: Flags.string({description: 'Only orders for this symbol.'}),
    since: Flags.string({description: 'Created since a date (YYYY-MM-DD, ISO time) or a span back from now (30m, 24h, 7d).'}),
    page: Flags.integer({default: 1, min: 1, description: 'Page number.'}),
    size: Flags.integer({default: 20, min: 1, max: 1000, description: 'Rows per page.'}),
  }

  async run(): Promise<OrderList> {
    const f = this.flags
    const engine = await this.engine()
    const r = await engine.orders.list({user_id: f['user-id'], strategy_id: f['strategy-id'], status: f.status, symbol: f.symbol, since: f.since, page: f.page, size: f.size})
    this.log(renderTable(orderColumns, r.orders))
    const footer = pageFooter(r.total, r.page, r.size, 'order(s)')
    if (footer) this.logToStderr(footer)
    return r
  }
}
