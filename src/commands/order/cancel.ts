import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import type {Order} from '../../engine/index.js'

export default class OrderCancel extends BaseCommand<typeof OrderCancel> {
  static override summary = 'Cancel an open order.'
  static override examples = ['<%= config.bin %> order cancel --order-id ORD000001']

  static override flags = {
    'order-id': Flags.string({char: 'o', required: true, description: 'Order id.'}),
    reason: Flags.string({description: 'Why (kept in the order history).'}),
  }

  async run(): Promise<Order> {
    const engine = await this.engine()
    const o = await engine.orders.cancel(this.flags['order-id'], this.actor(), this.flags.reason)
    this.log(success(`Order ${o.order_id} cancelled (${o.filled_quantity} of ${o.quantity} had filled).`))
    return o
  }
}
