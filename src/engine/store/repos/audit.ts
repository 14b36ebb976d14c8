import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'

export interface AuditEntry {
  actor: string
  action: string
  target_type: string
  target?: string | null
  details?: Record<string, unknown>
  result?: 'ok' | 'error'
}

export interface AuditRecord extends AuditEntry {
  id: number
  at: string
}

export class AuditRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.knex('audit_log').insert({
      actor: entry.actor,
      action: entry.action,
      target_type: entry.target_type,
      target: entry.target ?? null,
      details: this.dialect.toJson(entry.details ?? null),
      result: entry.result ?? 'ok',
    })
  }

  /** Newest first: what was done to a target or by an actor. */
  async forTargetOrActor(targetType: string, target: string, actor: string, limit: number): Promise<AuditRecord[]> {
    const rows = await this.knex('audit_log')
      .where((q) => q.where({target_type: targetType, target}).orWhereIn('actor', [actor, `cli:${actor}`, `api:${actor}`]))
      .orderBy('id', 'desc')
      .limit(limit)
    return rows.map((r) => ({
      id: Number(r.id),
      at: this.dialect.toIso(r.at)!,
      actor: r.actor,
      action: r.action,
      target_type: r.target_type,
      target: r.target,
      details: this.dialect.fromJson(r.details, {}),
      result: r.result,
    }))
  }

  async count(): Promise<number> {
    const row = await this.knex('audit_log').count({n: '*'}).first()
    return Number(row?.n ?? 0)
  }
}
