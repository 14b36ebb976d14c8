import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import type {Order} from '../../engine/index.js'

export default class OrderModify extends BaseCommand<typeof OrderModify> {
  static override summary = 'Change the quantity and/or price of an open order.'
  static override description = 'Safe against a fill or cancel arriving at the same time: the change is re-checked against the latest version, and refused with the reason if it no longer applies.'
  static override examples = ['<%= config.bin %> order modify --order-id ORD000001 --quantity 1500 --price 150.50']

  static override flags = {
    'order-id': Flags.string({char: 'o', required: true, description: 'Order id.'}),
    quantity: Flags.string({description: 'New total quantity (above what is already filled).'}),
    price: Flags.string({description: 'New limit price.'}),
  }

  async run(): Promise<Order> {
    const engine = await this.engine()
    const o = await engine.orders.modify(this.flags['order-id'], {quantity: this.flags.quantity, price: this.flags.price}, this.actor())
    this.log(success(`Order ${o.order_id}: quantity ${o.quantity}, price ${o.price ?? '-'} (version ${o.version}).`))
    return o
  }
}
