import type {LoadedConfig} from '../config/index.js'
import {openDatabase, Store, type EngineInstance} from '../store/index.js'

/** One live engine on the database, as its heartbeat row says (`status`, `system status`). */
export interface EngineSummary {
  instance_id: string
  hostname: string
  pid: number
  status: string
  started_at: string
  heartbeat_age_s: number | null
  users: number | null
  strategies: number | null
  open_orders: number | null
  /** Shards held when engines share the database (engine.sharing); null for a lone engine. */
  shards: number | null
  leader: boolean | null
}

export function summarize(i: EngineInstance): EngineSummary {
  const info = i.info as {users?: number; strategies?: number; open_orders?: number; shards?: number | null; leader?: boolean | null}
  return {
    instance_id: i.instance_id,
    hostname: i.hostname,
    pid: i.pid,
    status: i.status,
    started_at: i.started_at,
    heartbeat_age_s: i.heartbeat_age_ms === null ? null : Math.round(i.heartbeat_age_ms / 100) / 10,
    users: info.users ?? null,
    strategies: info.strategies ?? null,
    open_orders: info.open_orders ?? null,
    shards: info.shards ?? null,
    leader: info.leader ?? null,
  }
}

/** Every engine whose heartbeat is younger than engine.instance_ttl_ms; [] when the database cannot be read. */
export async function listEngines(loaded: LoadedConfig): Promise<EngineSummary[]> {
  const db = await openDatabase(loaded).catch(() => undefined)
  if (!db) return []
  try {
    return (await Store.over(db).instances.live(loaded.config.engine.instance_ttl_ms)).map(summarize)
  } catch {
    return []
  } finally {
    await db.close()
  }
}
