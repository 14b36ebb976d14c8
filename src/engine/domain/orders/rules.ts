import type {OrdermonConfig} from '../../config/index.js'
import {invalidInput} from '../../errors.js'
import {type Order} from '../../store/index.js'
import {orderSides, orderTypes, timesInForce} from '../statuses.js'
import {requireOneOf, requireText, show} from '../validate.js'

/** The error names the field, so the API can say which one (`error.field`). */
const fieldError = (field: string, message: string) => invalidInput(message, undefined, {field})

/** Numbers arrive as text from flags and JSON; anything but a plain finite decimal is refused. */
export function parseAmount(field: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined
  const text = String(value).trim()
  if (text === '') throw fieldError(field, `${field} must not be empty.`)
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw fieldError(field, `${field} ${show(value)} is not a number.`)
  const n = Number(text)
  if (!Number.isFinite(n)) throw fieldError(field, `${field} ${show(value)} is too large.`)
  return n
}

/** At most 8 decimal places: what the DECIMAL(24,8) columns hold. */
function checkPrecision(field: string, n: number): void {
  if (Math.abs(n * 1e8 - Math.round(n * 1e8)) > 1e-3) throw fieldError(field, `${field} ${n} has more than 8 decimal places.`)
}

export function validQuantity(value: string | number | undefined, limits: OrdermonConfig['order']['validation'], field = 'quantity'): number {
  const q = parseAmount(field, value)
  if (q === undefined) throw fieldError(field, `${field} is required.`)
  if (q <= 0) throw fieldError(field, `${field} must be greater than 0 (got ${show(value)}).`)
  if (q < limits.min_quantity) throw fieldError(field, `${field} ${q} is below the minimum ${limits.min_quantity} (order.validation.min_quantity).`)
  if (q > limits.max_quantity) throw fieldError(field, `${field} ${show(value)} is above the maximum ${limits.max_quantity} (order.validation.max_quantity).`)
  checkPrecision(field, q)
  return q
}

export function validPrice(value: string | number | undefined, limits: OrdermonConfig['order']['validation'], field = 'price'): number | undefined {
  const p = parseAmount(field, value)
  if (p === undefined) return undefined
  if (p <= 0) throw fieldError(field, `${field} must be greater than 0 (got ${show(value)}).`)
  if (p < limits.min_price) throw fieldError(field, `${field} ${p} is below the minimum ${limits.min_price} (order.validation.min_price).`)
  if (p > limits.max_price) throw fieldError(field, `${field} ${show(value)} is above the maximum ${limits.max_price} (order.validation.max_price).`)
  checkPrecision(field, p)
  return p
}

export const validSymbol = (v: string | undefined) =>
  requireText('symbol', v, {max: 32, pattern: /^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$/, patternHelp: 'letters, digits and . _ / - (e.g. AAPL, BTC/USD)'}).toUpperCase()

export const validClientOrderId = (v: string | undefined) =>
  v === undefined ? undefined : requireText('client order id', v, {max: 64, pattern: /^[A-Za-z0-9._:-]+$/, patternHelp: 'letters, digits and . _ : -'})

export type OrderTerms = Pick<Order, 'side' | 'order_type' | 'time_in_force' | 'quantity' | 'price' | 'stop_price'>

/** Which prices each order type needs: limit prices for limit orders, none for market orders. */
export function validTerms(
  input: {side?: string; order_type?: string; time_in_force?: string; quantity?: string | number; price?: string | number; stop_price?: string | number},
  limits: OrdermonConfig['order']['validation'],
): OrderTerms {
  const side = requireOneOf('side', input.side, orderSides)
  const order_type = requireOneOf('order type', input.order_type ?? 'limit', orderTypes)
  const tifRaw = (input.time_in_force ?? 'GTC').toUpperCase()
  const time_in_force = requireOneOf('time in force', tifRaw, timesInForce)
  const quantity = validQuantity(input.quantity, limits)
  const price = validPrice(input.price, limits) ?? null
  const stop_price = validPrice(input.stop_price, limits, 'stop price') ?? null
  if ((order_type === 'limit' || order_type === 'stop_limit') && price === null) throw invalidInput(`A ${order_type} order needs a price.`, 'Add --price.', {field: 'price'})
  if ((order_type === 'market' || order_type === 'stop') && price !== null) throw invalidInput(`A ${order_type} order takes no price; it executes at the market.`, 'Drop --price, or use --order-type limit.', {field: 'price'})
  if ((order_type === 'stop' || order_type === 'stop_limit') && stop_price === null) throw invalidInput(`A ${order_type} order needs a stop price.`, 'Add --stop-price.', {field: 'stop_price'})
  if ((order_type === 'market' || order_type === 'limit') && stop_price !== null) throw invalidInput(`A ${order_type} order takes no stop price.`, undefined, {field: 'stop_price'})
  return {side, order_type, time_in_force, quantity, price, stop_price}
}
