import type {OrdermonConfig} from '../../config/index.js'
import {invalidInput} from '../../errors.js'
import {strategyTypes, type StrategyType} from '../statuses.js'
import {parseClock} from '../time.js'
import {requireOneOf, requireText, show, showJson} from '../validate.js'

type Json = Record<string, unknown>

const timeframes = ['1s', '5s', '15s', '30s', '1m', '5m', '15m', '30m', '1h', '4h', '1d'] as const
const sizings = ['fixed', 'percent', 'kelly', 'volatility'] as const
const symbolPattern = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$/

interface FieldSpec {
  kind: 'number' | 'int' | 'symbol' | 'symbols' | 'enum' | 'string'
  min?: number
  max?: number
  /** exclusive lower bound */
  above?: number
  required?: boolean
  values?: readonly string[]
  count?: number
}

/** Parameters each built-in strategy type accepts (the manual's strategy_config.json), with bounds. */
const parameterSpecs: Record<Exclude<StrategyType, 'custom'>, Record<string, FieldSpec>> = {
  momentum: {
    symbols: {kind: 'symbols', required: true},
    timeframe: {kind: 'enum', values: timeframes},
    lookback_period: {kind: 'int', min: 2, max: 10_000},
    threshold: {kind: 'number', above: 0, max: 1, required: true},
    max_position_size: {kind: 'number', above: 0, max: 1e12},
    stop_loss: {kind: 'number', above: 0, max: 1},
    take_profit: {kind: 'number', above: 0, max: 10},
    order_quantity: {kind: 'number', above: 0, max: 1e9},
  },
  arbitrage: {
    symbols: {kind: 'symbols', required: true, count: 2},
    spread_threshold: {kind: 'number', above: 0, max: 1e6, required: true},
    hedge_ratio: {kind: 'number', above: 0, max: 1000},
    max_position_size: {kind: 'number', above: 0, max: 1e12},
    order_quantity: {kind: 'number', above: 0, max: 1e9},
    timeframe: {kind: 'enum', values: timeframes},
  },
  grid: {
    symbol: {kind: 'symbol', required: true},
    lower_price: {kind: 'number', above: 0, max: 1e9, required: true},
    upper_price: {kind: 'number', above: 0, max: 1e9, required: true},
    levels: {kind: 'int', min: 2, max: 1000, required: true},
    quantity_per_level: {kind: 'number', above: 0, max: 1e9},
    max_position_size: {kind: 'number', above: 0, max: 1e12},
  },
}

const riskSpec: Record<string, FieldSpec> = {
  max_daily_loss: {kind: 'number', min: 0, max: 1e12},
  max_drawdown: {kind: 'number', above: 0, max: 1},
  position_sizing: {kind: 'enum', values: sizings},
  max_position_size: {kind: 'number', above: 0, max: 1e12},
  position_limit: {kind: 'number', above: 0, max: 1e12},
  stop_loss: {kind: 'number', above: 0, max: 1},
  take_profit: {kind: 'number', above: 0, max: 10},
}

function checkField(where: string, key: string, value: unknown, spec: FieldSpec): unknown {
  const name = `${where}.${key}`
  switch (spec.kind) {
    case 'number':
    case 'int': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidInput(`${name} must be a number (got ${showJson(value)}).`)
      if (spec.kind === 'int' && !Number.isInteger(value)) throw invalidInput(`${name} must be a whole number (got ${value}).`)
      if (spec.above !== undefined && value <= spec.above) throw invalidInput(`${name} must be greater than ${spec.above} (got ${value}).`)
      if (spec.min !== undefined && value < spec.min) throw invalidInput(`${name} must be at least ${spec.min} (got ${value}).`)
      if (spec.max !== undefined && value > spec.max) throw invalidInput(`${name} must be at most ${spec.max} (got ${value}).`)
      return value
    }
    case 'symbol': {
      if (typeof value !== 'string' || !symbolPattern.test(value)) throw invalidInput(`${name} must be a symbol like "AAPL" (got ${showJson(value)}).`)
      return value.toUpperCase()
    }
    case 'symbols': {
      if (!Array.isArray(value) || value.length === 0) throw invalidInput(`${name} must be a non-empty list of symbols, e.g. ["AAPL", "MSFT"].`)
      if (value.length > 100) throw invalidInput(`${name} has ${value.length} symbols; at most 100.`)
      const symbols = value.map((s, i) => checkField(where, `${key}[${i}]`, s, {kind: 'symbol'}) as string)
      if (new Set(symbols).size !== symbols.length) throw invalidInput(`${name} lists a symbol twice.`)
      if (spec.count !== undefined && symbols.length !== spec.count) throw invalidInput(`${name} must list exactly ${spec.count} symbols (got ${symbols.length}).`)
      return symbols
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.values!.includes(value)) throw invalidInput(`${name} must be one of ${spec.values!.join(', ')} (got ${showJson(value)}).`)
      return value
    }
    default:
      return value
  }
}

function checkObject(where: string, value: unknown, specs: Record<string, FieldSpec>, allowUnknown = false): Json {
  if (value === undefined || value === null) value = {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidInput(`${where} must be an object.`)
  const out: Json = {}
  for (const [k, v] of Object.entries(value as Json)) {
    const spec = specs[k]
    if (!spec) {
      if (allowUnknown) {
        out[k] = v
        continue
      }
      throw invalidInput(`${where}.${k} is not a known setting (allowed: ${Object.keys(specs).join(', ')}).`)
    }
    out[k] = checkField(where, k, v, spec)
  }
  for (const [k, spec] of Object.entries(specs)) if (spec.required && out[k] === undefined) throw invalidInput(`${where}.${k} is required.`)
  return out
}

export function validParameters(type: StrategyType, value: unknown): Json {
  if (type === 'custom') {
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) throw invalidInput('parameters must be an object.')
    return (value as Json) ?? {}
  }
  const params = checkObject('parameters', value, parameterSpecs[type])
  if (type === 'grid' && (params.upper_price as number) <= (params.lower_price as number))
    throw invalidInput(`parameters.upper_price (${params.upper_price}) must be above parameters.lower_price (${params.lower_price}).`)
  if (type === 'momentum') {
    params.timeframe ??= '1m'
    params.lookback_period ??= 20
  }
  return params
}

/** Risk settings, defaulted from config/strategy.yaml and capped by its limits. */
export function validRisk(value: unknown, limits: OrdermonConfig['strategy']['risk_management']): Json {
  const risk = checkObject('risk_management', value, riskSpec)
  if (risk.max_daily_loss !== undefined && (risk.max_daily_loss as number) > limits.max_daily_loss)
    throw invalidInput(`risk_management.max_daily_loss ${risk.max_daily_loss} is above the allowed ${limits.max_daily_loss} (strategy.risk_management.max_daily_loss).`)
  if (risk.max_drawdown !== undefined && (risk.max_drawdown as number) > limits.max_drawdown)
    throw invalidInput(`risk_management.max_drawdown ${risk.max_drawdown} is above the allowed ${limits.max_drawdown} (strategy.risk_management.max_drawdown).`)
  if (risk.position_limit !== undefined && (risk.position_limit as number) > limits.position_limit)
    throw invalidInput(`risk_management.position_limit ${risk.position_limit} is above the allowed ${limits.position_limit} (strategy.risk_management.position_limit).`)
  return {max_daily_loss: limits.max_daily_loss, max_drawdown: limits.max_drawdown, position_limit: limits.position_limit, ...risk}
}

function validTimezone(tz: unknown): string {
  if (typeof tz !== 'string' || tz.trim() === '') throw invalidInput('schedule.timezone must be an IANA time zone such as America/New_York.')
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: tz})
  } catch {
    throw invalidInput(`schedule.timezone ${show(tz)} is not a known time zone (use an IANA name such as America/New_York or Asia/Shanghai).`)
  }
  return tz
}

const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

export function validSchedule(value: unknown): Json | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidInput('schedule must be an object with start_time, end_time and timezone.')
  const s = value as Json
  const out: Json = {}
  for (const key of Object.keys(s)) if (!['start_time', 'end_time', 'timezone', 'days'].includes(key)) throw invalidInput(`schedule.${key} is not a known setting (allowed: start_time, end_time, timezone, days).`)
  for (const key of ['start_time', 'end_time'] as const) {
    out[key] = parseClock(`schedule.${key}`, s[key])
  }
  if (out.start_time === out.end_time) throw invalidInput('schedule.start_time and schedule.end_time must differ.')
  out.timezone = validTimezone(s.timezone ?? 'UTC')
  if (s.days !== undefined) {
    if (!Array.isArray(s.days) || s.days.length === 0) throw invalidInput(`schedule.days must be a list of ${days.join(', ')}.`)
    out.days = s.days.map((d) => requireOneOf('schedule.days', String(d), days))
  }
  return out
}

export const validStrategyName = (v: unknown) => requireText('name', typeof v === 'string' ? v : v === undefined ? undefined : String(v), {max: 128})

export const validStrategyType = (v: unknown) => requireOneOf('type', v === undefined ? undefined : String(v), strategyTypes)

export const validStrategyId = (v: unknown) =>
  requireText('strategy_id', v === undefined ? undefined : String(v), {max: 32, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, patternHelp: 'up to 32 letters, digits, _ -'})
