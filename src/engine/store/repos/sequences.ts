import type {Knex} from 'knex'

/** Named counters behind the human-readable ids. */
export class SequenceRepo {
  constructor(private readonly knex: Knex) {}

  /**
   * Reserves `count` consecutive values and returns the first. Must run inside a transaction so the
   * upsert's row lock (MySQL) or the write lock (SQLite) covers the read-back.
   */
  async allocate(name: string, count = 1): Promise<number> {
    await this.knex('sequences')
      .insert({name, value: count})
      .onConflict('name')
      .merge({value: this.knex.raw('?? + ?', ['sequences.value', count])})
    const row = await this.knex('sequences').where({name}).first('value')
    return Number(row.value) - count + 1
  }

  /** Moves a counter forward past ids that were given explicitly (never backwards). */
  async ensureAtLeast(name: string, value: number): Promise<void> {
    await this.knex('sequences').insert({name, value}).onConflict('name').merge({
      value: this.knex.raw('CASE WHEN ?? < ? THEN ? ELSE ?? END', ['sequences.value', value, value, 'sequences.value']),
    })
  }
}
