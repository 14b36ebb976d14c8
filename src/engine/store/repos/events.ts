import type {Knex} from 'knex'
import {insertChunked, type Dialect} from '../dialect.js'

/** A state change as written to the outbox (`events`) in the same transaction as the change. */
export interface NewEvent {
  type: string
  entity_type: 'user' | 'strategy' | 'order' | 'alert' | 'system'
  entity_id: string
  user_id?: string | null
  payload?: Record<string, unknown>
  source?: 'engine' | 'cli' | 'api' | 'sql'
}

export interface StoredEvent extends Required<Omit<NewEvent, 'payload'>> {
  id: number
  payload: Record<string, unknown>
  created_at: string
}

export class EventRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async append(events: NewEvent | NewEvent[]): Promise<void> {
    const list = Array.isArray(events) ? events : [events]
    if (list.length === 0) return
    await insertChunked(
      this.knex,
      'events',
      list.map((e) => ({
        type: e.type,
        entity_type: e.entity_type,
        entity_id: e.entity_id,
        user_id: e.user_id ?? null,
        payload: this.dialect.toJson(e.payload ?? {}),
        source: e.source ?? 'engine',
      })),
    )
  }

  /** Events after an id, oldest first: the outbox relay's and the embedded live feed's read. */
  async after(id: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.knex('events').where('id', '>', id).orderBy('id').limit(limit)
    return rows.map((r) => this.toEvent(r))
  }

  private toEvent(r: Record<string, any>): StoredEvent {
    return {
      id: Number(r.id),
      type: r.type,
      entity_type: r.entity_type,
      entity_id: r.entity_id,
      user_id: r.user_id,
      payload: this.dialect.fromJson(r.payload, {}),
      source: r.source,
      created_at: this.dialect.toIso(r.created_at)!,
    }
  }

  /** How far a named reader (the Redis relay, a detector watermark) has got. */
  async offset(name: string): Promise<number> {
    const row = await this.knex('relay_offsets').where({name}).first('last_event_id')
    return row ? Number(row.last_event_id) : 0
  }

  /** The newest events, newest first; `type` filters to one type, `exceptType` leaves one out. */
  async recent(limit: number, filter: {type?: string; exceptType?: string} = {}): Promise<StoredEvent[]> {
    const q = this.knex('events').orderBy('id', 'desc').limit(limit)
    if (filter.type) q.where('type', filter.type)
    if (filter.exceptType) q.whereNot('type', filter.exceptType)
    return (await q).map((r) => this.toEvent(r))
  }

  async byIds(ids: number[]): Promise<StoredEvent[]> {
    if (ids.length === 0) return []
    const rows = await this.knex('events').whereIn('id', ids).orderBy('id')
    return rows.map((r) => this.toEvent(r))
  }

  /** Every named reader's position and when it last wrote it (a live reader touches it regularly). */
  async readers(): Promise<{name: string; position: number; idle_ms: number}[]> {
    const rows = await this.knex('relay_offsets').select('name', 'last_event_id', this.knex.raw(`${this.dialect.ageMsSql('updated_at')} AS idle_ms`))
    return rows.map((r) => ({name: r.name, position: Number(r.last_event_id), idle_ms: Math.max(0, Math.round(Number(r.idle_ms)))}))
  }

  async dropReader(name: string): Promise<void> {
    await this.knex('relay_offsets').where({name}).delete()
  }

  /**
   * Deletes one small batch of old events: ids up to `upTo` (what every reader has passed) and
   * created before `before`. Starts at the oldest row, so each call is one short indexed range
   * delete whatever the table's size. Returns the rows deleted (0: nothing more to prune).
   */
  async pruneBatch(upTo: number, before: Date, batch: number): Promise<number> {
    const oldest = await this.knex('events').orderBy('id').first('id', 'created_at')
    if (!oldest || Number(oldest.id) > upTo) return 0
    if (Date.parse(this.dialect.toIso(oldest.created_at)!) >= before.getTime()) return 0
    const first = Number(oldest.id)
    return this.knex('events')
      .where('id', '>=', first)
      .where('id', '<', first + batch)
      .where('id', '<=', upTo)
      .where('created_at', '<', this.dialect.toDb(before))
      .delete()
  }

  async hasOffset(name: string): Promise<boolean> {
    return Boolean(await this.knex('relay_offsets').where({name}).first('name'))
  }

  async setOffset(name: string, value: number): Promise<void> {
    // updated_at is set even when the position is unchanged: it says the reader is alive (MySQL's
    // ON UPDATE would not move it for an unchanged row).
    await this.knex('relay_offsets').insert({name, last_event_id: value}).onConflict('name').merge({last_event_id: value, updated_at: this.dialect.now(this.knex)})
  }

  async maxId(): Promise<number> {
    const row = await this.knex('events').max({m: 'id'}).first()
    return Number(row?.m ?? 0)
  }

  async forEntity(entityType: string, entityId: string): Promise<StoredEvent[]> {
    const rows = await this.knex('events').where({entity_type: entityType, entity_id: entityId}).orderBy('id')
    return rows.map((r) => ({...r, id: Number(r.id), payload: this.dialect.fromJson(r.payload, {}), created_at: this.dialect.toIso(r.created_at)!}))
  }
}
