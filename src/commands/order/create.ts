import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import {orderDetails} from '../../cli/views/orders.js'
import {orderSides, orderTypes, timesInForce, type CreateOrderResult} from '../../engine/index.js'

export default class OrderCreate extends BaseCommand<typeof OrderCreate> {
  static override summary = 'Place an order (idempotent on --client-order-id).'
  static override examples = [
    '<%= config.bin %> order create --user-id U000001 --symbol AAPL --side buy --order-type limit --quantity 1000 --price 150.50',
    '<%= config.bin %> order create --user-id U000001 --symbol MSFT --side sell --order-type market --quantity 200 --client-order-id desk-a-42',
  ]

  static override flags = {
    'user-id': Flags.string({required: true, description: 'Owner of the order (must be active).'}),
    symbol: Flags.string({required: true, description: 'Instrument, e.g. AAPL.'}),
    side: Flags.string({required: true, options: [...orderSides], description: 'buy or sell.'}),
    'order-type': Flags.string({options: [...orderTypes], default: 'limit', description: 'Order type.'}),
    quantity: Flags.string({required: true, description: 'Quantity (order.validation.min_quantity..max_quantity).'}),
    price: Flags.string({description: 'Limit price (limit and stop_limit orders only).'}),
    'stop-price': Flags.string({description: 'Trigger price (stop and stop_limit orders).'}),
    'time-in-force': Flags.string({options: [...timesInForce], default: 'GTC', description: 'How long the order stays open.'}),
    'strategy-id': Flags.string({description: 'Strategy that owns the order (must belong to the user).'}),
    'client-order-id': Flags.string({description: 'Your id for this order; repeating it returns the same order.'}),
  }

  async run(): Promise<CreateOrderResult> {
    const f = this.flags
    const engine = await this.engine()
    const r = await engine.orders.create(
      {
        user_id: f['user-id'],
        symbol: f.symbol,
        side: f.side,
        order_type: f['order-type'],
        quantity: f.quantity,
        price: f.price,
        stop_price: f['stop-price'],
        time_in_force: f['time-in-force'],
        strategy_id: f['strategy-id'],
        client_order_id: f['client-order-id'],
      },
      this.actor(),
    )
    this.log(r.duplicate ? `Order ${r.order.order_id} already exists for client order id ${r.order.client_order_id}; nothing new placed.` : success(`Placed order ${r.order.order_id}.`))
    if (!r.duplicate) this.log(orderDetails({order: r.order, history: [], fills: []}).split('\n# Execution record')[0]!)
    return r
  }
}
