import {connect, type Socket} from 'node:net'
import {register as globalRegistry} from 'prom-client'
import {afterEach, describe, expect, it} from 'vitest'
import type {MetricsSnapshot} from '../../src/engine/metrics/snapshot.js'
import {PROMETHEUS_METRICS, prometheusRegistry, startPrometheus, type PrometheusServer, type PrometheusSource} from '../../src/engine/metrics/prometheus.js'
import type {LoopStats} from '../../src/engine/runtime/loop-scheduler.js'
import {expectKind} from '../helpers/suite.js'

/**
 * The Prometheus endpoint over real HTTP on a random port, with a synthetic source: the exposition
 * parsed back (a small parser below, per the text format 0.0.4) against PROMETHEUS_METRICS and the
 * source's figures; label escaping; 404/405; a port in use; close() freeing the port; many scrapes
 * holding the series count.
 */

// --- a small parser of the Prometheus text exposition format -----------------------------------------

interface Family {
  help?: string
  type?: string
  samples: {labels: Record<string, string>; value: number}[]
}

function unescape(s: string, quotes: boolean): string {
  return s.replace(quotes ? /\\(["\\n])/g : /\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c))
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i))
    if (!m) throw new Error(`bad labels at ${i}: ${text}`)
    i += m[0].length
    let raw = ''
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error(`unterminated label value: ${text}`)
      if (text[i] === '\\') raw += text[i++]
      raw += text[i++]
    }
    i++ // the closing quote
    labels[m[1]!] = unescape(raw, true)
    if (text[i] === ',') i++
  }
  return labels
}

function parseValue(s: string): number {
  if (/^[+-]?inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(s)) return NaN
  const v = Number(s)
  if (Number.isNaN(v)) throw new Error(`bad value ${s}`)
  return v
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const family = (name: string) => {
    let f = families.get(name)
    if (!f) families.set(name, (f = {samples: []}))
    return f
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta) {
      if (meta[1] === 'HELP') family(meta[2]!).help = unescape(meta[3]!, false)
      else family(meta[2]!).type = meta[3]
      continue
    }
    if (line.startsWith('#')) continue
    // The label block is everything between the first '{' and the last '}' (values may hold braces).
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line)
    if (!sample) throw new Error(`bad sample line: ${line}`)
    family(sample[1]!).samples.push({labels: sample[2] ? parseLabels(sample[2]) : {}, value: parseValue(sample[3]!)})
  }
  return families
}

/** The one value of `name` whose labels include `labels`. */
function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const matches = (families.get(name)?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  expect(matches, `${name} ${JSON.stringify(labels)}`).toHaveLength(1)
  return matches[0]!.value
}

const seriesCount = (families: Map<string, Family>) => [...families.values()].reduce((n, f) => n + f.samples.length, 0)

// --- a synthetic source -------------------------------------------------------------------------------

const STARTED_AT = new Date(Date.now() - 3_600_000).toISOString()

function snapshot(): MetricsSnapshot {
  return {
    at: new Date().toISOString(),
    instance_id: 'inst-1',
    started_at: STARTED_AT,
    system: {cpu_pct: 12.5, memory_pct: 63.2, memory_used_mb: 5000, memory_total_mb: 8000, disk_read_kb_s: 10, disk_write_kb_s: 20, disk_io_pct: 3.7, net_rx_kb_s: 140.25, net_tx_kb_s: 88.5, net_io_pct: 0.2},
    business: {active_users: 7, running_strategies: 11, open_orders: 42, fills_today: 314, tps: 95.5, avg_latency_ms: 2.4, p99_latency_ms: 17.9, events_per_s: 120.75},
    process: {rss_mb: 187, heap_used_mb: 90},
  }
}

type Counters = ReturnType<PrometheusSource['counters']>

/** A source whose answers the test changes between scrapes. */
function fakeSource() {
  const state = {
    snapshot: snapshot() as MetricsSnapshot | undefined,
    loops: [
      {name: 'tick', runs: 3600, failures: 2, last_ms: 4, max_ms: 250},
      {name: 'scan', runs: 360, failures: 0, last_ms: 31, max_ms: 1200},
    ] as LoopStats[],
    orders: {pending: 30, partially_filled: 12} as Record<string, number>,
    counters: {events_total: 123_456, transitions_total: 98_765, fills_total: 4321, rejects_by_reason: {insufficient_funds: 5, risk_limit: 9}, alerts_raised_total: 6, notifications_failed_total: 1} as Counters,
    relayLagMs: 2500 as number | null,
    alerts: [{rule: 'cpu_high', level: 'warning'}] as {rule: string; level: string}[],
    info: {version: '1.2.3', instance_id: 'inst-1', backend: 'mysql2'},
    fail: false,
  }
  const source: PrometheusSource = {
    snapshot: () => {
      if (state.fail) throw new Error('secret internals at /srv/engine.ts:42')
      return state.snapshot
    },
    loops: () => state.loops,
    ordersByStatus: () => state.orders,
    counters: () => state.counters,
    relayLagMs: () => state.relayLagMs,
    alertsFiring: () => state.alerts,
    info: () => state.info,
  }
  return {state, source}
}

// --- helpers ------------------------------------------------------------------------------------------

const servers: PrometheusServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => within(s.close(), 5_000, 'close()')))
})

async function serve(source: PrometheusSource, options: {port?: number; path?: string; onError?: (e: unknown) => void} = {}): Promise<PrometheusServer> {
  const server = await startPrometheus({host: '127.0.0.1', port: options.port ?? 0, path: options.path, source, onError: options.onError})
  servers.push(server)
  return server
}

async function scrape(server: PrometheusServer): Promise<Map<string, Family>> {
  const res = await fetch(server.url)
  expect(res.status).toBe(200)
  return parseExposition(await res.text())
}

const portOf = (server: PrometheusServer) => Number(new URL(server.url).port)

/** Rejects if `promise` has not settled within `ms` (a bound on a wait, not a sleep). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer))
}

// --- tests --------------------------------------------------------------------------------------------

describe('Prometheus endpoint', () => {
  it('exposes every listed metric, and only those, with its HELP and TYPE', async () => {
    const {source} = fakeSource()
    const server = await serve(source)
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const families = await scrape(server)

    for (const m of PROMETHEUS_METRICS) {
      const f = families.get(m.name)
      expect(f, m.name).toBeDefined()
      expect(f!.help, m.name).toBe(m.help)
      expect(f!.help!.length, m.name).toBeGreaterThan(10)
      expect(f!.type, m.name).toBe(m.type)
      expect(f!.samples.length, `${m.name} has samples`).toBeGreaterThan(0)
      for (const s of f!.samples) expect(Object.keys(s.labels).sort(), m.name).toEqual([...(m.labels ?? [])].sort())
    }
    expect([...families.keys()].sort()).toEqual(PROMETHEUS_METRICS.map((m) => m.name).sort())
    // Counters end in _total, and the names the brief and README promise are all there.
    for (const m of PROMETHEUS_METRICS) if (m.type === 'counter') expect(m.name).toMatch(/_total$/)
    expect(PROMETHEUS_METRICS.map((m) => m.name)).toEqual(expect.arrayContaining(['ordermon_cpu_usage_percent', 'ordermon_network_transmit_kilobytes_per_second', 'ordermon_info', 'ordermon_uptime_seconds', 'ordermon_process_resident_memory_bytes']))
  })

  it("reports the source's figures, read at scrape time", async () => {
    const {state, source} = fakeSource()
    const server = await serve(source)
    const res = await fetch(server.url)
    expect(res.headers.get('content-type')).toBe(prometheusRegistry(source).contentType)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const f = parseExposition(await res.text())
    const s = state.snapshot!

    expect(valueOf(f, 'ordermon_cpu_usage_percent')).toBe(s.system.cpu_pct)
    expect(valueOf(f, 'ordermon_memory_usage_percent')).toBe(s.system.memory_pct)
    expect(valueOf(f, 'ordermon_disk_io_percent')).toBe(s.system.disk_io_pct)
    expect(valueOf(f, 'ordermon_network_receive_kilobytes_per_second')).toBe(s.system.net_rx_kb_s)
    expect(valueOf(f, 'ordermon_network_transmit_kilobytes_per_second')).toBe(s.system.net_tx_kb_s)
    expect(valueOf(f, 'ordermon_active_users')).toBe(7)
    expect(valueOf(f, 'ordermon_running_strategies')).toBe(11)
    expect(valueOf(f, 'ordermon_open_orders')).toBe(42)
    expect(valueOf(f, 'ordermon_fills_today')).toBe(314)
    expect(valueOf(f, 'ordermon_transitions_per_second')).toBe(95.5)
    expect(valueOf(f, 'ordermon_transition_latency_milliseconds', {stat: 'avg'})).toBe(2.4)
    expect(valueOf(f, 'ordermon_transition_latency_milliseconds', {stat: 'p99'})).toBe(17.9)
    expect(valueOf(f, 'ordermon_events_per_second')).toBe(120.75)
    expect(valueOf(f, 'ordermon_events_total')).toBe(123_456)
    expect(valueOf(f, 'ordermon_transitions_total')).toBe(98_765)
    expect(valueOf(f, 'ordermon_fills_total')).toBe(4321)
    expect(valueOf(f, 'ordermon_order_rejects_total', {reason: 'insufficient_funds'})).toBe(5)
    expect(valueOf(f, 'ordermon_order_rejects_total', {reason: 'risk_limit'})).toBe(9)
    expect(valueOf(f, 'ordermon_orders', {status: 'pending'})).toBe(30)
    expect(valueOf(f, 'ordermon_orders', {status: 'partially_filled'})).toBe(12)
    expect(valueOf(f, 'ordermon_relay_lag_seconds')).toBe(2.5)
    expect(valueOf(f, 'ordermon_loop_duration_seconds', {loop: 'tick', stat: 'last'})).toBe(0.004)
    expect(valueOf(f, 'ordermon_loop_duration_seconds', {loop: 'tick', stat: 'max'})).toBe(0.25)
    expect(valueOf(f, 'ordermon_loop_duration_seconds', {loop: 'scan', stat: 'max'})).toBe(1.2)
    expect(valueOf(f, 'ordermon_loop_runs_total', {loop: 'tick'})).toBe(3600)
    expect(valueOf(f, 'ordermon_loop_runs_total', {loop: 'scan'})).toBe(360)
    expect(valueOf(f, 'ordermon_loop_failures_total', {loop: 'tick'})).toBe(2)
    expect(valueOf(f, 'ordermon_loop_failures_total', {loop: 'scan'})).toBe(0)
    expect(valueOf(f, 'ordermon_alerts_firing', {rule: 'cpu_high', level: 'warning'})).toBe(1)
    expect(valueOf(f, 'ordermon_alerts_raised_total')).toBe(6)
    expect(valueOf(f, 'ordermon_notifications_failed_total')).toBe(1)
    expect(valueOf(f, 'ordermon_process_resident_memory_bytes')).toBe(187 * 1_048_576)
    expect(valueOf(f, 'ordermon_info', {version: '1.2.3', instance_id: 'inst-1', backend: 'mysql2'})).toBe(1)
    const uptime = valueOf(f, 'ordermon_uptime_seconds')
    expect(uptime).toBeGreaterThanOrEqual(3600)
    expect(uptime).toBeLessThan(3600 + 60)

    // The next scrape reads the source again: changed figures, a resolved alert and a new loop show.
    state.snapshot = {...s, business: {...s.business, open_orders: 43}}
    state.counters = {...state.counters, events_total: 123_500, rejects_by_reason: {risk_limit: 10}}
    state.alerts = []
    state.loops = [...state.loops, {name: 'relay', runs: 1, failures: 1, last_ms: 0, max_ms: 0}]
    const g = await scrape(server)
    expect(valueOf(g, 'ordermon_open_orders')).toBe(43)
    expect(valueOf(g, 'ordermon_events_total')).toBe(123_500)
    expect(g.get('ordermon_order_rejects_total')!.samples).toEqual([{labels: {reason: 'risk_limit'}, value: 10}])
    expect(g.get('ordermon_alerts_firing')!.samples).toEqual([])
    expect(valueOf(g, 'ordermon_loop_failures_total', {loop: 'relay'})).toBe(1)
  })

  it('reads unknown figures as NaN, not 0: before the first sample, without latency, without Redis', async () => {
    const {state, source} = fakeSource()
    state.snapshot = undefined
    state.relayLagMs = null
    const server = await serve(source)
    const f = await scrape(server)
    for (const name of ['ordermon_cpu_usage_percent', 'ordermon_open_orders', 'ordermon_uptime_seconds', 'ordermon_relay_lag_seconds', 'ordermon_process_resident_memory_bytes'])
      expect(valueOf(f, name), name).toBeNaN()
    // Figures the engine counts itself are there from the start.
    expect(valueOf(f, 'ordermon_events_total')).toBe(123_456)

    state.snapshot = {...snapshot(), business: {...snapshot().business, avg_latency_ms: null, p99_latency_ms: null}}
    const g = await scrape(server)
    expect(valueOf(g, 'ordermon_transition_latency_milliseconds', {stat: 'avg'})).toBeNaN()
    expect(valueOf(g, 'ordermon_transition_latency_milliseconds', {stat: 'p99'})).toBeNaN()
    expect(valueOf(g, 'ordermon_open_orders')).toBe(42)
  })

  it('escapes label values: quotes, backslashes, newlines and unicode come back intact', async () => {
    const {state, source} = fakeSource()
    const rule = 'cpu "hot" \\ 温度 🔥\nsecond line, {braces}'
    state.alerts = [{rule, level: 'critical'}, {rule: 'plain', level: 'info'}]
    state.counters = {...state.counters, rejects_by_reason: {'price "outside" band': 3}}
    const server = await serve(source)
    const text = await (await fetch(server.url)).text()
    // One line per sample: the newline in the rule is escaped, not written.
    expect(text).toContain('rule="cpu \\"hot\\" \\\\ 温度 🔥\\nsecond line, {braces}"')
    const f = parseExposition(text)
    expect(valueOf(f, 'ordermon_alerts_firing', {rule, level: 'critical'})).toBe(1)
    expect(valueOf(f, 'ordermon_alerts_firing', {rule: 'plain', level: 'info'})).toBe(1)
    expect(valueOf(f, 'ordermon_order_rejects_total', {reason: 'price "outside" band'})).toBe(3)
  })

  it('answers 404 off its path, 405 to other methods, HEAD without a body, and honours a custom path', async () => {
    const {source} = fakeSource()
    const server = await serve(source, {path: '/prom'})
    const base = new URL(server.url)
    expect(base.pathname).toBe('/prom')

    const other = await fetch(new URL('/metrics', base))
    expect(other.status).toBe(404)
    expect(await other.text()).toBe('not found\n')
    expect((await fetch(new URL('/prom/extra', base))).status).toBe(404)

    const post = await fetch(server.url, {method: 'POST', body: 'x'})
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    await post.text()

    const head = await fetch(server.url, {method: 'HEAD'})
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')

    // A query string (Prometheus sends none, curl users might) does not change the path.
    expect((await fetch(`${server.url}?x=1`)).status).toBe(200)
  })

  it('answers 500 without internals when the source fails, and reports the error', async () => {
    const {state, source} = fakeSource()
    const errors: unknown[] = []
    const server = await serve(source, {onError: (e) => errors.push(e)})
    state.fail = true
    const res = await fetch(server.url)
    expect(res.status).toBe(500)
    const body = await res.text()
    expect(body).toBe('metrics unavailable\n')
    expect(body).not.toMatch(/secret|engine\.ts|at /)
    expect(errors).toHaveLength(1)
    expect((errors[0] as Error).message).toMatch(/secret internals/)
    // It recovers with the source.
    state.fail = false
    expect(valueOf(await scrape(server), 'ordermon_open_orders')).toBe(42)
  })

  it('refuses a port in use with a conflict error', async () => {
    const {source} = fakeSource()
    const first = await serve(source)
    const port = portOf(first)
    const e = await expectKind(serve(source, {port}), 'conflict', `Prometheus port ${port} on 127.0.0.1 is in use`)
    expect(e.hint).toMatch(/monitoring\.prometheus\.port/)
    // The first server is unharmed.
    expect((await fetch(first.url)).status).toBe(200)
  })

  it('close() ends open connections and frees the port for a new server', async () => {
    const {source} = fakeSource()
    const first = await serve(source)
    const port = portOf(first)
    await scrape(first) // leaves fetch's keep-alive connection open
    // A client that connected and sent nothing: without closeAllConnections() close() would wait for it.
    const idle: Socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => idle.once('connect', resolve).once('error', reject))
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()))

    await within(first.close(), 2_000, 'close()')
    await within(idleClosed, 2_000, 'the idle connection closing')
    await first.close() // a second close() is harmless

    const second = await serve(source, {port})
    expect(portOf(second)).toBe(port)
    expect(valueOf(await scrape(second), 'ordermon_active_users')).toBe(7)
  })

  it('keeps the same series over 1,000 scrapes, in a registry of its own', async () => {
    const {state, source} = fakeSource()
    const registry = prometheusRegistry(source)
    const server = await serve(source)
    const metricsBefore = registry.getMetricsAsArray().length
    const first = await scrape(server)
    const series = seriesCount(first)
    expect(series).toBeGreaterThan(PROMETHEUS_METRICS.length)

    for (let i = 0; i < 1_000; i += 10) {
      // Label sets come and go (one alert firing, one reject reason, each new): only the current ones stay.
      state.alerts = [{rule: `rule_${i}`, level: 'warning'}]
      state.counters = {...state.counters, rejects_by_reason: {[`reason_${i}`]: i, risk_limit: 9}}
      const batch = await Promise.all(Array.from({length: 10}, () => fetch(server.url).then((r) => r.text())))
      for (const text of batch) expect(text.length).toBeGreaterThan(0)
      await registry.metrics()
    }
    const last = await scrape(server)
    expect(seriesCount(last)).toBe(series)
    expect(last.get('ordermon_alerts_firing')!.samples).toEqual([{labels: {rule: 'rule_990', level: 'warning'}, value: 1}])
    expect([...last.keys()]).toEqual([...first.keys()])
    expect(registry.getMetricsAsArray().length).toBe(metricsBefore)
    expect(parseExposition(await registry.metrics()).size).toBe(PROMETHEUS_METRICS.length)
    // prom-client's global registry is never touched.
    expect(globalRegistry.getMetricsAsArray()).toHaveLength(0)
  })
})
