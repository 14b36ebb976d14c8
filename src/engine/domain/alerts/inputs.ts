import {METRIC_NAMES, type MetricName} from '../../metrics/snapshot.js'

/**
 * What a value of an input can be, so a rule comparing it with something it can never be
 * (`cpu_usage == 'high'`, `system_status == 'dwon'`) is refused when loaded instead of never firing.
 */
export type InputType = {kind: 'number'} | {kind: 'boolean'} | {kind: 'string'; values: readonly string[]}

const number: InputType = {kind: 'number'}
const boolean: InputType = {kind: 'boolean'}

/** Every stored metric, with a line for `monitor alerts --inputs` and the README. A new metric without one fails to compile. */
const metricDescriptions: Record<MetricName, string> = {
  cpu_usage: 'CPU in use on the engine host, percent',
  memory_usage: 'memory in use on the engine host, percent',
  memory_used_mb: 'memory in use on the engine host, MB',
  memory_total_mb: 'memory of the engine host, MB',
  disk_read_kb_s: 'disk reads, KB/s',
  disk_write_kb_s: 'disk writes, KB/s',
  disk_io_pct: 'disk throughput against 100 MB/s, percent',
  net_rx_kb_s: 'network received, KB/s',
  net_tx_kb_s: 'network sent, KB/s',
  net_io_pct: 'network throughput against 1 Gbit/s, percent',
  disk_usage: 'space used on the filesystem of the logs and data, percent',
  active_users: 'users with status active',
  running_strategies: 'strategies with status running',
  pending_orders: 'open orders (pending or partially filled)',
  fills_today: 'fills since midnight',
  tps: 'order transitions per second',
  avg_latency_ms: 'mean order transition latency over the last second, ms (missing when there were none)',
  p99_latency_ms: '99th percentile order transition latency over the last second, ms (missing when there were none)',
  events_per_s: 'events published per second',
  error_rate: 'order transitions that were rejections or failed writes over the last 10 s, percent',
  db_pool_in_use: "database connections in use in the engine's pool",
  rss_mb: 'resident memory of the engine process, MB',
  heap_used_mb: 'JavaScript heap in use in the engine process, MB',
}

/** The inputs that are not metrics: connection and liveness facts. */
const otherInputs: readonly (readonly [name: string, type: InputType, description: string])[] = [
  ['redis_status', {kind: 'string', values: ['up', 'down', 'not_configured']}, "Redis as the reader sees it: 'up', 'down' or 'not_configured'"],
  ['db_connection_failed', boolean, 'the database cannot be reached'],
  ['redis_connection_failed', boolean, 'Redis is configured and cannot be reached'],
  // 'stopped' is only seen by a watcher: the newest engine shut down cleanly.
  ['system_status', {kind: 'string', values: ['running', 'degraded', 'down', 'stopped']}, "'running', 'degraded', 'down', or 'stopped' (the engine shut down cleanly)"],
  ['engine_heartbeat_age_s', number, 'seconds since the newest engine heartbeat (missing when no engine ever ran, or it stopped cleanly)'],
  ['engine_running', boolean, 'an engine heartbeat is fresh'],
]

/** Every name a condition may read, with its type and what it means: one list. */
export const ALERT_INPUTS: readonly {readonly name: string; readonly type: InputType; readonly description: string}[] = [
  ...METRIC_NAMES.map((name) => ({name, type: number, description: metricDescriptions[name]})),
  ...otherInputs.map(([name, type, description]) => ({name, type, description})),
]

export const ALERT_INPUT_NAMES: ReadonlySet<string> = new Set(ALERT_INPUTS.map((i) => i.name))

export const ALERT_INPUT_TYPES: ReadonlyMap<string, InputType> = new Map(ALERT_INPUTS.map((i) => [i.name, i.type]))

export function describeInput(name: string): string | undefined {
  return ALERT_INPUTS.find((i) => i.name === name)?.description
}

/**
 * What a process other than the engine can know without it. A rule reading the liveness ones
 * (WATCHER_OWNED) is evaluated by watchers only, so it may read nothing outside this set.
 */
export const WATCHER_INPUTS: ReadonlySet<string> = new Set(['db_connection_failed', 'redis_connection_failed', 'redis_status', 'system_status', 'engine_heartbeat_age_s', 'engine_running'])

/** Reading one of these makes a rule a watcher's: a dead engine cannot report itself. */
export const WATCHER_OWNED: ReadonlySet<string> = new Set(['engine_heartbeat_age_s', 'engine_running', 'system_status'])
