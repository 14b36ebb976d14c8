import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {orderDetails} from '../../cli/views/orders.js'
import type {OrderDetails} from '../../engine/index.js'

export default class OrderQuery extends BaseCommand<typeof OrderQuery> {
  static override summary = 'Show an order: basic, trade, status and time information and its execution record.'
  static override examples = ['<%= config.bin %> order query --order-id ORD000001']

  static override flags = {
    'order-id': Flags.string({char: 'o', required: true, description: 'Order id.'}),
  }

  async run(): Promise<OrderDetails> {
    const engine = await this.engine()
    const d = await engine.orders.query(this.flags['order-id'])
    this.log(orderDetails(d))
    return d
  }
}
