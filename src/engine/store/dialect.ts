import type {Knex} from 'knex'

/**
 * Every difference between MySQL/MariaDB and SQLite lives here, so repositories and migrations read
 * the same on both.
 *
 * Time: MySQL stores TIMESTAMP(3) (an instant, UTC on our sessions) and maintains updated_at with
 * ON UPDATE; SQLite has no time type, so we store 'YYYY-MM-DD HH:MM:SS.SSS' UTC text (sortable,
 * readable in the sqlite3 shell) and a trigger maintains updated_at.
 */
export type DbClient = 'mysql' | 'sqlite'

const SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f','now')"

export class Dialect {
  constructor(readonly client: DbClient) {}

  /** SQL expression for the current time with millisecond precision. */
  nowSql(): string {
    return this.client === 'mysql' ? 'CURRENT_TIMESTAMP(3)' : SQLITE_NOW
  }

  now(knex: Knex): Knex.Raw {
    return knex.raw(this.nowSql())
  }

  /**
   * Columns every ordermon write to users, strategies and orders sets: both timestamps to the same
   * instant (the expression is evaluated once per statement), which marks the change as ours.
   */
  touch(knex: Knex): {updated_at: Knex.Raw; synced_at: Knex.Raw} {
    return {updated_at: knex.raw(this.touchSql()), synced_at: knex.raw(this.touchSql())}
  }

  /** The instant a write to a watched table stamps: microseconds on MySQL (see the migration). */
  touchSql(): string {
    return this.client === 'mysql' ? 'CURRENT_TIMESTAMP(6)' : SQLITE_NOW
  }

  /**
   * Milliseconds from a timestamp column to the database's clock. Staleness is judged by the
   * database's time, so engines on hosts with skewed clocks agree on which heartbeat is old.
   */
  ageMsSql(column: string): string {
    return this.client === 'mysql' ? `(TIMESTAMPDIFF(MICROSECOND, ${column}, CURRENT_TIMESTAMP(3)) / 1000)` : `((julianday('now') - julianday(${column})) * 86400000.0)`
  }

  /** The SQL condition of a row changed outside ordermon. */
  readonly dirtySql = '(synced_at IS NULL OR updated_at <> synced_at)'

  /**
   * Rows changed outside ordermon, as SQL: MySQL reads the indexed generated column `dirty`; SQLite
   * the same condition, which its partial index covers (see the migration index_outside_changes).
   */
  get dirtyCondition(): string {
    return this.client === 'mysql' ? 'dirty = 1' : this.dirtySql
  }

  whereDirty(q: Knex.QueryBuilder): Knex.QueryBuilder {
    return q.whereRaw(this.dirtyCondition)
  }

  /**
   * `table` read through the named index on MySQL (FORCE INDEX), so a plan cannot drift with the
   * statistics into a scan that would also lock what it passes; SQLite picks its index well by itself.
   */
  tableVia(knex: Knex, table: string, index: string): Knex.Raw | string {
    return this.client === 'mysql' ? knex.raw('?? FORCE INDEX (??)', [table, index]) : table
  }

  /** The rows of a knex.raw() SELECT: mysql2 answers [rows, fields], better-sqlite3 the rows. */
  rawRows<T = Record<string, unknown>>(result: unknown): T[] {
    return (this.client === 'mysql' ? (result as [T[]])[0] : result) as T[]
  }

  /**
   * Locks the selected rows until the transaction ends on MySQL. SQLite has no row locks and needs
   * none: its transactions take the database's write lock (see lockWritersAtBegin).
   */
  /** A shared row lock (MySQL): writers of the row wait until this transaction ends. SQLite's write lock already serialises. */
  forShare<Q extends Knex.QueryBuilder>(q: Q): Q {
    return this.client === 'mysql' ? (q.forShare() as Q) : q
  }

  /** SQL for the database's clock plus a number of milliseconds (one binding), as a stored timestamp. */
  nowPlusMsSql(): string {
    return this.client === 'mysql' ? 'CURRENT_TIMESTAMP(3) + INTERVAL (? * 1000) MICROSECOND' : `strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', ? / 1000.0))`
  }

  forUpdate<Q extends Knex.QueryBuilder>(q: Q): Q {
    return this.client === 'mysql' ? (q.forUpdate() as Q) : q
  }

  /**
   * SQLite in WAL mode: a transaction that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT,
   * the busy timeout does not apply) if another connection — the engine, the CLI — committed in
   * between. Taking the write lock first makes it wait its turn instead; the store also retries a
   * busy error that still gets through (the whole transaction rolled back, so running it again is safe).
   */
  get lockWritersAtBegin(): boolean {
    return this.client === 'sqlite'
  }

  /** The first statement of such a transaction: a no-op write, which takes the write lock. */
  async takeWriteLock(trx: Knex.Transaction): Promise<void> {
    await trx.raw('UPDATE sequences SET value = value WHERE 0')
  }

  /** A JS Date as a value this database stores in a timestamp column. */
  toDb(date: Date): Date | string {
    return this.client === 'mysql' ? date : date.toISOString().replace('T', ' ').replace('Z', '')
  }

  /** A timestamp column value as an ISO-8601 UTC string (or null). */
  toIso(value: unknown): string | null {
    if (value === null || value === undefined) return null
    if (value instanceof Date) return value.toISOString()
    const s = String(value)
    // 'YYYY-MM-DD HH:MM:SS[.f...]' (both databases' text, UTC): milliseconds exactly, as toISOString
    // gives them, whatever the column's precision (some are microseconds; the rest is cut, not rounded).
    if (s.length >= 19 && s[10] === ' ') return `${s.slice(0, 10)}T${s.slice(11, 19)}.${s.length > 20 ? s.slice(20, 23).padEnd(3, '0') : '000'}Z`
    return s.includes('T') ? s : `${s.replace(' ', 'T')}Z`
  }

  /** JSON columns come back as text on SQLite and on MariaDB (where JSON is LONGTEXT). */
  fromJson<T>(value: unknown, fallback: T): T {
    if (value === null || value === undefined || value === '') return fallback
    if (typeof value !== 'string') return value as T
    try {
      return JSON.parse(value) as T
    } catch {
      return fallback
    }
  }

  toJson(value: unknown): string | null {
    return value === undefined || value === null ? null : JSON.stringify(value)
  }

  /**
   * Escapes LIKE wildcards so a search for "50%" or "a_b" matches literally. The escape character is
   * '!' because a backslash means different things in MySQL and SQLite string literals.
   */
  likeContains(term: string): string {
    return `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`
  }

  /** `column LIKE ? ESCAPE '!'` for a pattern made by likeContains. */
  readonly likeSql = "?? LIKE ? ESCAPE '!'"

  /**
   * One UPDATE setting different values per row: a derived table of the new values joined on `key`.
   * (CASE per column would be quadratic in the batch size.) MySQL spells it UPDATE ... JOIN, SQLite
   * UPDATE ... FROM. `extra` is raw SQL assignments applied to every row (e.g. timestamps).
   */
  bulkUpdateSql(table: string, key: string, columns: readonly string[], rows: number, extra: string): string {
    const first = `SELECT ? AS ${key}, ${columns.map((c) => `? AS ${c}`).join(', ')}`
    const more = ` UNION ALL SELECT ${['?', ...columns.map(() => '?')].join(', ')}`
    const values = first + more.repeat(rows - 1)
    if (this.client === 'mysql')
      return `UPDATE ${table} AS t JOIN (${values}) AS v ON t.${key} = v.${key} SET ${columns.map((c) => `t.${c} = v.${c}`).join(', ')}, ${extra.replace(/(\w+) =/g, 't.$1 =')}`
    return `UPDATE ${table} SET ${columns.map((c) => `${c} = v.${c}`).join(', ')}, ${extra} FROM (${values}) AS v WHERE ${table}.${key} = v.${key}`
  }

  /**
   * The start of the `stepS`-second bucket holding a timestamp column, as whole Unix seconds (metric
   * rollups). MySQL: UNIX_TIMESTAMP of a TIMESTAMP column is its stored instant, whatever the session
   * zone, and `/` is not integer division (DIV is); SQLite: strftime('%s') of our UTC text.
   */
  bucketEpochSql(column: string, stepS: number): string {
    const step = wholeNumber(stepS, 1, 31_622_400, 'bucket step')
    return this.client === 'mysql' ? `((FLOOR(UNIX_TIMESTAMP(${column})) DIV ${step}) * ${step})` : `((CAST(strftime('%s', ${column}) AS INTEGER) / ${step}) * ${step})`
  }

  /**
   * The calendar day ('YYYY-MM-DD') of a timestamp column, `offsetMinutes` east of UTC (0: the UTC
   * day). MySQL reads TIMESTAMPs in the session's zone, UTC on our sessions (see connection.ts).
   */
  daySql(column: string, offsetMinutes = 0): string {
    const m = wholeNumber(offsetMinutes, -14 * 60, 14 * 60, 'day offset')
    if (this.client === 'mysql') return m === 0 ? `DATE_FORMAT(${column}, '%Y-%m-%d')` : `DATE_FORMAT(${column} + INTERVAL ${m} MINUTE, '%Y-%m-%d')`
    return m === 0 ? `substr(${column}, 1, 10)` : `strftime('%Y-%m-%d', ${column}, '${m >= 0 ? '+' : ''}${m} minutes')`
  }
}

/** Numbers spliced into SQL text (not bound: they sit inside expressions) are checked integers. */
function wholeNumber(n: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} must be a whole number ${min}..${max}, not ${n}`)
  return n
}

/** Column helpers for migrations: timestamps and the updated_at maintenance that raw SQL also gets. */
export const schema = {
  createdAt(knex: Knex, t: Knex.CreateTableBuilder, client: DbClient, name = 'created_at'): void {
    if (client === 'mysql') t.specificType(name, 'TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)')
    else t.text(name).notNullable().defaultTo(knex.raw(`(${SQLITE_NOW})`))
  },

  updatedAt(knex: Knex, t: Knex.CreateTableBuilder, client: DbClient): void {
    if (client === 'mysql') t.specificType('updated_at', 'TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)')
    else t.text('updated_at').notNullable().defaultTo(knex.raw(`(${SQLITE_NOW})`))
  },

  nullableTime(t: Knex.CreateTableBuilder, client: DbClient, name: string): void {
    if (client === 'mysql') t.specificType(name, 'TIMESTAMP(3) NULL DEFAULT NULL')
    else t.text(name).nullable()
  },

  /**
   * SQLite has no ON UPDATE: a trigger stamps updated_at after any UPDATE that did not set it itself
   * (recursive triggers are off, so the inner UPDATE does not fire it again).
   */
  async addUpdatedAtTrigger(knex: Knex, client: DbClient, table: string): Promise<void> {
    if (client !== 'sqlite') return
    await knex.raw(
      `CREATE TRIGGER trg_${table}_updated_at AFTER UPDATE ON ${table} FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at ` +
        `BEGIN UPDATE ${table} SET updated_at = ${SQLITE_NOW} WHERE rowid = NEW.rowid; END`,
    )
  },

  /**
   * For users, strategies and orders: an UPDATE that sets neither updated_at nor synced_at (raw SQL
   * from outside) gets updated_at stamped and synced_at cleared, which marks the row dirty for the
   * change detector even within the same millisecond as the previous write.
   */
  async addWatchedTrigger(knex: Knex, table: string): Promise<void> {
    await knex.raw(
      `CREATE TRIGGER trg_${table}_updated_at AFTER UPDATE ON ${table} FOR EACH ROW ` +
        `WHEN NEW.updated_at IS OLD.updated_at AND NEW.synced_at IS OLD.synced_at ` +
        `BEGIN UPDATE ${table} SET updated_at = ${SQLITE_NOW}, synced_at = NULL WHERE rowid = NEW.rowid; END`,
    )
  },

  async dropUpdatedAtTrigger(knex: Knex, client: DbClient, table: string): Promise<void> {
    if (client === 'sqlite') await knex.raw(`DROP TRIGGER IF EXISTS trg_${table}_updated_at`)
  },
}

/**
 * Rows per INSERT: SQLite builds a multi-row insert as a compound SELECT, capped at 500 terms, and
 * MySQL caps a packet; 400 rows stays under both for every table here.
 */
export const INSERT_CHUNK = 400

/**
 * Rows per multi-row statement on each database. MySQL/MariaDB take far more than SQLite's 500
 * terms: 2,000 rows of the widest row here (an events row, ~0.5 KB) is ~1 MB, well under the 16 MB
 * max_allowed_packet default (64 MB on MySQL 8), and a 5,000-transition batch makes 3 statements
 * per table instead of 13.
 */
export function chunkRows(client: DbClient): number {
  return client === 'mysql' ? 2000 : INSERT_CHUNK
}

export async function insertChunked(knex: Knex, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const chunk = chunkRows(clientOf(knex))
  for (let i = 0; i < rows.length; i += chunk) await knex(table).insert(rows.slice(i, i + chunk))
}

export function clientOf(knex: Knex): DbClient {
  const c = String(knex.client.config.client)
  return c === 'mysql2' || c === 'mysql' ? 'mysql' : 'sqlite'
}
