import type {FastifyError, FastifyReply, FastifyRequest} from 'fastify'
import {classifyFailure, isConnectionFailure, isOrdermonError, type ErrorKind} from '../engine/index.js'
import type {ErrorEnvelope} from './envelope.js'

/**
 * Every failure as one envelope with the manual's codes (400, 401, 403, 404, 429, 500, 503, plus
 * 409 for a conflict and 413/415 for bodies). Never a stack trace: an unexpected error is logged
 * with its request id, and the client gets the id only.
 */

const statusByKind: Record<ErrorKind, number> = {
  ok: 200,
  internal: 500,
  invalidInput: 400,
  databaseUnavailable: 503,
  notFound: 404,
  conflict: 409,
  redisUnavailable: 503,
  unauthorized: 401,
  forbidden: 403,
  aborted: 503,
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly kind: string, readonly extra: {field?: string; hint?: string; retryAfterS?: number} = {}) {
    super(message)
  }
}

// The engine's hints are written for the terminal ("add --price", "run `ordermon ...`"): an API
// client is better served by the message alone than by a flag it cannot pass.
const apiHint = (hint: string | undefined) => (hint && !/`ordermon |(^|\s)--[a-z]/.test(hint) ? hint : undefined)

const send = (reply: FastifyReply, status: number, message: string, error: ErrorEnvelope['error']) => reply.code(status).send({code: status, message, data: null, error} satisfies ErrorEnvelope)

/** "body/quantity must be number" → field quantity, "quantity must be number". */
function validationMessage(e: FastifyError): {field?: string; message: string} {
  const first = e.validation?.[0]
  if (!first) return {message: e.message}
  const missing = (first.params as {missingProperty?: string; additionalProperty?: string} | undefined) ?? {}
  const path = (first.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
  if (missing.missingProperty) return {field: [path, missing.missingProperty].filter(Boolean).join('.'), message: `${[path, missing.missingProperty].filter(Boolean).join('.')} is required.`}
  if (missing.additionalProperty) return {field: [path, missing.additionalProperty].filter(Boolean).join('.'), message: `${[path, missing.additionalProperty].filter(Boolean).join('.')} is not a known field.`}
  const field = path || e.validationContext || undefined
  return {field, message: `${field ?? 'request'} ${first.message ?? 'is not valid'}.`}
}

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof HttpError) {
    if (error.extra.retryAfterS !== undefined) reply.header('Retry-After', String(error.extra.retryAfterS))
    return send(reply, error.status, error.message, {kind: error.kind, field: error.extra.field, hint: error.extra.hint})
  }
  if (isOrdermonError(error)) {
    const field = typeof error.details?.field === 'string' ? error.details.field : undefined
    return send(reply, statusByKind[error.kind] ?? 500, error.message, {kind: error.kind, field, hint: apiHint(error.hint)})
  }
  const fe = error as FastifyError
  if (fe.validation) {
    const v = validationMessage(fe)
    return send(reply, 400, v.message, {kind: 'invalidInput', field: v.field})
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, 413, 'The request body is too large.', {kind: 'invalidInput'})
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(reply, 415, 'Send the body as application/json.', {kind: 'invalidInput'})
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) return send(reply, fe.statusCode, fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? 'The body is not valid JSON.' : fe.message, {kind: 'invalidInput'})
  const failure = classifyFailure(error).failure
  if (isConnectionFailure(failure) || failure === 'no_schema' || failure === 'access_denied' || failure === 'cannot_open' || failure === 'no_database') {
    reply.header('Retry-After', '5')
    return send(reply, 503, 'The database is not available right now.', {kind: 'databaseUnavailable', hint: 'Try again shortly.'})
  }
  request.log.error({err: error, request_id: request.id}, 'unexpected error')
  return send(reply, 500, 'Internal error.', {kind: 'internal', request_id: String(request.id)})
}
