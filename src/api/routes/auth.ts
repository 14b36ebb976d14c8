import type {FastifyInstance} from 'fastify'
import {bearer, clientOf, type ApiContext} from '../context.js'
import {envelopeSchema, errorSchema, ok} from '../envelope.js'

const tokens = {
  type: 'object',
  properties: {
    access_token: {type: 'string'},
    refresh_token: {type: 'string'},
    token_type: {type: 'string'},
    expires_in: {type: 'integer'},
    user_info: {type: 'object', properties: {user_id: {type: 'string'}, username: {type: 'string'}, name: {type: ['string', 'null']}, type: {type: 'string'}, role: {type: 'string'}, permissions: {type: 'array', items: {type: 'string'}}}},
  },
}

export function authRoutes(app: FastifyInstance, {services}: ApiContext): void {
  app.post<{Body: {username: string; password: string}}>(
    '/auth/login',
    {
      config: {public: true},
      schema: {
        tags: ['auth'],
        summary: 'Sign in: access and refresh tokens',
        body: {type: 'object', additionalProperties: false, required: ['username', 'password'], properties: {username: {type: 'string', minLength: 1, maxLength: 64}, password: {type: 'string', minLength: 1, maxLength: 1024}}},
        response: {200: envelopeSchema(tokens), 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema},
      },
    },
    async (request) => ok(await services.auth.login(request.body.username, request.body.password, clientOf(request)), 'Signed in'),
  )

  app.post<{Body: {refresh_token?: string} | undefined}>(
    '/auth/refresh',
    {
      config: {public: true},
      schema: {
        tags: ['auth'],
        summary: 'New tokens for a refresh token (as the manual: `Authorization: Bearer <refresh_token>`; or {"refresh_token"} in the body); the old one stops working',
        body: {type: ['object', 'null'], additionalProperties: false, properties: {refresh_token: {type: 'string', minLength: 1, maxLength: 4096}}},
        response: {200: envelopeSchema(tokens), 400: errorSchema, 401: errorSchema, 403: errorSchema},
      },
    },
    async (request) => ok(await services.auth.refresh(bearer(request) ?? request.body?.refresh_token), 'Token refreshed'),
  )

  app.post(
    '/auth/logout',
    {config: {public: true}, schema: {tags: ['auth'], summary: 'End the sign-in: both of its tokens are refused from now on', response: {200: envelopeSchema({type: 'null'}), 401: errorSchema}}},
    async (request) => {
      await services.auth.logout(bearer(request))
      return ok(null, 'Signed out')
    },
  )
}
