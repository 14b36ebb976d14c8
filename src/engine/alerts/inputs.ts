import type {Inputs} from '../domain/alerts/expression.js'
import {flattenSnapshot, type MetricsSnapshot} from '../metrics/snapshot.js'
import type {EngineInstance} from '../store/index.js'

export interface EngineHealth {
  /** The last database operation of a loop failed to connect, and no heartbeat has succeeded since. */
  dbFailed: boolean
  /** 'up' | 'down' | 'not_configured' */
  redis: 'up' | 'down' | 'not_configured'
  /** A loop failed since the last heartbeat. */
  degraded: boolean
}

/** What the engine's own rules read: its latest sample and what it knows of its connections. */
export function engineInputs(snapshot: MetricsSnapshot | undefined, health: EngineHealth): Inputs {
  return {
    ...(snapshot ? flattenSnapshot(snapshot) : {}),
    db_connection_failed: health.dbFailed,
    redis_connection_failed: health.redis === 'down',
    redis_status: health.redis,
    system_status: health.dbFailed ? 'down' : health.degraded || health.redis === 'down' ? 'degraded' : 'running',
    engine_running: true,
    engine_heartbeat_age_s: 0,
  }
}

export interface WatchedSystem {
  /** The database could not be reached (then nothing below it is known). */
  dbFailed: boolean
  redis: 'up' | 'down' | 'not_configured'
  /** The engine with the newest heartbeat, if any ever ran on this database. */
  newest?: EngineInstance
  /** A heartbeat older than this is a dead engine (engine.instance_ttl_ms). */
  ttlMs: number
}

/**
 * What a process other than the engine knows: whether the database and Redis answer, and how old
 * the newest engine heartbeat is. An engine that stopped cleanly (status `stopped`) is not dead:
 * `engine_heartbeat_age_s` is then missing, so the dead-man rule does not page for a planned stop,
 * and `system_status` says `stopped`.
 */
export function watcherInputs(w: WatchedSystem): Inputs {
  const n = w.newest
  const stoppedCleanly = n?.status === 'stopped'
  const ageS = n && !stoppedCleanly && n.heartbeat_age_ms !== null ? Math.round(n.heartbeat_age_ms / 100) / 10 : undefined
  const alive = ageS !== undefined && ageS * 1000 < w.ttlMs && n?.status !== 'failed'
  const lastError = (n?.info as {last_error?: string | null} | undefined)?.last_error
  const system = w.dbFailed ? 'down' : stoppedCleanly ? 'stopped' : !alive ? 'down' : lastError || w.redis === 'down' || n?.status === 'degraded' ? 'degraded' : 'running'
  return {
    db_connection_failed: w.dbFailed,
    redis_connection_failed: w.redis === 'down',
    redis_status: w.redis,
    system_status: system,
    engine_running: alive,
    engine_heartbeat_age_s: w.dbFailed ? undefined : ageS,
  }
}
