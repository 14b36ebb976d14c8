import {summarize, type EngineSummary} from './engines.js'
import type {LoadedConfig} from '../config/index.js'
import type {MetricsSnapshot} from '../metrics/snapshot.js'
import {openDatabase, Store, type EngineInstance} from '../store/index.js'
import {checkHealth, type Health} from './health.js'

/**
 * The manual's system status (GET /api/v1/monitor/system/status): `system_status`, `uptime`,
 * `performance` and `business_metrics`, here from the health checks and the newest engine
 * heartbeat (which carries the engine's latest metrics sample), plus the checks themselves.
 */
export interface SystemStatus {
  /** healthy, degraded or down (the health check's verdict); `engine` says whether one runs. */
  system_status: Health['status']
  /** Seconds since the running engine started; 0 when none runs. */
  uptime: number
  performance: {cpu_usage: number | null; memory_usage: number | null; disk_usage: number | null; network_io: number | null}
  business_metrics: {
    active_users: number | null
    running_strategies: number | null
    pending_orders: number | null
    daily_trades: number | null
    system_tps: number | null
    average_latency: number | null
  }
  engine: {running: boolean; instance_id: string | null; heartbeat_age_s: number | null; status: string | null}
  /** Every live engine on the database (several when they share it: engine.sharing). */
  engines: EngineSummary[]
  checks: Health['checks']
  counts?: Health['counts']
}

const liveStatuses = ['starting', 'running', 'stopping']

export async function systemStatus(loaded: LoadedConfig): Promise<SystemStatus> {
  const health = await checkHealth(loaded, {counts: true})
  let newest: EngineInstance | undefined
  let engines: EngineSummary[] = []
  if (health.checks.find((c) => c.name === 'schema')?.ok) {
    const db = await openDatabase(loaded).catch(() => undefined)
    if (db) {
      const store = Store.over(db)
      newest = await store.instances.newest().catch(() => undefined)
      engines = (await store.instances.live(loaded.config.engine.instance_ttl_ms).catch(() => [])).map(summarize)
      await db.close()
    }
  }
  const running = Boolean(newest && liveStatuses.includes(newest.status) && (newest.heartbeat_age_ms ?? Infinity) < loaded.config.engine.instance_ttl_ms)
  const m = running ? ((newest!.info as {metrics?: MetricsSnapshot | null}).metrics ?? undefined) : undefined
  const business = m?.business
  const system = m?.system
  return {
    system_status: health.status,
    uptime: running ? Math.max(0, Math.round((Date.now() - Date.parse(newest!.started_at)) / 1000)) : 0,
    performance: {
      cpu_usage: system?.cpu_pct ?? null,
      memory_usage: system?.memory_pct ?? null,
      disk_usage: system?.disk_usage_pct ?? null,
      network_io: system ? system.net_rx_kb_s + system.net_tx_kb_s : null,
    },
    business_metrics: {
      active_users: business?.active_users ?? health.counts?.users.active ?? null,
      running_strategies: business?.running_strategies ?? health.counts?.strategies.running ?? null,
      pending_orders: business?.open_orders ?? (health.counts ? (health.counts.orders.pending ?? 0) + (health.counts.orders.partially_filled ?? 0) : null),
      daily_trades: business?.fills_today ?? null,
      system_tps: business?.tps ?? null,
      average_latency: business?.avg_latency_ms ?? null,
    },
    engine: {
      running,
      instance_id: newest?.instance_id ?? null,
      heartbeat_age_s: newest ? summarize(newest).heartbeat_age_s : null,
      status: newest?.status ?? null,
    },
    engines,
    checks: health.checks,
    counts: health.counts,
  }
}
