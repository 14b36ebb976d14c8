import {errorSchema} from './envelope.js'

/**
 * JSON Schemas shared by the routes. They validate requests (bodies strictly: no unknown fields, no
 * type coercion) and make the OpenAPI document; the rules themselves stay in the engine's services.
 */

/** A path id: letters, digits, _ and -; so `../x` or `1;DROP` is a 400 before any lookup. */
export const idParams = (name: string) => ({
  type: 'object',
  required: [name],
  properties: {[name]: {type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'}},
})

export const paging = {
  page: {type: 'integer', minimum: 1, maximum: 1_000_000, default: 1},
  size: {type: 'integer', minimum: 1, maximum: 1000, default: 20},
}

export const text = (max: number) => ({type: 'string', minLength: 1, maxLength: max})
export const quantity = {type: ['number', 'string'], description: 'A positive number (a string keeps decimals exact).'}

export const userSchema = {
  type: 'object',
  properties: {
    user_id: {type: 'string'},
    username: {type: 'string'},
    name: {type: ['string', 'null']},
    email: {type: ['string', 'null']},
    phone: {type: ['string', 'null']},
    type: {type: 'string'},
    role: {type: 'string'},
    permissions: {type: 'array', items: {type: 'string'}},
    group: {type: ['string', 'null']},
    status: {type: 'string'},
    created_at: {type: 'string'},
    updated_at: {type: 'string'},
    last_login: {type: ['string', 'null']},
  },
}

export const orderSchema = {
  type: 'object',
  properties: {
    order_id: {type: 'string'},
    client_order_id: {type: ['string', 'null']},
    user_id: {type: 'string'},
    strategy_id: {type: ['string', 'null']},
    symbol: {type: 'string'},
    side: {type: 'string'},
    order_type: {type: 'string'},
    time_in_force: {type: 'string'},
    quantity: {type: 'number'},
    price: {type: ['number', 'null']},
    stop_price: {type: ['number', 'null']},
    filled_quantity: {type: 'number'},
    remaining_quantity: {type: 'number'},
    avg_fill_price: {type: ['number', 'null']},
    status: {type: 'string'},
    status_reason: {type: ['string', 'null']},
    version: {type: 'integer'},
    created_at: {type: 'string'},
    updated_at: {type: 'string'},
    filled_at: {type: ['string', 'null']},
  },
}

/** The error answers every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 429: errorSchema, 503: errorSchema}

/** Anything: data whose shape is the engine's (documented in the README), serialised as it is. */
export const anyData = {}
