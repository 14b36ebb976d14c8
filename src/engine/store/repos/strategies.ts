import type {Knex} from 'knex'
import type {StrategyStatus, StrategyType} from '../../domain/statuses.js'
import type {Dialect} from '../dialect.js'
import {inShards, type ShardScope} from '../shard-scope.js'

export interface Strategy {
  strategy_id: string
  user_id: string
  name: string
  type: StrategyType
  status: StrategyStatus
  parameters: Record<string, unknown>
  risk_management: Record<string, unknown>
  schedule: Record<string, unknown> | null
  module_path: string | null
  /** Who last set module_path (cli, api, engine); the engine confines what came through the API. */
  module_origin?: 'cli' | 'api' | 'engine' | null
  status_reason: string | null
  version: number
  created_at: string
  updated_at: string
  started_at: string | null
  stopped_at: string | null
}

export type NewStrategyRow = Pick<Strategy, 'strategy_id' | 'user_id' | 'name' | 'type' | 'status' | 'parameters' | 'risk_management' | 'schedule'> & {
  module_path?: string | null
  module_origin?: 'cli' | 'api' | 'engine' | null
}

export interface StrategyPatch {
  name?: string
  status?: StrategyStatus
  status_reason?: string | null
  parameters?: Record<string, unknown>
  risk_management?: Record<string, unknown>
  schedule?: Record<string, unknown> | null
  module_path?: string | null
  module_origin?: 'cli' | 'api' | 'engine' | null
  started?: boolean
  stopped?: boolean
}

export interface StrategyFilter {
  user_id?: string
  status?: StrategyStatus
  type?: StrategyType
  limit: number
  offset: number
}

export class StrategyRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  private toStrategy(r: Record<string, unknown>): Strategy {
    return {
      strategy_id: String(r.strategy_id),
      user_id: String(r.user_id),
      name: String(r.name),
      type: r.type as StrategyType,
      status: r.status as StrategyStatus,
      parameters: this.dialect.fromJson(r.parameters, {}),
      risk_management: this.dialect.fromJson(r.risk_management, {}),
      schedule: this.dialect.fromJson(r.schedule, null),
      module_path: (r.module_path as string) ?? null,
      module_origin: (r.module_origin as Strategy['module_origin']) ?? null,
      status_reason: (r.status_reason as string) ?? null,
      version: Number(r.version),
      created_at: this.dialect.toIso(r.created_at)!,
      updated_at: this.dialect.toIso(r.updated_at)!,
      started_at: this.dialect.toIso(r.started_at),
      stopped_at: this.dialect.toIso(r.stopped_at),
    }
  }

  async insert(row: NewStrategyRow): Promise<void> {
    await this.knex('strategies').insert({
      ...row,
      module_path: row.module_path ?? null,
      module_origin: row.module_origin ?? null,
      parameters: this.dialect.toJson(row.parameters),
      risk_management: this.dialect.toJson(row.risk_management),
      schedule: this.dialect.toJson(row.schedule),
      started_at: row.status === 'running' ? this.dialect.now(this.knex) : null,
      ...this.dialect.touch(this.knex),
    })
  }

  async find(strategyId: string): Promise<Strategy | undefined> {
    const r = await this.knex('strategies').where({strategy_id: strategyId}).first()
    return r ? this.toStrategy(r) : undefined
  }

  async findForUpdate(strategyId: string): Promise<Strategy | undefined> {
    const r = await this.dialect.forUpdate(this.knex('strategies').where({strategy_id: strategyId})).first()
    return r ? this.toStrategy(r) : undefined
  }

  async exists(strategyId: string): Promise<boolean> {
    return Boolean(await this.knex('strategies').where({strategy_id: strategyId}).first('id'))
  }

  async countForUser(userId: string): Promise<number> {
    const [{n}] = await this.knex('strategies').where({user_id: userId}).count({n: '*'})
    return Number(n)
  }

  async list(f: StrategyFilter): Promise<{total: number; strategies: Strategy[]}> {
    const base = this.knex('strategies').where((q) => {
      if (f.user_id) q.where('user_id', f.user_id)
      if (f.status) q.where('status', f.status)
      if (f.type) q.where('type', f.type)
    })
    const [{n}] = await base.clone().count({n: '*'})
    const rows = await base.clone().orderBy('id').limit(f.limit).offset(f.offset)
    return {total: Number(n), strategies: rows.map((r) => this.toStrategy(r))}
  }

  /** Updates and bumps the version; `started`/`stopped` stamp the matching time column. */
  async update(strategyId: string, patch: StrategyPatch): Promise<number> {
    const {started, stopped, parameters, risk_management, schedule, ...rest} = patch
    const cols: Record<string, unknown> = {...rest, version: this.knex.raw('?? + 1', ['version']), ...this.dialect.touch(this.knex)}
    if (parameters !== undefined) cols.parameters = this.dialect.toJson(parameters)
    if (risk_management !== undefined) cols.risk_management = this.dialect.toJson(risk_management)
    if (schedule !== undefined) cols.schedule = this.dialect.toJson(schedule)
    if (started) cols.started_at = this.dialect.now(this.knex)
    if (stopped) cols.stopped_at = this.dialect.now(this.knex)
    for (const k of Object.keys(cols)) if (cols[k] === undefined) delete cols[k]
    return this.knex('strategies').where({strategy_id: strategyId}).update(cols)
  }

  async delete(strategyId: string): Promise<number> {
    return this.knex('strategies').where({strategy_id: strategyId}).delete()
  }

  /** Running strategies of the given users (or all), of the scope's shards only when given. */
  async running(userIds: string[] | 'all', scope?: ShardScope): Promise<Strategy[]> {
    const q = this.knex('strategies').where('status', 'running')
    if (userIds !== 'all') q.whereIn('user_id', userIds)
    return (await inShards(q, 'user_id', scope)).map((r) => this.toStrategy(r))
  }

  async findMany(ids: string[]): Promise<Strategy[]> {
    if (ids.length === 0) return []
    return (await this.knex('strategies').whereIn('strategy_id', ids)).map((r) => this.toStrategy(r))
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: Array<{status: string; n: number | string}> = await this.knex('strategies').select('status').count({n: '*'}).groupBy('status')
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }
}
