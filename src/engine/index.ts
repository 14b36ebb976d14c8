/**
 * The engine library's front door: the one module that commands, the panel and (next) the HTTP API
 * import, types included (test/e2e/front-door.test.ts reads their imports). Everything an operator
 * can do is here:
 * - openEngine(): users, strategies, orders and the schema, over one database;
 * - system: checkHealth, describeConfig, cleanupLogs (no database needed);
 * - daemon control: startDaemon, stopDaemon, engineStatus, runEngine (the engine in this process);
 * - the live feed: EventFeed;
 * - the values flags and renderers need: statuses, permissions, errors and exit codes.
 * Importing it does no heavy work: the runtime, Redis and the host probe load only when used.
 */
import {loadConfig, type LoadedConfig} from './config/index.js'
import type {Actor} from './domain/context.js'
import type {OrderService} from './domain/orders/service.js'
import type {StrategyService} from './domain/strategies/service.js'
import type {UserService} from './domain/users/service.js'
import {openHandle, type OpenEngineOptions} from './handle.js'
import {cleanupLogs as cleanupLogFiles, type CleanupResult} from './logging/retention.js'
import type {DbClient} from './store/dialect.js'
import {SchemaService} from './system/schema.js'

/** One open database and the services over it; close() when done. */
export interface Engine {
  loaded: LoadedConfig
  /** Where it is connected (password hidden) and which kind of server. */
  database: {label: string; backend: DbClient}
  users: UserService
  strategies: StrategyService
  orders: OrderService
  schema: SchemaService
  close(): Promise<void>
}

export async function openEngine(options: OpenEngineOptions = {}): Promise<Engine> {
  const h = await openHandle(options)
  return {
    loaded: h.loaded,
    database: {label: h.db.label, backend: h.db.client},
    users: h.users,
    strategies: h.strategies,
    orders: h.orders,
    schema: new SchemaService({store: h.store, config: h.loaded.config}),
    close: h.close,
  }
}

/** Deletes dated log files older than `days` (default logging.retention_days) under the log directory. */
export function cleanupLogs(loaded: LoadedConfig, options: {days?: number; dryRun?: boolean} = {}): CleanupResult {
  return cleanupLogFiles(loaded.paths.logDir, {days: options.days ?? loaded.config.logging.retention_days, dryRun: options.dryRun})
}

export type {Actor, OpenEngineOptions, CleanupResult}
export {loadConfig, type LoadedConfig}
export {describeConfig, type ConfigEntry} from './config/index.js'
export {environments} from './config/schema.js'
export {checkHealth, type Check, type Health} from './system/health.js'
export type {SchemaService} from './system/schema.js'
export {ExitCode, OrdermonError, classifyFailure, isConnectionFailure, isOrdermonError, type ErrorKind} from './errors.js'

export * from './domain/statuses.js'
export {permissionNames} from './domain/users/rules.js'
export {readJsonConfig} from './domain/strategies/config-file.js'
export type {UserRef, UserDetails, UserList, DeleteResult} from './domain/users/service.js'
export type {Performance, StrategyList} from './domain/strategies/service.js'
export type {OrderList, OrderDetails, CreateOrderResult, BatchResult, BatchProgress} from './domain/orders/service.js'
export type {SampleDataResult} from './domain/seed/sample-data.js'
export type {MigrationStatus, User, LoginRecord, AuditRecord, Strategy, Order, OrderLog, Fill} from './store/index.js'

export {engineStatus, startDaemon, stopDaemon, isDaemonChild, type DaemonSettings, type EngineStatus, type StartResult, type StopResult} from './daemon/control.js'
export {runEngine, startEngineHere, type RunningEngine} from './daemon/foreground.js'
export type {EngineState} from './daemon/pidfile.js'

export {EventFeed, ENGINE_CHECK_MS, POLL_MS, HISTORY_MS, type Connection, type EngineLiveness, type FeedSnapshot, type FeedStatus} from './feed/event-feed.js'
export type {EventMessage} from './bus/channels.js'
export type {MetricsSnapshot} from './metrics/snapshot.js'
