import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'

export const strategyTypes = ['momentum', 'arbitrage', 'grid', 'custom'] as const
export const strategyStatuses = ['running', 'paused', 'stopped', 'error'] as const
export type StrategyType = (typeof strategyTypes)[number]
export type StrategyStatus = (typeof strategyStatuses)[number]

export interface NewStrategyRow {
  strategy_id: string
  user_id: string
  name: string
  type: StrategyType
  status: StrategyStatus
  parameters: Record<string, unknown>
  risk_management: Record<string, unknown>
  schedule: Record<string, unknown> | null
}

export class StrategyRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async insert(row: NewStrategyRow): Promise<void> {
    await this.knex('strategies').insert({
      ...row,
      parameters: this.dialect.toJson(row.parameters),
      risk_management: this.dialect.toJson(row.risk_management),
      schedule: this.dialect.toJson(row.schedule),
      started_at: row.status === 'running' ? this.dialect.now(this.knex) : null,
    })
  }

  async exists(strategyId: string): Promise<boolean> {
    return Boolean(await this.knex('strategies').where({strategy_id: strategyId}).first('id'))
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: Array<{status: string; n: number | string}> = await this.knex('strategies').select('status').count({n: '*'}).groupBy('status')
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }
}
