import {invalidInput, isOrdermonError} from '../../errors.js'
import {closest, ConditionSyntaxError, parseCondition, type Condition, type InputValue} from './expression.js'
import {ALERT_INPUT_NAMES, ALERT_INPUT_TYPES, WATCHER_INPUTS, WATCHER_OWNED} from './inputs.js'

/**
 * Alert rules as operators write them in config/notification.yaml (`notification.alerts`), checked
 * in full: the config schema passes the fields through raw, so every message about a rule comes from
 * here and names the rule and its position.
 */

export const alertLevels = ['info', 'warning', 'critical'] as const
export type AlertLevel = (typeof alertLevels)[number]
export const alertCategories = ['performance', 'database', 'system', 'business'] as const
export type AlertCategory = (typeof alertCategories)[number]
/** Channel names a rule may pick; which of them are configured is the notifier's business. */
export const alertChannels = ['email', 'webhook', 'sms', 'log'] as const

export interface AlertRule {
  name: string
  condition: Condition
  level: AlertLevel
  /** How long the condition must hold before the alert is raised. */
  forMs: number
  /** Re-notify this often while it still holds; 0 = never. */
  repeatMs: number
  /** undefined = every configured channel. */
  channels?: string[]
  recipients: string[]
  category: AlertCategory
  /** How long the condition must stay clear before the alert is resolved. */
  clearForMs: number
  message?: string
  /**
   * The condition reads engine_heartbeat_age_s, engine_running or system_status: evaluated only by
   * processes other than the engine (a dead engine cannot report itself); every other rule only by
   * the engine. One owner per rule, so two processes never disagree about it.
   */
  watcher: boolean
}

/** A rule as written in YAML. */
export interface AlertRuleSpec {
  name: string
  condition: string
  level?: AlertLevel
  for?: string | number
  repeat?: string | number
  clear_for?: string | number
  channels?: string[]
  recipients?: (string | number)[]
  message?: string
  category?: AlertCategory
}

const specFields = ['name', 'condition', 'level', 'for', 'repeat', 'clear_for', 'channels', 'recipients', 'message', 'category']
const namePattern = /^[A-Za-z0-9_.-]{1,64}$/
const placeholders = ['value', 'name', 'condition', 'level']
const DEFAULT_CLEAR_FOR_MS = 30_000
/** Longer durations are unit mistakes (60d for 60s). */
const MAX_DURATION_MS = 30 * 86_400_000
const MAX_MESSAGE = 500
const MAX_RECIPIENT = 254

const threshold = (metric: string, label: string, unit: string, warning: number, critical: number): AlertRuleSpec[] =>
  (['warning', 'critical'] as const).map((level) => {
    const limit = level === 'warning' ? warning : critical
    return {name: `${level === 'warning' ? 'high' : 'critical'}_${metric}`, condition: `${metric} > ${limit}`, level, for: '60s', repeat: '30m', message: `${label} is {value}${unit} (above ${limit}${unit})`}
  })

/** The rules used when none are configured (listed by the README). */
export const DEFAULT_RULE_SPECS: readonly AlertRuleSpec[] = [
  ...threshold('cpu_usage', 'CPU usage', '%', 70, 85),
  ...threshold('memory_usage', 'Memory usage', '%', 80, 90),
  ...threshold('p99_latency_ms', 'p99 order latency', ' ms', 100, 500),
  ...threshold('error_rate', 'Order error rate', '%', 1, 5),
  {name: 'database_connection_error', condition: 'db_connection_failed', level: 'critical', for: '0s', repeat: '30m', message: 'The engine cannot reach the database'},
  {name: 'redis_connection_error', condition: 'redis_connection_failed', level: 'critical', for: '0s', repeat: '30m', message: 'The engine cannot reach Redis'},
  {name: 'engine_dead', condition: 'engine_heartbeat_age_s > 30', level: 'critical', for: '0s', repeat: '30m', message: 'No engine heartbeat for {value} s'},
]

/** A bad value in an error line: strings in quotes (cut at 40 characters, control characters hidden), others as JSON. */
function found(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v) ?? String(v)
  // eslint-disable-next-line no-control-regex
  const clean = v.replace(/[\u0000-\u001f\u007f]/g, '?')
  return clean.length > 40 ? `'${clean.slice(0, 40)}…'` : `'${clean}'`
}

const fieldError = (field: string, expected: string, value: unknown) => invalidInput(`${field}: expected ${expected}, found ${found(value)}`)

const unitMs: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}
const durationPart = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/y

/** '0s' '500ms' '60s' '5m' '2h' '1d' '1h30m', or a number of seconds (60, '60'), to milliseconds. */
export function parseDuration(v: unknown, field: string): number {
  const expected = 'a duration such as 30s, 5m or 2h (or a number of seconds)'
  let ms: number | undefined
  if (typeof v === 'number') ms = Number.isFinite(v) && v >= 0 ? v * 1000 : undefined
  else if (typeof v === 'string') {
    const s = v.trim()
    if (/^\d+(?:\.\d+)?$/.test(s)) ms = Number(s) * 1000
    else if (s !== '') {
      let total = 0
      let at = 0
      durationPart.lastIndex = 0
      for (let m = durationPart.exec(s); m; m = durationPart.exec(s)) {
        total += Number(m[1]) * unitMs[m[2]!]!
        at = durationPart.lastIndex
      }
      if (at === s.length && at > 0) ms = total
    }
  }
  if (ms === undefined) throw fieldError(field, expected, v)
  if (ms > MAX_DURATION_MS) throw invalidInput(`${field}: expected at most 30d, found ${found(v)}`)
  return Math.round(ms)
}

/** The configured rules, or DEFAULT_RULE_SPECS when there are none. A bad rule throws one line naming it. */
export function loadAlertRules(raw: readonly unknown[] | undefined): AlertRule[] {
  if (raw !== undefined && !Array.isArray(raw)) throw invalidInput(`notification.alerts: expected a list of rules, found ${found(raw)}`)
  const specs = raw === undefined || raw.length === 0 ? DEFAULT_RULE_SPECS : raw
  const seen = new Map<string, number>()
  return specs.map((spec, index) => {
    const rule = loadRule(spec, index)
    // Case-insensitive: MariaDB's default collation would take two such names for one open alert.
    const key = rule.name.toLowerCase()
    const other = seen.get(key)
    if (other !== undefined) throw invalidInput(`${where(rule.name, index)}name: already used by notification.alerts[${other}]`)
    seen.set(key, index)
    return rule
  })
}

const where = (name: string | undefined, index: number) => `alert rule ${name === undefined ? '' : `'${name}' `}(notification.alerts[${index}]): `

function loadRule(spec: unknown, index: number): AlertRule {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalidInput(`${where(undefined, index)}expected a mapping with name, condition and recipients, found ${found(spec)}`)
  const s = spec as Record<string, unknown>
  const rawName = s.name
  const name = typeof rawName === 'string' && namePattern.test(rawName) ? rawName : undefined
  try {
    if (name === undefined) throw fieldError('name', "1 to 64 letters, digits, '_', '.' or '-'", rawName)
    for (const key of Object.keys(s)) {
      if (specFields.includes(key)) continue
      const guess = closest(key, specFields)
      throw invalidInput(`unknown field '${key}'${guess ? ` (did you mean ${guess}?)` : ` (known: ${specFields.join(', ')})`}`)
    }
    const condition = conditionOf(s.condition)
    const watcher = condition.names.some((n) => WATCHER_OWNED.has(n))
    if (watcher) {
      // A watcher knows only the liveness inputs: a rule mixing them with engine metrics could never fire.
      const owned = condition.names.find((n) => WATCHER_OWNED.has(n))!
      const inside = condition.names.find((n) => !WATCHER_INPUTS.has(n))
      if (inside) throw invalidInput(`condition: ${owned} is checked outside the engine, where ${inside} is not known: make them two rules`)
    }
    return {
      name,
      condition,
      level: oneOf('level', s.level, alertLevels) ?? 'warning',
      forMs: s.for === undefined ? 0 : parseDuration(s.for, 'for'),
      repeatMs: s.repeat === undefined ? 0 : parseDuration(s.repeat, 'repeat'),
      clearForMs: s.clear_for === undefined ? DEFAULT_CLEAR_FOR_MS : parseDuration(s.clear_for, 'clear_for'),
      channels: channelsOf(s.channels),
      recipients: recipientsOf(s.recipients),
      category: oneOf('category', s.category, alertCategories) ?? categoryOf(condition.names),
      message: messageOf(s.message),
      watcher,
    }
  } catch (error) {
    if (!isOrdermonError(error)) throw error
    throw invalidInput(`${where(name, index)}${error.message}`, error.hint)
  }
}

function conditionOf(v: unknown): Condition {
  if (typeof v !== 'string' || v.trim() === '') throw fieldError('condition', 'a condition such as cpu_usage > 80', v)
  try {
    return parseCondition(v, ALERT_INPUT_NAMES, ALERT_INPUT_TYPES)
  } catch (error) {
    if (error instanceof ConditionSyntaxError) throw invalidInput(`condition ${error.message}`)
    throw error
  }
}

function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined
  const hit = typeof v === 'string' ? allowed.find((a) => a === v.trim().toLowerCase()) : undefined
  if (!hit) throw fieldError(field, `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`, v)
  return hit
}

function channelsOf(v: unknown): string[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v)) throw fieldError('channels', `a list of ${alertChannels.join(', ')}`, v)
  if (v.length === 0) throw invalidInput('channels: expected at least one channel, found [] (leave channels out for every configured channel)')
  const out: string[] = []
  for (const c of v) {
    const name = typeof c === 'string' ? c.trim().toLowerCase() : c
    if (!(alertChannels as readonly unknown[]).includes(name)) throw fieldError('channels', `one of ${alertChannels.join(', ')}`, c)
    if (!out.includes(name as string)) out.push(name as string)
  }
  return out
}

function recipientsOf(v: unknown): string[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw fieldError('recipients', 'a list of addresses or phone numbers', v)
  const out: string[] = []
  for (const r of v) {
    // YAML reads 13800138000 as a number: fine while it is exact, refused once digits would be lost.
    if (typeof r === 'number' && !Number.isSafeInteger(r)) throw fieldError('recipients', 'an address or a phone number (quote long numbers)', r)
    const text = typeof r === 'number' ? String(r) : typeof r === 'string' ? r.trim() : undefined
    // eslint-disable-next-line no-control-regex
    if (text === undefined || text === '' || text.length > MAX_RECIPIENT || /[\u0000-\u001f\u007f]/.test(text)) throw fieldError('recipients', `an address or a phone number of 1 to ${MAX_RECIPIENT} characters`, r)
    if (!out.includes(text)) out.push(text)
  }
  return out
}

function messageOf(v: unknown): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.trim() === '' || v.length > MAX_MESSAGE) throw fieldError('message', `a text of 1 to ${MAX_MESSAGE} characters`, v)
  for (const m of v.matchAll(/\{([^{}]*)\}/g))
    if (!placeholders.includes(m[1]!)) throw invalidInput(`message: unknown placeholder {${m[1]}} (use ${placeholders.map((p) => `{${p}}`).join(', ')})`)
  return v
}

/** The category of the first name a condition reads (the one its value and message are about). */
function categoryOf(names: readonly string[]): AlertCategory {
  const n = names[0]
  if (n === undefined) return 'system'
  if (n.startsWith('db_')) return 'database'
  if (/^(cpu|memory|disk|net)_|latency|^tps$|^events_|^rss_|^heap_/.test(n)) return 'performance'
  if (/users|strategies|orders|fills|^error_rate$/.test(n)) return 'business'
  return 'system'
}

/** A value as a message shows it: numbers to two decimals, missing ones as "no data". */
export function formatValue(value: InputValue | undefined): string {
  if (value === undefined || value === null) return 'no data'
  if (typeof value === 'number') return String(Math.round(value * 100) / 100)
  return String(value)
}

/** The rule's message with {value} {name} {condition} {level} filled in, or "name: condition (name = value)". */
export function renderMessage(rule: AlertRule, value: InputValue | undefined): string {
  const shown = formatValue(value)
  if (rule.message) {
    const fill: Record<string, string> = {value: shown, name: rule.name, condition: rule.condition.source, level: rule.level}
    return rule.message.replace(/\{(value|name|condition|level)\}/g, (_, key: string) => fill[key]!)
  }
  const first = rule.condition.names[0]
  const bare = first !== undefined && rule.condition.source.trim() === first
  return `${rule.name}: ${rule.condition.source}${first === undefined || bare ? '' : ` (${first} = ${shown})`}`
}
