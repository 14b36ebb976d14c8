import {describe, expect, it} from 'vitest'
import {refusal} from '../helpers/suite.js'
import {AlertEvaluator, type AlertTransition} from '../../src/engine/domain/alerts/evaluator.js'
import {ConditionSyntaxError, parseCondition, type Inputs} from '../../src/engine/domain/alerts/expression.js'
import {ALERT_INPUT_NAMES, ALERT_INPUT_TYPES, ALERT_INPUTS, describeInput, WATCHER_INPUTS} from '../../src/engine/domain/alerts/inputs.js'
import {DEFAULT_RULE_SPECS, loadAlertRules, parseDuration, renderMessage, type AlertRuleSpec} from '../../src/engine/domain/alerts/rules.js'
import {METRIC_NAMES} from '../../src/engine/metrics/snapshot.js'

/** Alert conditions, rule loading and the alert state machine: pure code, fed synthetic samples. */

/** Whether `source` holds on `inputs` (parsed without a name list, so any name may be read). */
const holds = (source: string, inputs: Inputs) => parseCondition(source).test(inputs).holds

/** The syntax error `source` must be refused with (checked against the known inputs and their types). */
function syntaxError(source: string, known = true): ConditionSyntaxError {
  try {
    parseCondition(source, known ? ALERT_INPUT_NAMES : undefined, known ? ALERT_INPUT_TYPES : undefined)
  } catch (error) {
    expect(error).toBeInstanceOf(ConditionSyntaxError)
    return error as ConditionSyntaxError
  }
  throw new Error(`expected ${JSON.stringify(source)} to be refused`)
}


describe('parseCondition: meaning', () => {
  it('compares with every operator, `=` being `==`', () => {
    const at = {cpu_usage: 80}
    expect(['> 79', '>= 80', '< 81', '<= 80', '== 80', '= 80', '!= 81'].map((c) => holds(`cpu_usage ${c}`, at))).toEqual([true, true, true, true, true, true, true])
    expect(['> 80', '>= 81', '< 80', '<= 79', '== 81', '= 79', '!= 80'].map((c) => holds(`cpu_usage ${c}`, at))).toEqual([false, false, false, false, false, false, false])
  })

  it('reads 0.5, 1e3, .5, -2 and a trailing % as plain numbers; a literal may stand on the left', () => {
    expect(holds('x == 0.5', {x: 0.5})).toBe(true)
    expect(holds('x == .5', {x: 0.5})).toBe(true)
    expect(holds('x == 1e3', {x: 1000})).toBe(true)
    expect(holds('x == 2.5E-1', {x: 0.25})).toBe(true)
    expect(holds('x > 80%', {x: 81})).toBe(true)
    expect(holds('x > 80%', {x: 80})).toBe(false)
    expect(holds('x > -2', {x: -1})).toBe(true)
    expect(holds('80 < x', {x: 81})).toBe(true)
  })

  it('binds not < comparison, and before or; parentheses regroup', () => {
    const i = {a: 1, b: 0, c: 0}
    // a or (b and c) = true; (a or b) and c = false
    expect(holds('a or b and c', i)).toBe(true)
    expect(holds('(a or b) and c', i)).toBe(false)
    expect(holds('c and b or a', i)).toBe(true)
    // not binds looser than a comparison: not (a > 0)
    expect(holds('not a > 0', i)).toBe(false)
    expect(holds('not a > 5', i)).toBe(true)
    expect(holds('not not a', i)).toBe(true)
    expect(holds('!(a && c) || b', i)).toBe(true)
    expect(holds('NOT a AND c OR Not b', i)).toBe(true)
    expect(holds('((((a))))', i)).toBe(true)
  })

  it('treats a bare value as true when it is true or a non-zero number', () => {
    expect([true, false, 1, 0, -3, 0.001].map((v) => holds('flag', {flag: v}))).toEqual([true, false, true, false, true, true])
    expect(holds('flag', {flag: 'yes'})).toBe(false)
    expect(holds('true', {})).toBe(true)
    expect(holds('false', {})).toBe(false)
    expect(holds('engine_running == false', {engine_running: false})).toBe(true)
    expect(holds('db_connection_failed != true', {db_connection_failed: false})).toBe(true)
  })

  it("compares strings exactly, in '...' or \"...\", with unicode, quotes and SQL as plain text", () => {
    expect(holds("system_status == 'down'", {system_status: 'down'})).toBe(true)
    expect(holds('system_status == "down"', {system_status: 'down'})).toBe(true)
    expect(holds("system_status == 'DOWN'", {system_status: 'down'})).toBe(false)
    expect(holds("s == '停机 ✓ 🚨'", {s: '停机 ✓ 🚨'})).toBe(true)
    expect(holds("s == '; DROP TABLE users; --'", {s: '; DROP TABLE users; --'})).toBe(true)
    // SQL's doubled quote is not an escape here: the injection does not even parse
    expect(() => parseCondition("s == 'x'' OR ''1''=''1'")).toThrow("at column 9: expected 'and', 'or' or the end, found ' OR '")
    expect(holds("s == 'O\\'Brien'", {s: "O'Brien"})).toBe(true)
    expect(holds('s == "O\'Brien"', {s: "O'Brien"})).toBe(true)
    expect(holds("s == 'a\\\\b'", {s: 'a\\b'})).toBe(true)
    expect(holds("s == '${process.exit(1)}'", {s: '${process.exit(1)}'})).toBe(true)
    expect(holds("s > 'a'", {s: 'b'})).toBe(true)
  })

  it('never holds on missing data, null, NaN or a prototype property, and says it could not decide', () => {
    for (const inputs of [{}, {x: null}, {x: Number.NaN}, {x: undefined}] as Inputs[]) {
      for (const c of ['x > 1', 'x < 1', 'x == 1', 'x != 1', 'not x > 1', 'x', 'not x', "x != 'up'"]) {
        expect(parseCondition(c).test(inputs), `${c} on ${JSON.stringify(inputs)}`).toEqual({holds: false, known: false, value: inputs.x === null ? null : undefined})
      }
    }
    for (const name of ['constructor', '__proto__', 'prototype']) {
      expect(parseCondition(`${name} != 1`).test({}).known).toBe(false)
      expect(parseCondition(`not ${name}`).test({}).known).toBe(false)
    }
  })

  it('decides and/or with missing data when the other side is enough (SQL-style unknown)', () => {
    expect(parseCondition('a > 1 or b > 1').test({b: 2})).toEqual({holds: true, known: true, value: undefined})
    expect(parseCondition('a > 1 and b > 1').test({b: 0})).toEqual({holds: false, known: true, value: undefined})
    expect(parseCondition('a > 1 and b > 1').test({b: 2})).toEqual({holds: false, known: false, value: undefined})
    expect(parseCondition('a > 1 or b > 1').test({b: 0})).toEqual({holds: false, known: false, value: undefined})
  })

  it('never equates or orders values of different types: == false, != true, ordering false', () => {
    expect(holds("x == '5'", {x: 5})).toBe(false)
    expect(holds("x != '5'", {x: 5})).toBe(true)
    expect(holds("x > '1'", {x: 5})).toBe(false)
    expect(holds('x == 1', {x: true})).toBe(false)
    expect(holds('x != 1', {x: true})).toBe(true)
    expect(holds('x > false', {x: true})).toBe(false)
  })

  it('lists the names it reads once, in order, and reports the first one as the value', () => {
    const c = parseCondition('cpu_usage > 80 and (memory_usage > 90 or cpu_usage > 95) and not db_connection_failed')
    expect(c.names).toEqual(['cpu_usage', 'memory_usage', 'db_connection_failed'])
    expect(c.source).toBe('cpu_usage > 80 and (memory_usage > 90 or cpu_usage > 95) and not db_connection_failed')
    expect(c.test({cpu_usage: 85, memory_usage: 95, db_connection_failed: false})).toEqual({holds: true, known: true, value: 85})
    expect(c.test({cpu_usage: 85, memory_usage: 50, db_connection_failed: false})).toEqual({holds: false, known: true, value: 85})
    expect(parseCondition('true').names).toEqual([])
  })

  it('accepts every documented input name and their real values', () => {
    for (const name of METRIC_NAMES) expect(parseCondition(`${name} >= 0`, ALERT_INPUT_NAMES, ALERT_INPUT_TYPES).test({[name]: 0}).holds).toBe(true)
    const c = parseCondition("system_status == 'down' or redis_status == 'not_configured' or engine_heartbeat_age_s > 30", ALERT_INPUT_NAMES, ALERT_INPUT_TYPES)
    expect(c.test({system_status: 'running', redis_status: 'up', engine_heartbeat_age_s: 31}).holds).toBe(true)
    expect(c.test({system_status: 'running', redis_status: 'up', engine_heartbeat_age_s: 3}).holds).toBe(false)
  })
})

describe('parseCondition: refusals', () => {
  it.each([
    ['cpu_usage > )', 13, "at column 13: expected a number, a string or a name, found ')'"],
    ['', 1, 'at column 1: expected a number, a string or a name, found the end'],
    ['cpu_usage >', 12, 'at column 12: expected a number, a string or a name, found the end'],
    ['cpu_usag > 80', 1, "at column 1: unknown name 'cpu_usag' (did you mean cpu_usage?)"],
    ['cpu_usage > 80 and memroy_usage > 1', 20, "at column 20: unknown name 'memroy_usage' (did you mean memory_usage?)"],
    ['banana > 1', 1, "at column 1: unknown name 'banana'"],
    ['CPU_usage > 80', 1, "at column 1: expected a name in lower case, found 'CPU_usage' (did you mean cpu_usage?)"],
    ['cpu_usage 80', 11, "at column 11: expected an operator, 'and', 'or' or the end, found '80'"],
    ['cpu_usage > 80 90', 16, "at column 16: expected 'and', 'or' or the end, found '90'"],
    ['cpu_usage > 80 > 90', 16, "at column 16: expected 'and', 'or' or the end, found '>'"],
    ['(cpu_usage > 80', 16, "at column 16: expected 'and', 'or' or ')', found the end"],
    ['cpu_usage > 80)', 15, "at column 15: expected 'and', 'or' or the end, found ')'"],
    ['cpu_usage > 80 and', 19, 'at column 19: expected a number, a string or a name, found the end'],
    ['cpu_usage === 80', 13, "at column 13: expected a number, a string or a name, found '='"],
    ['cpu_usage > 80 & tps > 1', 16, "at column 16: expected 'and', 'or' or the end, found '&'"],
    ["system_status == 'down", 18, "at column 18: expected a closing ' for the string that starts here, found the end"],
    ["system_status == 'dwon'", 18, "at column 18: expected one of 'running', 'degraded', 'down', 'stopped' (the values of system_status), found 'dwon'"],
    ["cpu_usage > 'high'", 13, "at column 13: cpu_usage is a number: expected a number, found 'high'"],
    ['db_connection_failed == 1', 25, "at column 25: db_connection_failed is true or false: expected true or false, found '1'"],
    ['db_connection_failed > 0', 22, "at column 22: db_connection_failed is true or false: compare it with == or !=, found '>'"],
    ['system_status', 1, "at column 1: system_status is text: compare it, e.g. system_status == 'running'"],
    ["'down'", 1, "at column 1: 'down' is text: compare it"],
  ])('%j -> column %i', (source, column, message) => {
    const e = syntaxError(source)
    expect(e.message).toBe(message)
    expect(e.position).toBe(column)
  })

  it('counts columns in characters, emoji included', () => {
    expect(syntaxError("s == '🚨🚨' and )", false).message).toBe("at column 15: expected a number, a string or a name, found ')'")
  })

  it('carries what it expected and what it found', () => {
    const e = syntaxError('cpu_usage > )')
    expect({expected: e.expected, found: e.found}).toEqual({expected: 'a number, a string or a name', found: "')'"})
  })

  it('is no JavaScript: calls, members, templates and statements are refused, and nothing runs', () => {
    const cases = ['process.exit(1)', 'constructor.constructor("return process")().exit(1)', 'this.constructor', '`${1}`', "require('fs')", 'x == 1; process.exit(1)', 'globalThis.x = 1', 'a[0]', '() => 1', 'x ? 1 : 2']
    for (const source of cases) {
      expect(() => parseCondition(source), source).toThrow(ConditionSyntaxError)
      expect(() => parseCondition(source, ALERT_INPUT_NAMES), source).toThrow(ConditionSyntaxError)
    }
    expect(syntaxError('process.exit(1)', false).message).toBe("at column 8: expected an operator, 'and', 'or' or the end, found '.'")
    expect(syntaxError('process.exit(1)').message).toBe("at column 1: unknown name 'process'")
    expect(syntaxError('constructor.constructor', false).message).toBe("at column 12: expected an operator, 'and', 'or' or the end, found '.'")
    expect((globalThis as {x?: unknown}).x).toBeUndefined()
  })

  it('refuses conditions longer than 1000 characters and nesting deeper than 32', () => {
    expect(syntaxError(`x > ${'1'.repeat(1000)}`, false).message).toMatch(/^at column 1001: expected the end, found more/)
    expect(() => parseCondition(`${'('.repeat(32)}x${')'.repeat(32)}`)).not.toThrow()
    expect(syntaxError(`${'('.repeat(33)}x${')'.repeat(33)}`, false).message).toBe('at column 33: expected at most 32 nested levels, found more')
    expect(syntaxError(`${'not '.repeat(33)}x`, false).position).toBe(129)
  })

  it('evaluates 100 rules in well under a millisecond per sample', () => {
    const sources = Array.from({length: 100}, (_, k) => (k % 3 === 0 ? `cpu_usage > ${k}` : k % 3 === 1 ? `memory_usage > ${k} and (tps < 5 or not db_connection_failed)` : `p99_latency_ms >= ${k} or error_rate > 1`))
    const conditions = sources.map((s) => parseCondition(s, ALERT_INPUT_NAMES, ALERT_INPUT_TYPES))
    const samples = Array.from({length: 1000}, (_, k) => ({cpu_usage: k % 100, memory_usage: (k * 7) % 100, tps: k % 10, db_connection_failed: k % 2 === 0, p99_latency_ms: k % 300, error_rate: k % 3}))
    let fired = 0
    const started = performance.now()
    for (const s of samples) for (const c of conditions) if (c.test(s).holds) fired++
    const perSampleMs = (performance.now() - started) / samples.length
    expect(fired).toBeGreaterThan(0)
    expect(perSampleMs).toBeLessThan(1)
  })
})

describe('inputs', () => {
  it('lists every metric and the connection and liveness inputs once, each with a description', () => {
    const names = ALERT_INPUTS.map((i) => i.name)
    expect(new Set(names).size).toBe(names.length)
    for (const n of [...METRIC_NAMES, 'disk_usage', 'error_rate', 'db_pool_in_use', 'redis_status', 'db_connection_failed', 'redis_connection_failed', 'system_status', 'engine_heartbeat_age_s', 'engine_running']) {
      expect(ALERT_INPUT_NAMES.has(n), n).toBe(true)
      expect(describeInput(n), n).toMatch(/\w/)
    }
    expect(describeInput('nope')).toBeUndefined()
    for (const n of WATCHER_INPUTS) expect(ALERT_INPUT_NAMES.has(n), n).toBe(true)
    expect(WATCHER_INPUTS.has('cpu_usage')).toBe(false)
  })
})

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['60s', 60_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    [' 1m 30s ', 90_000],
    ['1.5s', 1500],
    ['60', 60_000],
    [60, 60_000],
    [0.25, 250],
    [0, 0],
  ] as const)('%j -> %i ms', (v, ms) => {
    expect(parseDuration(v, 'for')).toBe(ms)
  })

  it.each([
    ['1x', "for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found '1x'"],
    ['', "for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found ''"],
    ['s', "for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found 's'"],
    ['-5s', "for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found '-5s'"],
    ['5M', "for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found '5M'"],
    [-1, 'for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found -1'],
    [true, 'for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found true'],
    [Number.POSITIVE_INFINITY, 'for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found null'],
    ['31d', "for: expected at most 30d, found '31d'"],
  ] as const)('%j is refused', (v, message) => {
    expect(refusal(() => parseDuration(v, 'for'))).toBe(message)
  })
})

describe('loadAlertRules', () => {
  const manual: unknown[] = [
    {name: 'high_cpu_usage', condition: 'cpu_usage > 80', level: 'warning', for: '60s', repeat: '30m', channels: ['email', 'webhook'], recipients: ['admin@example.com'], message: 'CPU at {value}%'},
    {name: 'database_connection_error', condition: 'db_connection_failed', recipients: ['dba@example.com', 'admin@example.com']},
    {name: 'system_down', condition: "system_status == 'down'", recipients: [13800138000]},
  ]

  it('reads the rules of the manual, with defaults for what is left out', () => {
    const [cpu, db, down] = loadAlertRules(manual)
    expect({...cpu!, condition: cpu!.condition.source}).toEqual({
      name: 'high_cpu_usage', condition: 'cpu_usage > 80', level: 'warning', forMs: 60_000, repeatMs: 1_800_000, clearForMs: 30_000,
      channels: ['email', 'webhook'], recipients: ['admin@example.com'], category: 'performance', message: 'CPU at {value}%', watcher: false,
    })
    expect({...db!, condition: db!.condition.source}).toEqual({
      name: 'database_connection_error', condition: 'db_connection_failed', level: 'warning', forMs: 0, repeatMs: 0, clearForMs: 30_000,
      channels: undefined, recipients: ['dba@example.com', 'admin@example.com'], category: 'database', message: undefined, watcher: false,
    })
    expect(down).toMatchObject({recipients: ['13800138000'], category: 'system', watcher: true})
  })

  it('uses the defaults when no rules are configured', () => {
    for (const raw of [undefined, []]) {
      const rules = loadAlertRules(raw)
      expect(rules.map((r) => `${r.name}: ${r.condition.source} ${r.level} for ${r.forMs / 1000}s repeat ${r.repeatMs / 60_000}m${r.watcher ? ' (watcher)' : ''}`)).toEqual([
        'high_cpu_usage: cpu_usage > 70 warning for 60s repeat 30m',
        'critical_cpu_usage: cpu_usage > 85 critical for 60s repeat 30m',
        'high_memory_usage: memory_usage > 80 warning for 60s repeat 30m',
        'critical_memory_usage: memory_usage > 90 critical for 60s repeat 30m',
        'high_p99_latency_ms: p99_latency_ms > 100 warning for 60s repeat 30m',
        'critical_p99_latency_ms: p99_latency_ms > 500 critical for 60s repeat 30m',
        'high_error_rate: error_rate > 1 warning for 60s repeat 30m',
        'critical_error_rate: error_rate > 5 critical for 60s repeat 30m',
        'database_connection_error: db_connection_failed critical for 0s repeat 30m',
        'redis_connection_error: redis_connection_failed critical for 0s repeat 30m',
        'engine_dead: engine_heartbeat_age_s > 30 critical for 0s repeat 30m (watcher)',
      ])
      expect(rules.map((r) => r.category)).toEqual(['performance', 'performance', 'performance', 'performance', 'performance', 'performance', 'business', 'business', 'database', 'system', 'system'])
    }
    expect(DEFAULT_RULE_SPECS).toHaveLength(11)
  })

  it('derives the category from the first name read unless one is given', () => {
    const category = (condition: string, given?: string) => loadAlertRules([{name: 'r', condition, ...(given ? {category: given} : {})}])[0]!.category
    expect(['db_pool_in_use > 8', 'net_rx_kb_s > 1', 'avg_latency_ms > 1', 'tps < 1', 'events_per_s > 1', 'rss_mb > 1', 'heap_used_mb > 1', 'disk_usage > 90'].map((c) => category(c))).toEqual([
      'database', 'performance', 'performance', 'performance', 'performance', 'performance', 'performance', 'performance',
    ])
    expect(['active_users < 1', 'running_strategies == 0', 'pending_orders > 1', 'fills_today < 1', 'error_rate > 1'].map((c) => category(c))).toEqual(['business', 'business', 'business', 'business', 'business'])
    expect(["redis_status == 'down'", 'engine_running == false', 'true'].map((c) => category(c))).toEqual(['system', 'system', 'system'])
    expect(category('cpu_usage > 1', 'Business')).toBe('business')
  })

  it('makes a rule reading engine liveness or system_status a watcher rule, and refuses one mixing engine metrics in', () => {
    const watcher = (condition: string) => loadAlertRules([{name: 'r', condition}])[0]!.watcher
    expect(['engine_heartbeat_age_s > 30', 'not engine_running', "system_status != 'running' and db_connection_failed"].map(watcher)).toEqual([true, true, true])
    expect(['db_connection_failed', 'redis_connection_failed', 'cpu_usage > 1'].map(watcher)).toEqual([false, false, false])
    expect(refusal(() => loadAlertRules([{name: 'mixed', condition: 'engine_running and cpu_usage > 90'}]))).toBe(
      "alert rule 'mixed' (notification.alerts[0]): condition: engine_running is checked outside the engine, where cpu_usage is not known: make them two rules",
    )
  })

  it('refuses a bad field with one line naming the rule, its position and what was expected', () => {
    const ok = {name: 'high_cpu', condition: 'cpu_usage > 80', recipients: ['a@example.com']}
    const bad = (patch: Record<string, unknown>) => refusal(() => loadAlertRules([ok, {...manual[1] as object}, {...ok, ...patch}]))
    const at = "alert rule 'high_cpu' (notification.alerts[2]): "
    expect(bad({condition: 'cpu_usage > )'})).toBe(`${at}condition at column 13: expected a number, a string or a name, found ')'`)
    expect(bad({condition: 'cpu_usag > 1'})).toBe(`${at}condition at column 1: unknown name 'cpu_usag' (did you mean cpu_usage?)`)
    expect(bad({condition: ''})).toBe(`${at}condition: expected a condition such as cpu_usage > 80, found ''`)
    expect(bad({condition: 80})).toBe(`${at}condition: expected a condition such as cpu_usage > 80, found 80`)
    expect(bad({level: 'warn'})).toBe(`${at}level: expected info, warning or critical, found 'warn'`)
    expect(bad({for: '1 minute'})).toBe(`${at}for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found '1 minute'`)
    expect(bad({repeat: -1})).toBe(`${at}repeat: expected a duration such as 30s, 5m or 2h (or a number of seconds), found -1`)
    expect(bad({clear_for: 'soon'})).toBe(`${at}clear_for: expected a duration such as 30s, 5m or 2h (or a number of seconds), found 'soon'`)
    expect(bad({channels: ['email', 'slack']})).toBe(`${at}channels: expected one of email, webhook, sms, log, found 'slack'`)
    expect(bad({channels: 'email'})).toBe(`${at}channels: expected a list of email, webhook, sms, log, found 'email'`)
    expect(bad({channels: []})).toBe(`${at}channels: expected at least one channel, found [] (leave channels out for every configured channel)`)
    expect(bad({recipients: 'a@example.com'})).toBe(`${at}recipients: expected a list of addresses or phone numbers, found 'a@example.com'`)
    expect(bad({recipients: ['  ']})).toBe(`${at}recipients: expected an address or a phone number of 1 to 254 characters, found '  '`)
    expect(bad({recipients: [1.5e20]})).toBe(`${at}recipients: expected an address or a phone number (quote long numbers), found 150000000000000000000`)
    expect(bad({message: 'CPU at {val}'})).toBe(`${at}message: unknown placeholder {val} (use {value}, {name}, {condition}, {level})`)
    expect(bad({message: ''})).toBe(`${at}message: expected a text of 1 to 500 characters, found ''`)
    expect(bad({category: 'perf'})).toBe(`${at}category: expected performance, database, system or business, found 'perf'`)
    expect(bad({fro: '60s'})).toBe(`${at}unknown field 'fro' (did you mean for?)`)
    expect(bad({name: 'high cpu!'})).toBe("alert rule (notification.alerts[2]): name: expected 1 to 64 letters, digits, '_', '.' or '-', found 'high cpu!'")
    expect(bad({name: 'x'.repeat(65)})).toMatch(/^alert rule \(notification\.alerts\[2\]\): name: expected 1 to 64 letters/)
    expect(bad({name: undefined})).toBe("alert rule (notification.alerts[2]): name: expected 1 to 64 letters, digits, '_', '.' or '-', found undefined")
    expect(bad({name: 'Database_Connection_Error'})).toBe("alert rule 'Database_Connection_Error' (notification.alerts[2]): name: already used by notification.alerts[1]")
    expect(refusal(() => loadAlertRules(['cpu_usage > 80']))).toBe("alert rule (notification.alerts[0]): expected a mapping with name, condition and recipients, found 'cpu_usage > 80'")
  })

  it('accepts levels and channels in any case, and keeps each recipient and channel once', () => {
    const [r] = loadAlertRules([{name: 'r', condition: 'tps < 1', level: ' Critical', channels: ['Email', 'email', 'log'], recipients: ['a@x.io', ' a@x.io ', 13800138000]}])
    expect(r).toMatchObject({level: 'critical', channels: ['email', 'log'], recipients: ['a@x.io', '13800138000']})
  })
})

describe('renderMessage', () => {
  const rule = (spec: Partial<AlertRuleSpec>) => loadAlertRules([{name: 'high_cpu_usage', condition: 'cpu_usage > 80', ...spec}])[0]!
  it('fills the template placeholders, numbers to two decimals, missing values as no data', () => {
    expect(renderMessage(rule({message: '[{level}] {name}: CPU at {value}% ({condition})'}), 91.456)).toBe('[warning] high_cpu_usage: CPU at 91.46% (cpu_usage > 80)')
    expect(renderMessage(rule({message: 'CPU at {value}%'}), undefined)).toBe('CPU at no data%')
    expect(renderMessage(rule({message: 'flag {value}'}), false)).toBe('flag false')
  })
  it('without a template says the rule, the condition and the value read', () => {
    expect(renderMessage(rule({}), 91.5)).toBe('high_cpu_usage: cpu_usage > 80 (cpu_usage = 91.5)')
    expect(renderMessage(loadAlertRules([{name: 'db', condition: 'db_connection_failed'}])[0]!, true)).toBe('db: db_connection_failed')
    expect(renderMessage(loadAlertRules([{name: 'down', condition: "system_status == 'down'"}])[0]!, 'down')).toBe("down: system_status == 'down' (system_status = down)")
  })
})

describe('AlertEvaluator', () => {
  const T0 = Date.parse('2026-12-01T00:00:00Z')
  const rule = (spec: Partial<AlertRuleSpec> = {}) => loadAlertRules([{name: 'cpu', condition: 'cpu_usage > 80', ...spec}])[0]!
  /** One transition as a line: kind, seconds since T0, and count for repeats. */
  const line = (t: AlertTransition) => `${t.kind}@${(t.at.getTime() - T0) / 1000}${t.kind === 'repeated' ? `#${t.count}` : ''}`
  const named = (ts: AlertTransition[]) => ts.map((t) => `${t.rule.name} ${line(t)}`)

  /** Feeds one sample a second (or every `stepS`), starting `fromS` after T0; `undefined` = no data. */
  function feed(e: AlertEvaluator, values: (number | undefined)[], fromS = 0, stepS = 1): string[] {
    const out: string[] = []
    values.forEach((v, k) => {
      const inputs = v === undefined ? {} : {cpu_usage: v}
      out.push(...e.evaluate(inputs, new Date(T0 + (fromS + k * stepS) * 1000)).map(line))
    })
    return out
  }
  const repeat = <T>(n: number, v: T): T[] => Array.from({length: n}, () => v)

  it('raises once the condition has held for `for`, with since = when it first held', () => {
    const e = new AlertEvaluator([rule({for: '60s'})])
    expect(feed(e, repeat(60, 90))).toEqual([])
    const raised = e.evaluate({cpu_usage: 90}, new Date(T0 + 60_000))
    expect(raised).toMatchObject([{kind: 'raised', value: 90, since: new Date(T0), at: new Date(T0 + 60_000)}])
    expect(e.firing()).toEqual([{rule: 'cpu', since: new Date(T0 + 60_000)}])
    expect(feed(e, repeat(100, 90), 61)).toEqual([])
  })

  it('restarts the wait when the condition stops holding before `for`', () => {
    const e = new AlertEvaluator([rule({for: '60s'})])
    expect(feed(e, [...repeat(59, 90), 50, ...repeat(61, 90)])).toEqual(['raised@120'])
  })

  it('raises on the first holding sample with for 0s', () => {
    const e = new AlertEvaluator([rule()])
    expect(feed(e, [50, 50, 81])).toEqual(['raised@2'])
  })

  it('repeats every `repeat` since the last notification while it holds, and never with no repeat', () => {
    const e = new AlertEvaluator([rule({repeat: '30m'}), rule({name: 'quiet', condition: 'cpu_usage > 80'})])
    // one sample every 10 s for 65 minutes
    const lines = feed(e, repeat(391, 90), 0, 10)
    expect(lines).toEqual(['raised@0', 'raised@0', 'repeated@1800#2', 'repeated@3600#3'])
  })

  it('stops repeating once acknowledged, until a later firing', () => {
    const e = new AlertEvaluator([rule({repeat: '10m'}), rule({name: 'other', condition: 'cpu_usage > 85', repeat: '10m'})])
    expect(named(e.evaluate({cpu_usage: 90}, new Date(T0)))).toEqual(['cpu raised@0', 'other raised@0'])
    e.acknowledge('cpu')
    e.acknowledge('no_such_rule')
    const later: string[] = []
    for (let s = 10; s <= 1200; s += 10) later.push(...named(e.evaluate({cpu_usage: 90}, new Date(T0 + s * 1000))))
    expect(later).toEqual(['other repeated@600#2', 'other repeated@1200#3'])
    expect(feed(e, repeat(31, 50), 1201)).toEqual(['resolved@1231', 'resolved@1231'])
    // a new firing of the acknowledged rule repeats again
    expect(feed(e, repeat(61, 90), 1300, 10)).toEqual(['raised@1300', 'raised@1300', 'repeated@1900#2', 'repeated@1900#2'])
  })

  it('resolves once the condition has not held for clear_for (30 s by default), a holding sample restarting the wait', () => {
    const e = new AlertEvaluator([rule()])
    feed(e, [90])
    // clear from 1 s, held again at 21 s, clear from 22 s: 30 s later is 52 s
    expect(feed(e, [...repeat(20, 50), 90, ...repeat(30, 50)], 1)).toEqual([])
    const resolved = e.evaluate({cpu_usage: 40}, new Date(T0 + 52_000))
    expect(resolved).toMatchObject([{kind: 'resolved', value: 40, firedAt: new Date(T0), at: new Date(T0 + 52_000)}])
    expect(e.firing()).toEqual([])
    expect(feed(new AlertEvaluator([rule({clear_for: '5s'})]), [90, 50, 50, 50, 50, 50, 50])).toEqual(['raised@0', 'resolved@6'])
  })

  it('a one-shot check (clearForMs 0) resolves at the first sample that does not hold', () => {
    const e = new AlertEvaluator([rule({clear_for: '5m'})], {clearForMs: 0})
    expect(feed(e, [90, 50])).toEqual(['raised@0', 'resolved@1'])
  })

  it('a value flapping 79/81 every second for 10 minutes: nothing with for 60s; with for 0s one raise, resolved 30 s after it stops', () => {
    const flapping = Array.from({length: 600}, (_, k) => (k % 2 === 0 ? 79 : 81))
    expect(feed(new AlertEvaluator([rule({for: '60s'})]), [...flapping, ...repeat(120, 79)])).toEqual([])
    // The last 81 is at 599 s; steady 79 from 600 s; resolved 30 s later.
    expect(feed(new AlertEvaluator([rule({for: '0s'})]), [...flapping, ...repeat(120, 79)])).toEqual(['raised@1', 'resolved@630'])
  })

  it('neither raises nor resolves nor repeats on missing data: the state holds', () => {
    const e = new AlertEvaluator([rule({for: '10s', repeat: '1m'})])
    expect(feed(e, [90, 90, ...repeat(100, undefined)])).toEqual([])
    // still pending since 0 s: the next holding sample raises
    expect(feed(e, [90], 102)).toEqual(['raised@102'])
    expect(feed(e, [50, ...repeat(600, undefined)], 103)).toEqual([])
    expect(e.firing()).toHaveLength(1)
    expect(feed(e, [50], 704)).toEqual(['resolved@704'])
  })

  it('adopts a rule firing elsewhere: no second raise, repeats counted on from its last notification, resolves it', () => {
    const e = new AlertEvaluator([rule({repeat: '30m'})])
    e.adopt('cpu', new Date(T0 - 3_600_000), new Date(T0 - 1_500_000), 3)
    e.adopt('not_a_rule', new Date(T0), new Date(T0))
    expect(e.firing()).toEqual([{rule: 'cpu', since: new Date(T0 - 3_600_000)}])
    // last notified 25 minutes before T0: the next reminder is due 5 minutes after it, as the 4th
    expect(feed(e, repeat(60, 90), 0, 10)).toEqual(['repeated@300#4'])
    expect(feed(e, repeat(30, 50), 600)).toEqual([])
    expect(e.evaluate({cpu_usage: 50}, new Date(T0 + 630_000))).toMatchObject([{kind: 'resolved', firedAt: new Date(T0 - 3_600_000)}])
  })

  it('setRules keeps the state of unchanged rules, drops changed and removed ones and says which were firing', () => {
    const e = new AlertEvaluator([rule(), rule({name: 'mem', condition: 'memory_usage > 80'}), rule({name: 'gone', condition: 'tps < 1'})])
    expect(named(e.evaluate({cpu_usage: 90, memory_usage: 90, tps: 0}, new Date(T0)))).toEqual(['cpu raised@0', 'mem raised@0', 'gone raised@0'])
    const dropped = e.setRules([rule({level: 'critical'}), rule({name: 'mem', condition: 'memory_usage > 85'}), rule({name: 'new', condition: 'cpu_usage > 80'})])
    expect(dropped).toEqual(['mem', 'gone'])
    // cpu is still firing (no second raise); mem starts afresh; new raises
    expect(named(e.evaluate({cpu_usage: 90, memory_usage: 90}, new Date(T0 + 1000)))).toEqual(['mem raised@1', 'new raised@1'])
    expect(e.firing()).toEqual([
      {rule: 'cpu', since: new Date(T0)},
      {rule: 'mem', since: new Date(T0 + 1000)},
      {rule: 'new', since: new Date(T0 + 1000)},
    ])
    // memory_usage missing: mem holds its state; the transitions carry the new rule objects
    const resolved: AlertTransition[] = []
    for (let s = 2; s <= 40; s++) resolved.push(...e.evaluate({cpu_usage: 50}, new Date(T0 + s * 1000)))
    expect(resolved.map((t) => `${t.rule.name} ${line(t)} ${t.rule.level}`)).toEqual(['cpu resolved@32 critical', 'new resolved@32 warning'])
    expect(e.firing().map((f) => f.rule)).toEqual(['mem'])
  })
})
