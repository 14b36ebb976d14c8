import type {FastifyInstance, FastifyRequest} from 'fastify'
import {apiActor, requireOwner, requirePermission, scopeUser, type Order} from '../../engine/index.js'
import {caller, type ApiContext} from '../context.js'
import {envelopeSchema, ok} from '../envelope.js'
import {anyData, errorResponses, idParams, orderSchema, paging, quantity, text} from '../schemas.js'

type ListQuery = {page: number; size: number; user_id?: string; strategy_id?: string; status?: string; symbol?: string; since?: string}

export function orderRoutes(app: FastifyInstance, {services}: ApiContext): void {
  const orders = services.engine.orders
  const owned = async (request: FastifyRequest, id: string, permission: string): Promise<Order> => {
    const p = caller(request)
    requirePermission(p, permission)
    const o = await orders.get(id)
    requireOwner(p, o.user_id, `Order ${o.order_id}`)
    return o
  }

  app.get<{Querystring: ListQuery}>(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'List orders, newest first (order_query; your own unless admin)',
        querystring: {type: 'object', properties: {...paging, size: {...paging.size, default: 50}, user_id: text(32), strategy_id: text(32), status: {type: 'string', maxLength: 64}, symbol: text(16), since: text(40)}},
        response: {200: envelopeSchema({type: 'object', properties: {total: {type: 'integer'}, page: {type: 'integer'}, size: {type: 'integer'}, orders: {type: 'array', items: orderSchema}}}), ...errorResponses},
      },
    },
    async (request) => {
      const p = caller(request)
      requirePermission(p, 'order_query')
      const q = request.query
      const status = q.status?.includes(',') ? q.status.split(',') : q.status
      return ok(await orders.list({user_id: scopeUser(p, q.user_id), strategy_id: q.strategy_id, status, symbol: q.symbol, since: q.since, page: q.page, size: q.size, recentTotal: true}))
    },
  )

  app.post<{Body: {user_id?: string; symbol: string; side: string; quantity: number | string} & Record<string, unknown>}>(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order (order_create; for yourself unless admin)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['symbol', 'side', 'quantity'],
          properties: {
            user_id: text(32),
            strategy_id: text(32),
            client_order_id: text(64),
            symbol: text(16),
            side: {type: 'string', enum: ['buy', 'sell']},
            order_type: {type: 'string', enum: ['market', 'limit', 'stop', 'stop_limit']},
            quantity,
            price: quantity,
            stop_price: quantity,
            time_in_force: {type: 'string', enum: ['GTC', 'IOC', 'FOK', 'DAY']},
          },
        },
        response: {201: envelopeSchema(orderSchema), 200: envelopeSchema(orderSchema), ...errorResponses, 409: errorResponses[400]},
      },
    },
    async (request, reply) => {
      const p = caller(request)
      requirePermission(p, 'order_create')
      const body = request.body
      const user_id = scopeUser(p, body.user_id) ?? p.user_id
      const r = await orders.create({...body, user_id} as Parameters<typeof orders.create>[0], apiActor(p))
      // A repeated client_order_id answers with the order it made the first time.
      return r.duplicate ? ok(r.order, 'Order already placed (same client_order_id)') : reply.code(201).send(ok(r.order, 'Order placed', 201))
    },
  )

  app.get<{Params: {order_id: string}}>(
    '/orders/:order_id',
    {schema: {tags: ['orders'], summary: 'One order with its history and fills (order_query)', params: idParams('order_id'), response: {200: envelopeSchema(anyData), ...errorResponses}}},
    async (request) => {
      const o = await owned(request, request.params.order_id, 'order_query')
      return ok(await orders.query(o.order_id))
    },
  )

  app.put<{Params: {order_id: string}; Body: {quantity?: number | string; price?: number | string}}>(
    '/orders/:order_id',
    {schema: {tags: ['orders'], summary: 'Change quantity or price of an open order (order_modify)', params: idParams('order_id'), body: {type: 'object', additionalProperties: false, minProperties: 1, properties: {quantity, price: quantity}}, response: {200: envelopeSchema(orderSchema), ...errorResponses, 409: errorResponses[400]}}},
    async (request) => {
      const o = await owned(request, request.params.order_id, 'order_modify')
      return ok(await orders.modify(o.order_id, request.body, apiActor(caller(request))), 'Order modified')
    },
  )

  app.delete<{Params: {order_id: string}}>(
    '/orders/:order_id',
    {schema: {tags: ['orders'], summary: 'Cancel an open order (order_cancel)', params: idParams('order_id'), response: {200: envelopeSchema(orderSchema), ...errorResponses, 409: errorResponses[400]}}},
    async (request) => {
      const o = await owned(request, request.params.order_id, 'order_cancel')
      return ok(await orders.cancel(o.order_id, apiActor(caller(request)), 'cancelled through the API'), 'Order cancelled')
    },
  )

  app.get<{Params: {order_id: string}}>(
    '/orders/:order_id/history',
    {schema: {tags: ['orders'], summary: 'Status changes of an order, oldest first (order_query)', params: idParams('order_id'), response: {200: envelopeSchema({type: 'object', properties: {order_id: {type: 'string'}, history: {type: 'array', items: {type: 'object', additionalProperties: true}}}}), ...errorResponses}}},
    async (request) => {
      const o = await owned(request, request.params.order_id, 'order_query')
      return ok({order_id: o.order_id, history: await orders.history(o.order_id)})
    },
  )
}
