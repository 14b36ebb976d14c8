import {Ajv} from 'ajv'
import Fastify, {type FastifyInstance, type FastifyReply} from 'fastify'
import swagger from '@fastify/swagger'
import type {ApiServices, OrdermonConfig} from '../engine/index.js'
import {bearer, type ApiContext} from './context.js'
import {ok} from './envelope.js'
import {handleError, HttpError} from './errors.js'
import {MAX_DEPTH, nestingDepth} from './json-body.js'
import {RateLimiter} from './rate-limit.js'
import {authRoutes} from './routes/auth.js'
import {monitorRoutes} from './routes/monitor.js'
import {orderRoutes} from './routes/orders.js'
import {strategyRoutes} from './routes/strategies.js'
import {userRoutes} from './routes/users.js'

/**
 * The REST API of the manual under /api/v1: fastify with JSON Schema on every route (which also
 * makes /api/v1/openapi.json), bearer tokens checked before any handler, rate limits per client
 * address and per user, and one error envelope. Handlers call the engine's services and nothing else.
 */

export interface ApiServerOptions {
  services: ApiServices
  config: OrdermonConfig
  /** Log requests (the daemon's log); off in tests. */
  logger?: boolean
  version?: string
  /** TLS certificate and key (server.ssl). */
  https?: {cert: Buffer; key: Buffer}
}

// Bodies are validated strictly (a string is not a number, unknown fields are refused); the query
// string is text by nature, so its numbers and booleans are converted.
const strict = new Ajv({coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false})
const lenient = new Ajv({coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false})

export async function buildApiServer(o: ApiServerOptions): Promise<FastifyInstance> {
  const server = o.config.server
  const app = Fastify({
    ...(o.https ? {https: o.https} : {}),
    logger: o.logger ?? false,
    bodyLimit: server.body_limit,
    connectionTimeout: server.timeout * 1000,
    requestTimeout: server.timeout * 1000,
    return503OnClosing: true,
    routerOptions: {maxParamLength: 200},
    // Errors the router raises before any route runs (an id too long, a malformed URL): the same envelope.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400
      void reply.code(status).send({code: status, message: status === 414 ? 'A path segment is too long.' : 'The URL is not valid.', data: null, error: {kind: 'invalidInput'}})
    },
  })
  const ctx: ApiContext = {services: o.services, config: o.config}
  const limiter = new RateLimiter(server.rate_limit.window_s)

  app.setValidatorCompiler(({schema, httpPart}) => (httpPart === 'body' ? strict : lenient).compile(schema))
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => reply.code(404).send({code: 404, message: `No such endpoint: ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`, data: null, error: {kind: 'notFound', hint: 'See /api/v1/openapi.json.'}}))

  // JSON only: fastify's text/plain parser would let a text body reach the schema as a string.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', {parseAs: 'string'}, (_request, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    if (nestingDepth(text) > MAX_DEPTH) return done(new HttpError(400, `The body is nested deeper than ${MAX_DEPTH} levels.`, 'invalidInput'), undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new HttpError(400, 'The body is not valid JSON.', 'invalidInput'), undefined)
    }
  })

  // Per address first, before any work; per user once the token says who it is.
  app.addHook('onRequest', async (request) => {
    const wait = limiter.hit(`ip:${request.ip}`, server.rate_limit.per_address)
    if (wait > 0) throw new HttpError(429, 'Too many requests from this address.', 'rateLimited', {retryAfterS: wait, hint: `Retry after ${wait} s.`})
  })
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.config?.public || !request.routeOptions.url) return
    request.principal = await o.services.auth.authenticate(bearer(request))
    const wait = limiter.hit(`user:${request.principal.user_id}`, server.rate_limit.per_user)
    if (wait > 0) throw new HttpError(429, 'Too many requests for this user.', 'rateLimited', {retryAfterS: wait, hint: `Retry after ${wait} s.`})
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {title: 'ordermon REST API', version: o.version ?? '0', description: 'Users, strategies, orders and monitoring. Every answer is {code, message, data}.'},
      components: {securitySchemes: {bearer: {type: 'http', scheme: 'bearer', bearerFormat: 'JWT'}}},
      security: [{bearer: []}],
    },
  })

  await app.register(
    async (api) => {
      api.get('/health', {config: {public: true}, schema: {tags: ['meta'], summary: 'For load balancers: 200 when the database answers, 503 when not', security: []}}, async (_request, reply) => {
        try {
          await o.services.ping()
        } catch {
          return reply.code(503).send({code: 503, message: 'The database is not available.', data: {status: 'down'}, error: {kind: 'databaseUnavailable'}})
        }
        return ok({status: 'ok', version: o.version ?? null})
      })
      api.get('/openapi.json', {config: {public: true}, schema: {hide: true}}, async () => app.swagger())
      authRoutes(api, ctx)
      userRoutes(api, ctx)
      strategyRoutes(api, ctx)
      orderRoutes(api, ctx)
      monitorRoutes(api, ctx)
    },
    {prefix: '/api/v1'},
  )
  app.get('/docs', {config: {public: true}, schema: {hide: true}}, async (_request, reply) => reply.redirect('/api/v1/openapi.json'))
  return app
}
