import {existsSync, mkdirSync} from 'node:fs'
import {dirname} from 'node:path'
import {crc32} from 'node:zlib'
import knexFactory, {type Knex} from 'knex'
import type {LoadedConfig} from '../config/index.js'
import {redactUrl} from '../config/index.js'
import {classifyFailure, OrdermonError} from '../errors.js'
import {Dialect, type DbClient} from './dialect.js'

export interface Database {
  knex: Knex
  client: DbClient
  dialect: Dialect
  /** Where we are connected, password hidden: safe for messages and logs. */
  label: string
  /** Connections of the pool checked out right now (a gauge for metrics and alerts). */
  poolInUse(): number
  close(): Promise<void>
}

export interface MysqlTarget {
  host?: string
  port: number
  user?: string
  password?: string
  database?: string
  socketPath?: string
}

export function mysqlTarget(config: LoadedConfig['config']): MysqlTarget {
  const db = config.database
  if (db.url) {
    const u = new URL(db.url)
    return {
      host: u.hostname || undefined,
      port: u.port ? Number(u.port) : 3306,
      user: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: u.pathname.replace(/^\//, '') || undefined,
      socketPath: u.searchParams.get('socket') ?? undefined,
    }
  }
  return {host: db.host, port: db.port, user: db.user, password: db.password, database: db.name, socketPath: db.socket_path}
}

export function describeTarget(loaded: LoadedConfig): string {
  const {config, paths} = loaded
  if (config.database.client === 'sqlite') return `sqlite:${paths.sqliteFile}`
  if (config.database.url) return redactUrl(config.database.url)
  const t = mysqlTarget(config)
  const auth = t.user ? `${t.user}${t.password ? ':********' : ''}@` : ''
  return `mysql://${auth}${t.socketPath ? `[${t.socketPath}]` : `${t.host ?? 'localhost'}:${t.port}`}/${t.database ?? ''}`
}

function mysqlConnection(config: LoadedConfig['config'], withDatabase: boolean): Knex.MySql2ConnectionConfig {
  const t = mysqlTarget(config)
  return {
    host: t.host ?? 'localhost',
    port: t.port,
    user: t.user ?? 'root',
    password: t.password,
    database: withDatabase ? t.database : undefined,
    socketPath: t.socketPath,
    charset: config.database.charset,
    timezone: 'Z',
    // Timestamps as the text MariaDB sends ('2026-01-15 09:30:00.123', UTC: the session's time_zone),
    // as SQLite returns them: building a Date for each and formatting it back was a fifth of the
    // API's CPU on a page of orders. Dialect.toIso turns either into ISO 8601.
    dateStrings: true,
    decimalNumbers: true,
    supportBigNumbers: true,
    connectTimeout: config.database.connect_timeout_ms,
  }
}

// knex prints pool and driver warnings straight to the console; we report failures ourselves, once.
const quiet = {warn() {}, error() {}, deprecate() {}, debug() {}}

function buildKnex(loaded: LoadedConfig, withDatabase = true): Knex {
  const {config, paths} = loaded
  if (config.database.client === 'sqlite') {
    return knexFactory({
      client: 'better-sqlite3',
      log: quiet,
      connection: {filename: paths.sqliteFile!},
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: {pragma(s: string): unknown; function(name: string, options: {deterministic: boolean}, fn: (v: unknown) => unknown): unknown}, done: (err: Error | null, conn: unknown) => void) {
          // WAL lets the TUI and the CLI read while the engine writes; FKs are off by default in SQLite.
          conn.pragma('journal_mode = WAL')
          conn.pragma('foreign_keys = ON')
          conn.pragma('busy_timeout = 5000')
          conn.pragma('synchronous = NORMAL')
          // MySQL's CRC32(), which a user's shard is computed with (ShardScope).
          conn.function('CRC32', {deterministic: true}, (v) => (v === null ? null : crc32(String(v))))
          done(null, conn)
        },
      },
    })
  }
  const pool = config.database.pool
  return knexFactory({
    client: 'mysql2',
    log: quiet,
    connection: mysqlConnection(config, withDatabase),
    pool: {
      min: 0,
      max: pool.size + pool.max_overflow,
      acquireTimeoutMillis: pool.timeout * 1000,
      idleTimeoutMillis: Math.min(pool.recycle, 30) * 1000,
      afterCreate(conn: {query(sql: string, cb: (err: Error | null) => void): void}, done: (err: Error | null, conn: unknown) => void) {
        // Every session reads and writes instants in UTC, whatever the server's time zone.
        conn.query("SET time_zone = '+00:00'", (err) => done(err, conn))
      },
    },
  })
}

/** Translates driver errors into one line that says which database and what to check. */
export function unreachable(loaded: LoadedConfig, error: unknown): OrdermonError {
  const {failure, reason} = classifyFailure(error)
  const label = describeTarget(loaded)
  const hint =
    failure === 'no_database' ? 'Run `ordermon init` to create it.'
    : loaded.config.database.client === 'mysql' ? 'Check that MySQL/MariaDB is running and that ORDERMON_DATABASE_URL is right.'
    : 'Check ORDERMON_HOME and the permissions of its directory.'
  return new OrdermonError('databaseUnavailable', `Cannot reach the database at ${label}: ${reason}.`, {hint, cause: error})
}

export interface OpenOptions {
  /** Create the database (MySQL) or the file and its directory (SQLite) when missing: `init`, `db migrate`. */
  create?: boolean
  /**
   * Prove the database answers before returning (default true). A watcher that must report a
   * database that is down opens without it: the connection is then made on first use.
   */
  verify?: boolean
}

/** Opens the configured database and proves it answers, so a dead server fails fast with exit code 3. */
export async function openDatabase(loaded: LoadedConfig, options: OpenOptions = {}): Promise<Database> {
  const client = loaded.config.database.client!
  const label = describeTarget(loaded)
  if (client === 'sqlite') {
    const file = loaded.paths.sqliteFile!
    if (!existsSync(file)) {
      if (!options.create)
        throw new OrdermonError('databaseUnavailable', `No database at ${label} yet.`, {hint: 'Run `ordermon init` (add --sample-data for a populated demo).'})
      mkdirSync(dirname(file), {recursive: true, mode: 0o700})
    }
  } else if (options.create) {
    await createMysqlDatabase(loaded)
  }
  const knex = buildKnex(loaded)
  try {
    if (options.verify !== false) await knex.raw('select 1')
  } catch (error) {
    await knex.destroy().catch(() => {})
    throw unreachable(loaded, error)
  }
  // knex keeps its tarn pool on the client; numUsed() is tarn's public count of checked-out connections.
  const poolInUse = () => (knex.client as {pool?: {numUsed?(): number}}).pool?.numUsed?.() ?? 0
  return {knex, client, dialect: new Dialect(client), label, poolInUse, close: () => knex.destroy()}
}

async function createMysqlDatabase(loaded: LoadedConfig): Promise<void> {
  const name = mysqlTarget(loaded.config).database
  if (!name) throw new OrdermonError('invalidInput', `The MySQL URL ${describeTarget(loaded)} names no database.`, {hint: 'Use mysql://user:pass@host:3306/ordermon'})
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw new OrdermonError('invalidInput', `Database name "${name}" is not allowed: use letters, digits, _ $ - (at most 64).`)
  const admin = buildKnex(loaded, false)
  try {
    await admin.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [name])
  } catch (error) {
    throw unreachable(loaded, error)
  } finally {
    await admin.destroy().catch(() => {})
  }
}
