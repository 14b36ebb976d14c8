import type {FastifyInstance} from 'fastify'
import {apiActor, requirePermission, type User} from '../../engine/index.js'
import {caller, type ApiContext} from '../context.js'
import {envelopeSchema, ok} from '../envelope.js'
import {HttpError} from '../errors.js'
import {errorResponses, idParams, paging, text, userSchema} from '../schemas.js'

/** The manual's user fields (`last_login`), never the password hash. */
export function userView(u: User) {
  const {last_login_at, ...rest} = u
  return {...rest, last_login: last_login_at}
}

const userBody = {
  name: text(128),
  email: text(254),
  phone: text(32),
  type: {type: 'string', enum: ['personal', 'professional', 'institutional']},
  role: {type: 'string', enum: ['admin', 'trader', 'analyst', 'guest']},
  permissions: {type: 'array', maxItems: 32, items: {type: 'string', maxLength: 64}},
  group: text(64),
}

type UserQuery = {page: number; size: number; status?: string; type?: string; group?: string; search?: string}

export function userRoutes(app: FastifyInstance, {services}: ApiContext): void {
  const users = services.engine.users

  app.get<{Querystring: UserQuery}>(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (user_query)',
        querystring: {type: 'object', properties: {...paging, status: {type: 'string', maxLength: 32}, type: {type: 'string', maxLength: 32}, group: {type: 'string', maxLength: 64}, search: {type: 'string', maxLength: 128}}},
        response: {200: envelopeSchema({type: 'object', properties: {total: {type: 'integer'}, page: {type: 'integer'}, size: {type: 'integer'}, users: {type: 'array', items: userSchema}}}), ...errorResponses},
      },
    },
    async (request) => {
      requirePermission(caller(request), 'user_query')
      const q = request.query
      const list = await users.list({status: q.status, type: q.type, group: q.group, search: q.search, page: q.page, limit: q.size})
      return ok({total: list.total, page: list.page, size: list.limit, users: list.users.map(userView)})
    },
  )

  app.get<{Params: {user_id: string}}>(
    '/users/:user_id',
    {schema: {tags: ['users'], summary: 'One user (user_query, or yourself)', params: idParams('user_id'), response: {200: envelopeSchema(userSchema), ...errorResponses}}},
    async (request) => {
      const p = caller(request)
      if (p.user_id !== request.params.user_id) requirePermission(p, 'user_query')
      return ok(userView(await users.find({user_id: request.params.user_id})))
    },
  )

  app.post<{Body: {username: string; password: string; user_id?: string; status?: string} & Record<string, unknown>}>(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user (user_manage)',
        body: {type: 'object', additionalProperties: false, required: ['username', 'password'], properties: {username: text(64), password: text(1024), user_id: text(32), status: {type: 'string', enum: ['active', 'suspended', 'locked']}, ...userBody}},
        response: {201: envelopeSchema(userSchema), ...errorResponses, 409: errorResponses[400]},
      },
    },
    async (request, reply) => {
      const p = caller(request)
      requirePermission(p, 'user_manage')
      const user = await users.create(request.body as Parameters<typeof users.create>[0], apiActor(p))
      return reply.code(201).send(ok(userView(user), 'User created', 201))
    },
  )

  app.put<{Params: {user_id: string}; Body: Record<string, unknown> & {status?: string}}>(
    '/users/:user_id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user (user_manage); status too',
        params: idParams('user_id'),
        body: {type: 'object', additionalProperties: false, minProperties: 1, properties: {...userBody, status: {type: 'string', enum: ['active', 'suspended', 'locked']}}},
        response: {200: envelopeSchema(userSchema), ...errorResponses},
      },
    },
    async (request) => {
      const p = caller(request)
      requirePermission(p, 'user_manage')
      const ref = {user_id: request.params.user_id}
      const {status, ...fields} = request.body
      let user = await users.find(ref)
      if (Object.keys(fields).length > 0) user = (await users.update(ref, fields, apiActor(p))).user
      if (status !== undefined) user = (await users.setStatus(ref, status, apiActor(p), 'changed through the API')).user
      // Their next request here sees the change at once (elsewhere: within security.session_cache_ms).
      services.auth.forgetUser(user.user_id)
      return ok(userView(user), 'User updated')
    },
  )

  app.delete<{Params: {user_id: string}; Querystring: {force?: boolean}}>(
    '/users/:user_id',
    {schema: {tags: ['users'], summary: 'Delete a user with their strategies and orders (user_manage); open orders need ?force=true', params: idParams('user_id'), querystring: {type: 'object', properties: {force: {type: 'boolean', default: false}}}, response: {200: envelopeSchema({type: 'object', properties: {user: userSchema, removed: {type: 'object', additionalProperties: {type: 'integer'}}}}), ...errorResponses}}},
    async (request) => {
      const p = caller(request)
      requirePermission(p, 'user_manage')
      if (p.user_id === request.params.user_id) throw new HttpError(409, 'You cannot delete your own account.', 'conflict')
      const r = await users.delete({user_id: request.params.user_id}, {force: request.query.force}, apiActor(p))
      services.auth.forgetUser(r.user.user_id)
      return ok({user: userView(r.user), removed: r.removed}, 'User deleted')
    },
  )
}
