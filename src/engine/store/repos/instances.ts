import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'

export interface EngineInstance {
  instance_id: string
  hostname: string
  pid: number
  version: string
  backend: string
  status: string
  info: Record<string, unknown>
  started_at: string
  heartbeat_at: string | null
}

/** engine_instances: one row per engine, its heartbeat refreshed every second while it runs. */
export class InstanceRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async heartbeat(row: Omit<EngineInstance, 'started_at' | 'heartbeat_at'>): Promise<void> {
    const values = {...row, info: this.dialect.toJson(row.info), heartbeat_at: this.dialect.now(this.knex)}
    await this.knex('engine_instances').insert(values).onConflict('instance_id').merge(['status', 'info', 'heartbeat_at'])
  }

  /** Instances whose heartbeat is younger than `maxAgeMs`, other than `exceptId`. */
  async alive(maxAgeMs: number, exceptId?: string): Promise<EngineInstance[]> {
    const since = this.dialect.toDb(new Date(Date.now() - maxAgeMs))
    const q = this.knex('engine_instances').whereIn('status', ['starting', 'running']).where('heartbeat_at', '>=', since)
    if (exceptId) q.whereNot('instance_id', exceptId)
    return (await q).map((r) => ({
      ...r,
      pid: Number(r.pid),
      info: this.dialect.fromJson(r.info, {}),
      started_at: this.dialect.toIso(r.started_at)!,
      heartbeat_at: this.dialect.toIso(r.heartbeat_at),
    }))
  }
}
