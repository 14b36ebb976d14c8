import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {renderTable} from '../../cli/output.js'
import {historyColumns} from '../../cli/views/orders.js'
import type {OrderLog} from '../../engine/index.js'

export default class OrderHistory extends BaseCommand<typeof OrderHistory> {
  static override summary = "An order's state changes, oldest first."
  static override examples = ['<%= config.bin %> order history --order-id ORD000001']

  static override flags = {
    'order-id': Flags.string({char: 'o', required: true, description: 'Order id.'}),
  }

  async run(): Promise<{order_id: string; history: OrderLog[]}> {
    const engine = await this.engine()
    const history = await engine.orders.history(this.flags['order-id'])
    this.log(renderTable(historyColumns, history))
    return {order_id: this.flags['order-id'].trim(), history}
  }
}
