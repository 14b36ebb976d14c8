import type {FastifyInstance} from 'fastify'
import {requirePermission, systemStatus} from '../../engine/index.js'
import {caller, type ApiContext} from '../context.js'
import {envelopeSchema, ok} from '../envelope.js'
import {anyData, errorResponses, paging, text} from '../schemas.js'

export function monitorRoutes(app: FastifyInstance, {services}: ApiContext): void {
  app.get(
    '/monitor/system/status',
    {schema: {tags: ['monitor'], summary: 'System status: health, host and business figures (monitor_view)', response: {200: envelopeSchema(anyData), ...errorResponses}}},
    async (request) => {
      requirePermission(caller(request), 'monitor_view')
      return ok(await systemStatus(services.engine.loaded))
    },
  )

  app.get<{Querystring: {start_time?: string; end_time?: string; names?: string}}>(
    '/monitor/metrics',
    {schema: {tags: ['monitor'], summary: 'Metric history over a time range, at most 31 days (monitor_view)', querystring: {type: 'object', properties: {start_time: text(40), end_time: text(40), names: {type: 'string', maxLength: 512, description: 'Comma-separated metric names'}}}, response: {200: envelopeSchema(anyData), ...errorResponses}}},
    async (request) => {
      requirePermission(caller(request), 'monitor_view')
      const q = request.query
      return ok(await services.metrics.history({start_time: q.start_time, end_time: q.end_time, names: q.names?.split(',').map((n) => n.trim()).filter(Boolean)}))
    },
  )

  app.get<{Querystring: {page: number; size: number; level?: string; status?: string}}>(
    '/monitor/alerts',
    {schema: {tags: ['monitor'], summary: 'Alerts, newest first; level=warning shows warning and worse (monitor_view)', querystring: {type: 'object', properties: {...paging, level: {type: 'string', maxLength: 16}, status: {type: 'string', maxLength: 16}}}, response: {200: envelopeSchema(anyData), ...errorResponses}}},
    async (request) => {
      requirePermission(caller(request), 'monitor_view')
      const q = request.query
      return ok(await services.engine.alerts.page({level: q.level, status: q.status, page: q.page, size: q.size}))
    },
  )
}
