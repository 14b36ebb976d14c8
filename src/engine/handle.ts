import {loadConfig, type LoadedConfig, type LoadOptions} from './config/index.js'
import {OrderService} from './domain/orders/service.js'
import {StrategyService} from './domain/strategies/service.js'
import {UserService} from './domain/users/service.js'
import {OrdermonError} from './errors.js'
import {openDatabase, pendingCount, Store, type Database} from './store/index.js'

/**
 * The services over one open database, with the store beneath them. The monitoring engine, the live
 * feed and the test suites hold one of these; commands and the panel get the narrower `Engine` of
 * src/engine/index.ts, which has no store to reach around the services with.
 */
export interface EngineHandle {
  loaded: LoadedConfig
  db: Database
  store: Store
  users: UserService
  strategies: StrategyService
  orders: OrderService
  close(): Promise<void>
}

export interface OpenEngineOptions extends LoadOptions {
  loaded?: LoadedConfig
  /** Create the database when missing (init, db migrate). */
  create?: boolean
  /** Refuse to work on a database whose schema is behind this version of ordermon. Default true. */
  requireSchema?: boolean
}

export async function openHandle(options: OpenEngineOptions = {}): Promise<EngineHandle> {
  const loaded = options.loaded ?? loadConfig(options)
  const db = await openDatabase(loaded, {create: options.create})
  try {
    if (options.requireSchema ?? true) {
      const pending = await pendingCount(db.knex)
      if (pending > 0)
        throw new OrdermonError('databaseUnavailable', `The database at ${db.label} is not initialised (${pending} migration(s) pending).`, {
          hint: 'Run `ordermon init` for a new database, or `ordermon db migrate` after an upgrade.',
        })
    }
  } catch (error) {
    await db.close()
    throw error
  }
  const store = Store.over(db)
  const deps = {store, config: loaded.config}
  return {
    loaded,
    db,
    store,
    users: new UserService(deps),
    strategies: new StrategyService(deps),
    orders: new OrderService(deps),
    close: () => db.close(),
  }
}
