import {accessSync, constants, existsSync, mkdirSync, statSync, statfsSync} from 'node:fs'
import type {LoadedConfig} from '../config/index.js'
import {connectRedis, describeRedis, redisConfigured} from '../bus/redis.js'
import {openDatabase, pendingCount, Store, describeTarget} from '../store/index.js'
import {engineStatus} from '../daemon/control.js'
import {PRIVATE_DIR, statePath} from '../daemon/pidfile.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
  ms?: number
}

export interface Health {
  status: 'healthy' | 'degraded' | 'down'
  checks: Check[]
  counts?: {users: Record<string, number>; strategies: Record<string, number>; orders: Record<string, number>}
}

async function timed<T>(work: () => Promise<T>): Promise<{value?: T; error?: unknown; ms: number}> {
  const t0 = performance.now()
  try {
    return {value: await work(), ms: Math.round((performance.now() - t0) * 10) / 10}
  } catch (error) {
    return {error, ms: Math.round((performance.now() - t0) * 10) / 10}
  }
}

const message = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!

/**
 * Checks each part the system depends on — database, schema, Redis, engine heartbeat, log directory,
 * disk — and says which is wrong. Never throws: a failed check is a result.
 */
export async function checkHealth(loaded: LoadedConfig, options: {counts?: boolean} = {}): Promise<Health> {
  const checks: Check[] = []
  const health: Health = {status: 'healthy', checks}
  const db = await timed(() => openDatabase(loaded))
  if (db.value) {
    checks.push({name: 'database', ok: true, detail: db.value.label, ms: db.ms})
    const pending = await timed(() => pendingCount(db.value!.knex))
    checks.push({name: 'schema', ok: pending.value === 0, detail: pending.error ? message(pending.error) : pending.value === 0 ? 'up to date' : `${pending.value} migration(s) pending: run \`ordermon db migrate\``})
    if (options.counts && pending.value === 0) {
      const store = Store.over(db.value)
      const [users, strategies, orders] = await Promise.all([store.users.countByStatus(), store.strategies.countByStatus(), store.orders.countByStatus()])
      health.counts = {users, strategies, orders}
    }
    await db.value.close()
  } else checks.push({name: 'database', ok: false, detail: `${describeTarget(loaded)}: ${message(db.error)}`, ms: db.ms})

  if (redisConfigured(loaded.config)) {
    const r = await timed(async () => {
      const client = await connectRedis(loaded.config)
      client.disconnect()
    })
    checks.push({name: 'redis', ok: !r.error, detail: r.error ? message(r.error) : describeRedis(loaded.config), ms: r.ms})
  } else checks.push({name: 'redis', ok: true, detail: 'not configured (embedded mode)'})

  const {running, state} = engineStatus(loaded.paths.home)
  if (running && state) {
    const age = Date.now() - Date.parse(state.updated_at)
    const fresh = age < Math.max(10_000, loaded.config.engine.heartbeat_ms * 5)
    checks.push({name: 'engine', ok: fresh && !state.last_error, detail: `pid ${state.pid}, heartbeat ${(age / 1000).toFixed(1)}s ago${state.last_error ? `, last error: ${state.last_error}` : ''}`})
  } else checks.push({name: 'engine', ok: true, detail: 'not running'})

  try {
    mkdirSync(loaded.paths.logDir, {recursive: true, mode: PRIVATE_DIR})
    accessSync(loaded.paths.logDir, constants.W_OK)
    const fs = statfsSync(loaded.paths.logDir)
    const freeMb = Math.round((fs.bavail * fs.bsize) / 1_048_576)
    checks.push({name: 'logs', ok: true, detail: `${loaded.paths.logDir} writable`})
    checks.push({name: 'disk', ok: freeMb > 100, detail: `${freeMb} MB free`})
  } catch (error) {
    checks.push({name: 'logs', ok: false, detail: `${loaded.paths.logDir}: ${message(error)}`})
  }
  checks.push(permissionsCheck(loaded))
  const failed = checks.filter((c) => !c.ok).map((c) => c.name)
  health.status = failed.includes('database') ? 'down' : failed.length ? 'degraded' : 'healthy'
  return health
}

/**
 * ORDERMON_HOME holds the database, the engine state and logs with user data: none of it should be
 * readable by group or others (a home made by an older version, or under a loose umask, is).
 */
export function permissionsCheck(loaded: LoadedConfig): Check {
  const {home, logDir, sqliteFile} = loaded.paths
  const paths: Array<[string, boolean]> = [
    [home, true],
    [logDir, true],
    ...(sqliteFile ? [[sqliteFile, false] as [string, boolean]] : []),
    [statePath(home), false],
  ]
  const loose: string[] = []
  for (const [path, dir] of paths) {
    if (!existsSync(path)) continue
    const mode = statSync(path).mode & 0o777
    if (mode & 0o077) loose.push(`${path} is ${mode.toString(8).padStart(4, '0')} (group/other can access it): run \`chmod ${dir ? '700' : '600'} ${path}\``)
  }
  return loose.length ? {name: 'permissions', ok: false, detail: loose.join('; ')} : {name: 'permissions', ok: true, detail: `${home} private to its owner`}
}
