/**
 * The manual's response shape, `{"code", "message", "data"}`, for every answer: `code` repeats the
 * HTTP status, `data` is null on errors, where `error` says what kind and which field.
 */

export interface Envelope<T> {
  code: number
  message: string
  data: T
}

export interface ErrorEnvelope extends Envelope<null> {
  error: {kind: string; field?: string; hint?: string; request_id?: string}
}

export const ok = <T>(data: T, message = 'OK', code = 200): Envelope<T> => ({code, message, data})

/** The envelope around a route's data schema, for validation of responses and for the OpenAPI document. */
export const envelopeSchema = (data: Record<string, unknown>) => ({
  type: 'object',
  required: ['code', 'message', 'data'],
  properties: {code: {type: 'integer'}, message: {type: 'string'}, data},
})

export const errorSchema = {
  type: 'object',
  required: ['code', 'message', 'data', 'error'],
  properties: {
    code: {type: 'integer'},
    message: {type: 'string'},
    data: {type: 'null'},
    error: {type: 'object', properties: {kind: {type: 'string'}, field: {type: 'string'}, hint: {type: 'string'}, request_id: {type: 'string'}}},
  },
}
