import {hostname} from 'node:os'
import {connectRedis, redisConfigured, type RedisClient} from '../bus/redis.js'
import type {LoadedConfig} from '../config/index.js'
import type {Inputs} from '../domain/alerts/expression.js'
import {createSystemLogger, type Logger} from '../logging/logger.js'
import {openDatabase, Store, type Database} from '../store/index.js'
import {watcherInputs} from './inputs.js'
import {AlertMonitor} from './monitor.js'

export interface AlertCheck {
  at: string
  /** What the watcher saw: database, Redis, the newest engine heartbeat. */
  inputs: Inputs
  /** What changed at this check. */
  changes: {kind: 'raised' | 'repeated' | 'resolved'; rule: string; level: string; value: unknown}[]
  /** Rules of this watcher firing after the check. */
  firing: {rule: string; level: string}[]
  rules: string[]
}

export interface AlertWatchOptions {
  loaded: LoadedConfig
  version: string
  /** One-shot (`system check-alerts`, cron): resolve at the first sample that no longer holds. */
  once?: boolean
}

/**
 * The dead-man's side of alerting, in any process other than the engine: it reads the newest
 * engine heartbeat from the database, asks whether the database and Redis answer, and evaluates
 * the watcher rules (engine_dead, system_status ...). An engine killed with kill -9 cannot report
 * itself; this can. Opened on a database that is down, it still evaluates and notifies.
 */
export class AlertWatch {
  private redis?: RedisClient

  private constructor(
    private readonly options: AlertWatchOptions,
    private readonly db: Database,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly monitor: AlertMonitor,
  ) {}

  static async open(options: AlertWatchOptions): Promise<AlertWatch> {
    const {loaded} = options
    const logger = createSystemLogger(loaded.paths.logDir, loaded.config.logging.level)
    const db = await openDatabase(loaded, {verify: false})
    const store = Store.over(db)
    try {
      const monitor = await AlertMonitor.open({
        loaded,
        store,
        logger,
        version: options.version,
        role: 'watcher',
        raisedBy: `watcher@${hostname()}:${process.pid}`,
        source: 'cli',
        clearForMs: options.once ? 0 : undefined,
      })
      return new AlertWatch(options, db, store, logger, monitor)
    } catch (error) {
      await db.close().catch(() => {})
      logger.end()
      throw error
    }
  }

  get monitorStats() {
    return this.monitor.stats()
  }

  /** One evaluation of the watcher rules; notifications due are sent before it returns in one-shot mode. */
  async check(now = new Date()): Promise<AlertCheck> {
    const inputs = await this.observe()
    const transitions = await this.monitor.check(inputs, now)
    if (this.options.once) await this.monitor.close()
    else await this.monitor.deliver()
    return {
      at: now.toISOString(),
      inputs,
      changes: transitions.map((t) => ({kind: t.kind, rule: t.rule.name, level: t.rule.level, value: t.value ?? null})),
      firing: this.monitor.stats().firing,
      rules: this.monitor.ruleNames,
    }
  }

  private async observe(): Promise<Inputs> {
    const config = this.options.loaded.config
    let dbFailed = false
    let newest
    try {
      await this.store.ping()
      newest = await this.store.instances.newest()
    } catch {
      dbFailed = true
    }
    return watcherInputs({dbFailed, redis: await this.redisState(), newest, ttlMs: config.engine.instance_ttl_ms})
  }

  private async redisState(): Promise<'up' | 'down' | 'not_configured'> {
    const config = this.options.loaded.config
    if (!redisConfigured(config)) return 'not_configured'
    try {
      this.redis ??= await connectRedis(config)
      await this.redis.ping()
      return 'up'
    } catch {
      this.redis?.disconnect()
      this.redis = undefined
      return 'down'
    }
  }

  async close(): Promise<void> {
    await this.monitor.close().catch(() => {})
    this.redis?.disconnect()
    await this.db.close().catch(() => {})
    await new Promise<void>((resolve) => {
      this.logger.on('finish', () => resolve())
      this.logger.end()
      setTimeout(resolve, 500)
    })
  }
}

/** `system check-alerts`: one check of the watcher rules, its notifications sent (cron-able). */
export async function checkAlertsOnce(options: Omit<AlertWatchOptions, 'once'>): Promise<AlertCheck> {
  const watch = await AlertWatch.open({...options, once: true})
  try {
    return await watch.check()
  } finally {
    await watch.close()
  }
}
