import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {Counter, Gauge, Registry} from 'prom-client'
import {conflict, invalidInput} from '../errors.js'
import type {LoopStats} from '../runtime/loop-scheduler.js'
import type {MetricsSnapshot} from './snapshot.js'

/** What the endpoint reads on each scrape; the engine answers from memory (nothing here queries). */
export interface PrometheusSource {
  /** Latest sample (undefined before the first). */
  snapshot(): MetricsSnapshot | undefined
  loops(): LoopStats[]
  /** Order counts by status as the engine monitors them (open ones) — plus totals it counted. */
  ordersByStatus(): Record<string, number>
  counters(): {
    events_total: number
    transitions_total: number
    fills_total: number
    rejects_by_reason: Record<string, number>
    alerts_raised_total: number
    notifications_failed_total: number
  }
  /** Age of the oldest unpublished event, or null without Redis. */
  relayLagMs(): number | null
  alertsFiring(): {rule: string; level: string}[]
  info(): {version: string; instance_id: string; backend: string}
}

export interface PrometheusServer {
  readonly url: string
  close(): Promise<void>
}

/** Everything one scrape reports, read from the source once so all series agree with each other. */
interface Reading {
  snapshot?: MetricsSnapshot
  loops: LoopStats[]
  orders: Record<string, number>
  counters: ReturnType<PrometheusSource['counters']>
  relayLagMs: number | null
  alerts: {rule: string; level: string}[]
  info: ReturnType<PrometheusSource['info']>
  nowMs: number
}

interface Sample {
  labels?: Record<string, string>
  value: number
}

interface MetricDef {
  name: string
  help: string
  type: 'gauge' | 'counter'
  labels?: readonly string[]
  samples(r: Reading): Sample[]
}

// Unknown reads as NaN (before the first sample, no latency in the interval, no relay): the convention
// of Prometheus summaries without observations, and a comparison with NaN never fires an alert, where
// a made-up 0 would.
const known = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v)
const one = (v: number | null | undefined): Sample[] => [{value: known(v)}]
const fromSnapshot = (pick: (s: MetricsSnapshot) => number | null | undefined) => (r: Reading) => one(r.snapshot && pick(r.snapshot))
const byLabel = (label: string, values: Record<string, number>): Sample[] =>
  Object.entries(values).map(([key, value]) => ({labels: {[label]: key}, value}))

/**
 * The table the registry is built from and the README prints. Names follow Prometheus conventions
 * (units as suffixes, `_total` for counters) except where the engine's own unit is kept: latencies in
 * milliseconds and usage in percent, the figures the panel, the alert rules and `metrics` show.
 */
const DEFS: MetricDef[] = [
  {name: 'ordermon_cpu_usage_percent', type: 'gauge', help: 'Host CPU usage, percent.', samples: fromSnapshot((s) => s.system.cpu_pct)},
  {name: 'ordermon_memory_usage_percent', type: 'gauge', help: 'Host memory in use, percent.', samples: fromSnapshot((s) => s.system.memory_pct)},
  {name: 'ordermon_disk_io_percent', type: 'gauge', help: 'Host disk throughput against 100 MB/s, percent.', samples: fromSnapshot((s) => s.system.disk_io_pct)},
  {name: 'ordermon_network_receive_kilobytes_per_second', type: 'gauge', help: 'Host network received, KB/s.', samples: fromSnapshot((s) => s.system.net_rx_kb_s)},
  {name: 'ordermon_network_transmit_kilobytes_per_second', type: 'gauge', help: 'Host network sent, KB/s.', samples: fromSnapshot((s) => s.system.net_tx_kb_s)},
  {name: 'ordermon_active_users', type: 'gauge', help: 'Active users the engine monitors.', samples: fromSnapshot((s) => s.business.active_users)},
  {name: 'ordermon_running_strategies', type: 'gauge', help: 'Running strategies the engine monitors.', samples: fromSnapshot((s) => s.business.running_strategies)},
  {name: 'ordermon_open_orders', type: 'gauge', help: 'Open orders (pending or partially filled) the engine monitors.', samples: fromSnapshot((s) => s.business.open_orders)},
  {name: 'ordermon_fills_today', type: 'gauge', help: 'Fills since midnight UTC.', samples: fromSnapshot((s) => s.business.fills_today)},
  {name: 'ordermon_transitions_per_second', type: 'gauge', help: 'Order transitions per second over the last 10 seconds.', samples: fromSnapshot((s) => s.business.tps)},
  {
    name: 'ordermon_transition_latency_milliseconds',
    type: 'gauge',
    help: 'Order transition latency over the last interval, milliseconds: mean (stat="avg") and 99th percentile (stat="p99").',
    labels: ['stat'],
    samples: (r) => [
      {labels: {stat: 'avg'}, value: known(r.snapshot?.business.avg_latency_ms)},
      {labels: {stat: 'p99'}, value: known(r.snapshot?.business.p99_latency_ms)},
    ],
  },
  {name: 'ordermon_events_per_second', type: 'gauge', help: 'Events applied per second over the last 10 seconds.', samples: fromSnapshot((s) => s.business.events_per_s)},
  // Totals are Counters set from the engine's own count on each scrape (reset, then inc by the total):
  // TYPE counter for rate(), the exact figure the engine holds, and no delta bookkeeping here to drift
  // or to go wrong if the engine's count restarts (Prometheus reads a decrease as a counter reset).
  {name: 'ordermon_events_total', type: 'counter', help: 'Events applied since the engine started.', samples: (r) => one(r.counters.events_total)},
  {name: 'ordermon_transitions_total', type: 'counter', help: 'Order transitions since the engine started.', samples: (r) => one(r.counters.transitions_total)},
  {name: 'ordermon_fills_total', type: 'counter', help: 'Fills since the engine started.', samples: (r) => one(r.counters.fills_total)},
  {name: 'ordermon_order_rejects_total', type: 'counter', help: 'Rejected orders since the engine started, by reason.', labels: ['reason'], samples: (r) => byLabel('reason', r.counters.rejects_by_reason)},
  {name: 'ordermon_orders', type: 'gauge', help: 'Orders the engine monitors, by status.', labels: ['status'], samples: (r) => byLabel('status', r.orders)},
  {name: 'ordermon_relay_lag_seconds', type: 'gauge', help: 'How long the newest event of the last batch waited for Redis, seconds (0 once caught up, NaN without Redis).', samples: (r) => one(r.relayLagMs === null ? null : r.relayLagMs / 1000)},
  {
    name: 'ordermon_loop_duration_seconds',
    type: 'gauge',
    help: 'Duration of the engine loop runs, seconds: the last run (stat="last") and the longest (stat="max").',
    labels: ['loop', 'stat'],
    samples: (r) => r.loops.flatMap((l) => [
      {labels: {loop: l.name, stat: 'last'}, value: l.last_ms / 1000},
      {labels: {loop: l.name, stat: 'max'}, value: l.max_ms / 1000},
    ]),
  },
  {name: 'ordermon_loop_runs_total', type: 'counter', help: 'Runs of each engine loop.', labels: ['loop'], samples: (r) => r.loops.map((l) => ({labels: {loop: l.name}, value: l.runs}))},
  {name: 'ordermon_loop_failures_total', type: 'counter', help: 'Failed runs of each engine loop.', labels: ['loop'], samples: (r) => r.loops.map((l) => ({labels: {loop: l.name}, value: l.failures}))},
  {name: 'ordermon_alerts_firing', type: 'gauge', help: 'Alerts firing now (1 per rule and level).', labels: ['rule', 'level'], samples: (r) => r.alerts.map((a) => ({labels: {rule: a.rule, level: a.level}, value: 1}))},
  {name: 'ordermon_alerts_raised_total', type: 'counter', help: 'Alerts raised since the engine started.', samples: (r) => one(r.counters.alerts_raised_total)},
  {name: 'ordermon_notifications_failed_total', type: 'counter', help: 'Alert notifications that failed after their retries.', samples: (r) => one(r.counters.notifications_failed_total)},
  {name: 'ordermon_process_resident_memory_bytes', type: 'gauge', help: 'Resident memory of the engine process, bytes (from the latest sample, MB precision).', samples: fromSnapshot((s) => s.process.rss_mb * 1_048_576)},
  {name: 'ordermon_info', type: 'gauge', help: 'The engine: version, instance id and database backend (value 1).', labels: ['version', 'instance_id', 'backend'], samples: ({info}) => [{labels: {version: info.version, instance_id: info.instance_id, backend: info.backend}, value: 1}]},
  {
    name: 'ordermon_uptime_seconds',
    type: 'gauge',
    help: 'Seconds since the engine started.',
    samples: (r) => {
      const started = r.snapshot?.started_at ? Date.parse(r.snapshot.started_at) : NaN
      return one(Number.isNaN(started) ? null : Math.max(0, (r.nowMs - started) / 1000))
    },
  },
]

/** Every metric the endpoint exposes, with its HELP text and labels (the README prints this). */
export const PROMETHEUS_METRICS: {name: string; help: string; type: 'gauge' | 'counter'; labels?: readonly string[]}[] = DEFS.map(({name, help, type, labels}) =>
  labels ? {name, help, type, labels} : {name, help, type},
)

function read(source: PrometheusSource): Reading {
  return {
    snapshot: source.snapshot(),
    loops: source.loops(),
    orders: source.ordersByStatus(),
    counters: source.counters(),
    relayLagMs: source.relayLagMs(),
    alerts: source.alertsFiring(),
    info: source.info(),
    nowMs: Date.now(),
  }
}

/**
 * A registry of its own (never prom-client's global one) whose metrics read `source` when scraped:
 * nothing runs per tick. Each metric is reset before it is filled, so a series that disappears (an
 * alert resolved, a reject reason no longer counted) disappears from the scrape too, and the number of
 * series is what the source holds, however many scrapes.
 */
export function prometheusRegistry(source: PrometheusSource): Registry {
  const registry = new Registry()
  // prom-client collects every metric in one synchronous pass per scrape: the first collect() reads the
  // source, the others reuse that reading, dropped once the pass is over.
  let reading: Reading | undefined
  const current = (): Reading => {
    if (!reading) {
      reading = read(source)
      queueMicrotask(() => (reading = undefined))
    }
    return reading
  }
  for (const def of DEFS) {
    const config = {name: def.name, help: def.help, labelNames: def.labels ? [...def.labels] : [], registers: [registry]}
    if (def.type === 'gauge') {
      new Gauge({
        ...config,
        collect() {
          this.reset()
          for (const s of def.samples(current())) this.set(s.labels ?? {}, s.value)
        },
      })
    } else {
      new Counter({
        ...config,
        collect() {
          this.reset()
          // A counter cannot go negative (prom-client throws, failing the whole scrape): a bad figure is left out.
          for (const s of def.samples(current())) if (Number.isFinite(s.value) && s.value >= 0) this.inc(s.labels ?? {}, s.value)
        },
      })
    }
  }
  return registry
}

/**
 * Serves the registry over HTTP at `path` (GET and HEAD), for Prometheus to scrape. Port 0 picks a free
 * one (tests). A port in use is a conflict error; close() ends open connections and resolves once the
 * port is free again.
 */
export async function startPrometheus(options: {
  host: string
  port: number
  path?: string
  source: PrometheusSource
  /** A scrape that failed (the reason is not sent to the client). */
  onError?: (error: unknown) => void
}): Promise<PrometheusServer> {
  const path = options.path ?? '/metrics'
  const registry = prometheusRegistry(options.source)
  const server = createServer((req, res) => void respond(req, res))
  // Prometheus scrapes every 15 s or so: a keep-alive connection would only idle in between.
  server.keepAliveTimeout = 1_000
  server.headersTimeout = 5_000
  server.requestTimeout = 10_000

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? '').split('?')[0]
    if (pathname !== path) return send(res, 404, 'not found\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', {allow: 'GET, HEAD'})
    try {
      const body = await registry.metrics()
      // Node leaves the body out of a HEAD response itself.
      send(res, 200, body, {'content-type': registry.contentType})
    } catch (error) {
      options.onError?.(error)
      send(res, 500, 'metrics unavailable\n')
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(bindError(error, options.host, options.port)))
    server.listen(options.port, options.host, () => resolve())
  })
  server.removeAllListeners('error')
  // After listening, a server error (rare: fd exhaustion) is reported, not thrown into the engine.
  server.on('error', (error) => options.onError?.(error))

  const {port} = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}${path}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Idle keep-alive connections (and a scrape in flight) would otherwise hold close() open.
        server.closeAllConnections()
      })
      return closing
    },
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': String(Buffer.byteLength(body))})
  res.end(body)
}

function bindError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const hint = 'Stop what uses it, or set monitoring.prometheus.port (and .host) to a free one.'
  if (error.code === 'EADDRINUSE') return conflict(`Prometheus port ${port} on ${host} is in use`, hint, {host, port})
  if (error.code === 'EACCES') return invalidInput(`Prometheus port ${port} on ${host} cannot be bound: permission denied`, 'Use a port above 1023.', {host, port})
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
    return invalidInput(`Prometheus host ${host} is not an address of this machine`, 'Set monitoring.prometheus.host to 127.0.0.1, 0.0.0.0 or an address of this machine.', {host, port})
  return error
}
