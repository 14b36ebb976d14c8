import type {FastifyRequest} from 'fastify'
import type {ApiServices, OrdermonConfig, Principal} from '../engine/index.js'

/** What every route module is given: the engine's services and the configuration. */
export interface ApiContext {
  services: ApiServices
  config: OrdermonConfig
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
  interface FastifyContextConfig {
    /** Routes anyone may call: health, the OpenAPI document, login and refresh. */
    public?: boolean
  }
}

/** The signed-in caller; the auth hook has set it on every route that is not public. */
export function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication')
  return request.principal
}

/** The bearer token of the Authorization header, if any. */
export function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization
  if (typeof h !== 'string') return undefined
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim())
  return m?.[1]
}

export const clientOf = (request: FastifyRequest) => ({ip: request.ip ?? null, agent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null})
