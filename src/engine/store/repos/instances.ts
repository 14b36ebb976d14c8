import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'
import {SequenceRepo} from './sequences.js'

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
  /** How old the heartbeat is by the database's clock. */
  heartbeat_age_ms: number | null
}

export type InstanceRow = Omit<EngineInstance, 'started_at' | 'heartbeat_at' | 'heartbeat_age_ms'>

/** engine_instances: one row per engine, its heartbeat refreshed every second while it runs. */
export class InstanceRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async heartbeat(row: InstanceRow): Promise<void> {
    const values = {...row, info: this.dialect.toJson(row.info), heartbeat_at: this.dialect.now(this.knex)}
    await this.knex('engine_instances').insert(values).onConflict('instance_id').merge(['status', 'info', 'heartbeat_at'])
  }

  /** Asks live engines to stop (all, or those named): each sees it at its next heartbeat. Returns the ids asked. */
  async requestStop(ttlMs: number, ids?: readonly string[]): Promise<string[]> {
    const live = (await this.live(ttlMs)).map((i) => i.instance_id).filter((id) => !ids || ids.includes(id))
    if (live.length) await this.knex('engine_instances').whereIn('instance_id', live).update({stop_requested_at: this.dialect.now(this.knex)})
    return live
  }

  /** Whether a stop was asked for this engine (`ordermon stop --all` / `--instance`). */
  async stopRequested(instanceId: string): Promise<boolean> {
    const r = await this.knex('engine_instances').where({instance_id: instanceId}).first('stop_requested_at')
    return Boolean(r?.stop_requested_at)
  }

  /**
   * Claims the database for one engine: inside the caller's transaction, serialised by the
   * `engine.claim` counter's row lock (MySQL) or the write lock (SQLite), so two engines starting
   * at once cannot both see an empty field. Returns the live engines found instead of claiming,
   * or [] once this engine's row is written. `isGone` lets the caller discard rows of engines it
   * knows are dead (same host, pid gone) without waiting for their heartbeat to age. `blocks` says
   * which live engines stand in the way (every one, unless told: engines joining a shared database
   * are blocked only by one that runs alone).
   */
  async claim(row: InstanceRow, ttlMs: number, isGone: (i: EngineInstance) => boolean, blocks: (i: EngineInstance) => boolean = () => true): Promise<EngineInstance[]> {
    await new SequenceRepo(this.knex).allocate('engine.claim')
    const live = await this.live(ttlMs, row.instance_id)
    const gone = live.filter(isGone)
    if (gone.length) await this.knex('engine_instances').whereIn('instance_id', gone.map((i) => i.instance_id)).update({status: 'failed'})
    const others = live.filter((i) => !isGone(i) && blocks(i))
    if (others.length === 0) await this.heartbeat({...row, status: 'starting'})
    return others
  }

  /** Engines whose heartbeat is younger than `ttlMs` (by the database's clock), other than `exceptId`. */
  async live(ttlMs: number, exceptId?: string): Promise<EngineInstance[]> {
    const age = this.dialect.ageMsSql('heartbeat_at')
    const q = this.knex('engine_instances')
      .select('*', this.knex.raw(`${age} AS heartbeat_age_ms`))
      .whereIn('status', ['starting', 'running', 'stopping'])
      .whereNotNull('heartbeat_at')
      .whereRaw(`${age} < ?`, [ttlMs])
      .orderBy('started_at')
    if (exceptId) q.whereNot('instance_id', exceptId)
    return (await q).map((r) => this.toInstance(r))
  }

  /** The engine whose heartbeat is newest, whatever its status (the dead-man check reads it). */
  async newest(): Promise<EngineInstance | undefined> {
    const r = await this.knex('engine_instances').select('*', this.knex.raw(`${this.dialect.ageMsSql('heartbeat_at')} AS heartbeat_age_ms`)).whereNotNull('heartbeat_at').orderBy('heartbeat_at', 'desc').first()
    return r ? this.toInstance(r) : undefined
  }

  async find(instanceId: string): Promise<EngineInstance | undefined> {
    const r = await this.knex('engine_instances').select('*', this.knex.raw(`${this.dialect.ageMsSql('heartbeat_at')} AS heartbeat_age_ms`)).where({instance_id: instanceId}).first()
    return r ? this.toInstance(r) : undefined
  }

  /** Rows of engines stopped or dead for longer than `olderThanMs`: an engine restarted daily leaves one a day. */
  async pruneStopped(olderThanMs: number): Promise<number> {
    return this.knex('engine_instances')
      .where((q) => q.whereNotIn('status', ['starting', 'running', 'stopping']).orWhereNull('heartbeat_at').orWhereRaw(`${this.dialect.ageMsSql('heartbeat_at')} >= ?`, [olderThanMs]))
      .whereRaw(`${this.dialect.ageMsSql('updated_at')} >= ?`, [olderThanMs])
      .delete()
  }

  private toInstance(r: Record<string, any>): EngineInstance {
    return {
      instance_id: r.instance_id,
      hostname: r.hostname,
      pid: Number(r.pid),
      version: r.version,
      backend: r.backend,
      status: r.status,
      info: this.dialect.fromJson(r.info, {}),
      started_at: this.dialect.toIso(r.started_at)!,
      heartbeat_at: this.dialect.toIso(r.heartbeat_at),
      heartbeat_age_ms: r.heartbeat_age_ms === null || r.heartbeat_age_ms === undefined ? null : Math.max(0, Math.round(Number(r.heartbeat_age_ms))),
    }
  }
}
