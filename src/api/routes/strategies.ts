import type {FastifyInstance} from 'fastify'
import {apiActor, confinedModulePath, forbidden, isAdmin, requireOwner, requirePermission, scopeUser, type Strategy} from '../../engine/index.js'
import {caller, type ApiContext} from '../context.js'
import {envelopeSchema, ok} from '../envelope.js'
import {anyData, errorResponses, idParams, paging, text} from '../schemas.js'

const strategySchema = {
  type: 'object',
  properties: {
    strategy_id: {type: 'string'},
    user_id: {type: 'string'},
    name: {type: 'string'},
    type: {type: 'string'},
    status: {type: 'string'},
    status_reason: {type: ['string', 'null']},
    parameters: {type: 'object', additionalProperties: true},
    risk_management: {type: 'object', additionalProperties: true},
    schedule: {type: ['object', 'null'], additionalProperties: true},
    module_path: {type: ['string', 'null']},
    version: {type: 'integer'},
    created_at: {type: 'string'},
    updated_at: {type: 'string'},
    started_at: {type: ['string', 'null']},
    stopped_at: {type: ['string', 'null']},
    performance: {type: 'object', properties: {total_orders: {type: 'integer'}, success_rate: {type: ['number', 'null']}, profit_loss: {type: 'number'}}},
  },
}

const dateQuery = {type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$'}

export function strategyRoutes(app: FastifyInstance, {services, config}: ApiContext): void {
  const strategies = services.engine.strategies
  const owned = async (request: Parameters<typeof caller>[0], id: string, permission: string): Promise<Strategy> => {
    const p = caller(request)
    requirePermission(p, permission)
    const s = await strategies.get(id)
    requireOwner(p, s.user_id, `Strategy ${s.strategy_id}`)
    return s
  }

  app.get<{Querystring: {page: number; size: number; user_id?: string; status?: string; type?: string}}>(
    '/strategies',
    {
      schema: {
        tags: ['strategies'],
        summary: 'List strategies with their performance (strategy_query; your own unless admin)',
        querystring: {type: 'object', properties: {...paging, user_id: text(32), status: {type: 'string', maxLength: 16}, type: {type: 'string', maxLength: 16}}},
        response: {200: envelopeSchema({type: 'object', properties: {total: {type: 'integer'}, page: {type: 'integer'}, size: {type: 'integer'}, strategies: {type: 'array', items: strategySchema}}}), ...errorResponses},
      },
    },
    async (request) => {
      const p = caller(request)
      requirePermission(p, 'strategy_query')
      const q = request.query
      // The manual asks for status=active: a strategy that is trading, here "running".
      const status = q.status === 'active' ? 'running' : q.status
      const list = await strategies.list({user_id: scopeUser(p, q.user_id), status, type: q.type, page: q.page, limit: Math.min(q.size, 100)})
      const performance = await strategies.performanceSummary(list.strategies.map((s) => s.strategy_id))
      return ok({total: list.total, page: list.page, size: list.limit, strategies: list.strategies.map((s) => ({...s, performance: performance.get(s.strategy_id)}))})
    },
  )

  app.get<{Params: {strategy_id: string}}>(
    '/strategies/:strategy_id',
    {schema: {tags: ['strategies'], summary: 'One strategy (strategy_query)', params: idParams('strategy_id'), response: {200: envelopeSchema(strategySchema), ...errorResponses}}},
    async (request) => ok(await owned(request, request.params.strategy_id, 'strategy_query')),
  )

  app.post<{Body: Record<string, unknown>}>(
    '/strategies',
    {
      schema: {
        tags: ['strategies'],
        summary: 'Create a strategy (strategy_create); custom ones by admins only, module_path inside engine.strategies_dir',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'type'],
          properties: {
            strategy_id: text(32),
            name: text(128),
            type: {type: 'string', enum: ['momentum', 'arbitrage', 'grid', 'custom']},
            user_id: text(32),
            parameters: {type: 'object'},
            risk_management: {type: 'object'},
            schedule: {type: 'object'},
            module_path: text(1024),
          },
        },
        response: {201: envelopeSchema(strategySchema), ...errorResponses, 409: errorResponses[400]},
      },
    },
    async (request, reply) => {
      const p = caller(request)
      requirePermission(p, 'strategy_create')
      const body = {...request.body}
      body.user_id = scopeUser(p, body.user_id as string | undefined) ?? p.user_id
      if (body.type === 'custom' || body.module_path !== undefined) {
        if (!isAdmin(p)) throw forbidden('Only an administrator may create a custom strategy through the API: it runs code in the engine.')
        body.module_path = confinedModulePath(config.engine.strategies_dir, body.module_path)
      }
      const s = await strategies.create({config: body}, apiActor(p))
      return reply.code(201).send(ok(s, 'Strategy created', 201))
    },
  )

  for (const action of ['start', 'stop'] as const)
    app.post<{Params: {strategy_id: string}}>(
      `/strategies/:strategy_id/${action}`,
      {schema: {tags: ['strategies'], summary: `${action === 'start' ? 'Start' : 'Stop'} a strategy (strategy_manage)`, params: idParams('strategy_id'), response: {200: envelopeSchema({type: 'object', properties: {strategy: strategySchema, previous: {type: 'string'}, changed: {type: 'boolean'}}}), ...errorResponses, 409: errorResponses[400]}}},
      async (request) => {
        const s = await owned(request, request.params.strategy_id, 'strategy_manage')
        const actor = apiActor(caller(request))
        const r = action === 'start' ? await strategies.start(s.strategy_id, actor) : await strategies.stop(s.strategy_id, actor, {reason: 'stopped through the API'})
        return ok(r, r.changed ? `Strategy ${action === 'start' ? 'started' : 'stopped'}` : `Strategy was already ${r.strategy.status}`)
      },
    )

  app.get<{Params: {strategy_id: string}; Querystring: {start_date?: string; end_date?: string}}>(
    '/strategies/:strategy_id/performance',
    {schema: {tags: ['strategies'], summary: 'Performance over a date range (strategy_query)', params: idParams('strategy_id'), querystring: {type: 'object', properties: {start_date: dateQuery, end_date: dateQuery}}, response: {200: envelopeSchema(anyData), ...errorResponses}}},
    async (request) => {
      const s = await owned(request, request.params.strategy_id, 'strategy_query')
      return ok(await strategies.performance(s.strategy_id, {start_date: request.query.start_date, end_date: request.query.end_date}))
    },
  )
}
