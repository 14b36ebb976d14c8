/**
 * The engine library's front door: the one module that commands, the panel and (next) the HTTP API
 * import, types included (test/e2e/front-door.test.ts reads their imports). Everything an operator
 * can do is here:
 * - openEngine(): users, strategies, orders and the schema, over one database;
 * - system: checkHealth, describeConfig, cleanupLogs (no database needed);
 * - daemon control: startDaemon, stopDaemon, engineStatus, runEngine (the engine in this process);
 * - the live feed: EventFeed;
 * - alerts: engine.alerts (lists, acknowledgement), checkAlertsOnce and openAlertWatch (the watcher
 *   rules, from a process other than the engine), systemStatus (the manual's status shape);
 * - the REST API's services: openApiServices (sign-in and tokens, access rules, metric history);
 * - the values flags and renderers need: statuses, permissions, errors and exit codes.
 * Importing it does little: every command loads it, so what only some commands need (health checks,
 * the live feed, seed data, the runtime, Redis, the host probe) is imported when first used.
 */
import {loadConfig, type LoadedConfig} from './config/index.js'
import type {Actor} from './domain/context.js'
import type {OrderService} from './domain/orders/service.js'
import type {StrategyService} from './domain/strategies/service.js'
import type {UserService} from './domain/users/service.js'
import {openHandle, type EngineHandle, type OpenEngineOptions} from './handle.js'
import type {EventFeed} from './feed/event-feed.js'
import type {DaemonSettings, EngineStatus, ProgressText, StartResult, StopResult} from './daemon/control.js'
import type {RunEngineOptions, RunningEngine} from './daemon/foreground.js'
import type {EngineState} from './daemon/pidfile.js'
import type {CleanupResult} from './logging/retention.js'
import type {DbClient} from './store/dialect.js'
import type {Health} from './system/health.js'
import {SchemaService} from './system/schema.js'
import {AlertQueries} from './alerts/queries.js'
import type {AlertCheck, AlertWatch} from './alerts/watch.js'
import type {SystemStatus} from './system/status.js'
import type {EngineSummary} from './system/engines.js'
import type {RemoteStopResult} from './daemon/remote-stop.js'
import {AuthService, requireJwtSecret} from './domain/auth/service.js'
import {MetricQueries} from './metrics/history.js'

/** One open database and the services over it; close() when done. */
export interface Engine {
  loaded: LoadedConfig
  /** Where it is connected (password hidden) and which kind of server. */
  database: {label: string; backend: DbClient}
  users: UserService
  strategies: StrategyService
  orders: OrderService
  schema: SchemaService
  /** Alerts raised by the rules, their notifications, acknowledgement. */
  alerts: AlertQueries
  close(): Promise<void>
}

export async function openEngine(options: OpenEngineOptions = {}): Promise<Engine> {
  return engineOver(await openHandle(options))
}

function engineOver(h: EngineHandle): Engine {
  return {
    loaded: h.loaded,
    database: {label: h.db.label, backend: h.db.client},
    users: h.users,
    strategies: h.strategies,
    orders: h.orders,
    schema: new SchemaService({store: h.store, config: h.loaded.config}),
    alerts: new AlertQueries(h.store),
    close: h.close,
  }
}

/** What the REST API serves from, beside the Engine: sign-in and tokens, and metric history. */
export interface ApiServices {
  engine: Engine
  auth: AuthService
  metrics: MetricQueries
  /** One round trip to the database (the health endpoint's check). */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Opens the database for the API; refuses (exit 2) without a usable security.jwt_secret. */
export async function openApiServices(options: OpenEngineOptions = {}): Promise<ApiServices> {
  const loaded = options.loaded ?? loadConfig(options)
  requireJwtSecret(loaded.config)
  const h = await openHandle({...options, loaded})
  return {engine: engineOver(h), auth: new AuthService({store: h.store, config: h.loaded.config, users: h.users}), metrics: new MetricQueries(h.store), ping: () => h.store.ping(), close: h.close}
}

export async function checkHealth(loaded: LoadedConfig, options: {counts?: boolean} = {}): Promise<Health> {
  return (await import('./system/health.js')).checkHealth(loaded, options)
}

/** The manual's system status: system_status, uptime, performance, business_metrics (and the checks). */
/** `stop --all` / `--instance`: asks engines to stop through the database and waits for them. */
export async function requestEngineStop(options: {loaded: LoadedConfig; instance?: string; timeoutS: number; onProgress?: (text: string) => void}): Promise<RemoteStopResult> {
  return (await import('./daemon/remote-stop.js')).requestStop(options)
}

/** The live engines on the database (several when they share it); [] if it cannot be read. */
export async function listEngines(loaded: LoadedConfig): Promise<EngineSummary[]> {
  return (await import('./system/engines.js')).listEngines(loaded)
}

export async function systemStatus(loaded: LoadedConfig): Promise<SystemStatus> {
  return (await import('./system/status.js')).systemStatus(loaded)
}

/** One check of the watcher rules (the dead-man rule among them), notifications sent: `system check-alerts`. */
export async function checkAlertsOnce(options: {loaded: LoadedConfig; version: string}): Promise<AlertCheck> {
  return (await import('./alerts/watch.js')).checkAlertsOnce(options)
}

/** A watcher that checks the watcher rules when asked (`monitor alerts --watch`); close() when done. */
export async function openAlertWatch(options: {loaded: LoadedConfig; version: string}): Promise<AlertWatch> {
  const {AlertWatch} = await import('./alerts/watch.js')
  return AlertWatch.open(options)
}

/** A live feed of events and engine vital signs on this configuration (open() it, then follow()). */
export async function openEventFeed(loaded: LoadedConfig): Promise<EventFeed> {
  const {EventFeed} = await import('./feed/event-feed.js')
  return new EventFeed(loaded)
}

/** Deletes dated log files older than `days` (default logging.retention_days) under the log directory. */
export async function cleanupLogs(loaded: LoadedConfig, options: {days?: number; dryRun?: boolean} = {}): Promise<CleanupResult> {
  const {cleanupLogs: cleanup} = await import('./logging/retention.js')
  return cleanup(loaded.paths.logDir, {days: options.days ?? loaded.config.logging.retention_days, dryRun: options.dryRun})
}

/** A strategy configuration file (the manual's strategy_config.json), with line and column for bad JSON. */
export async function readStrategyConfig(path: string): Promise<Record<string, unknown>> {
  return (await import('./domain/strategies/config-file.js')).readJsonConfig(path)
}

// Daemon control. Each loads its module when called: most commands never start or stop an engine.

/** Is this home's engine running? Only a pid verified as its engine counts; a stale pidfile is removed. */
export async function engineStatus(home: string): Promise<EngineStatus> {
  return (await import('./daemon/control.js')).engineStatus(home)
}

/** Starts a detached engine (`start --daemon`) and waits until it reports running. */
export async function startDaemon(options: {loaded: LoadedConfig; settings: DaemonSettings; timeoutS: number; onProgress?: ProgressText}): Promise<StartResult> {
  return (await import('./daemon/control.js')).startDaemon(options)
}

/** SIGTERM to this home's (verified) engine, SIGKILL after timeoutS. */
export async function stopDaemon(home: string, timeoutS: number, options: {onProgress?: ProgressText} = {}): Promise<StopResult> {
  return (await import('./daemon/control.js')).stopDaemon(home, timeoutS, options)
}

/** The engine in this process until SIGINT/SIGTERM (`ordermon start`, and the daemon's child). */
export async function runEngine(options: RunEngineOptions): Promise<EngineState> {
  return (await import('./daemon/foreground.js')).runEngine(options)
}

/** An engine in this process, driven by the caller (the demo). */
export async function startEngineHere(options: {loaded: LoadedConfig; version: string}): Promise<RunningEngine> {
  return (await import('./daemon/foreground.js')).startEngineHere(options)
}

/** True in the process that `start --daemon` spawned (see daemonEnv). */
export const isDaemonChild = () => process.env.ORDERMON_DAEMON_CHILD === '1'

export type {Actor, OpenEngineOptions, CleanupResult}
export {loadConfig, type LoadedConfig}
export type {OrdermonConfig} from './config/index.js'
export {describeConfig, sharesDatabase, type ConfigEntry} from './config/index.js'
export {environments} from './config/schema.js'
export type {Check, Health} from './system/health.js'
export type {EngineSummary} from './system/engines.js'
export type {RemoteStopResult} from './daemon/remote-stop.js'
export type {SchemaService} from './system/schema.js'
export {confinedModulePath} from './domain/strategies/module-path.js'
export {apiActor, isAdmin, requireOwner, requirePermission, scopeUser, type Principal} from './domain/auth/access.js'
export type {AuthService, ClientInfo, SignedIn} from './domain/auth/service.js'
export type {MetricHistory, MetricQueries} from './metrics/history.js'
export {forbidden, invalidInput} from './errors.js'
/** Refuses (exit 2) a configuration that cannot serve the API: no or a short security.jwt_secret. */
export {requireJwtSecret as checkApiConfig} from './domain/auth/service.js'
export {ExitCode, OrdermonError, classifyFailure, isConnectionFailure, isOrdermonError, type ErrorKind} from './errors.js'

export * from './domain/statuses.js'
export {permissionNames} from './domain/users/rules.js'
export type {UserRef, UserDetails, UserList, DeleteResult} from './domain/users/service.js'
export type {Performance, StrategyList} from './domain/strategies/service.js'
export type {OrderList, OrderDetails, CreateOrderResult, BatchResult, BatchProgress} from './domain/orders/service.js'
export type {SampleDataResult} from './domain/seed/sample-data.js'
export type {MigrationStatus, User, LoginRecord, AuditRecord, Strategy, Order, OrderLog, Fill} from './store/index.js'

export type {DaemonSettings, EngineStatus, EngineState, RunEngineOptions, RunningEngine, StartResult, StopResult}

export type {EventFeed, EngineLiveness, FeedSnapshot} from './feed/event-feed.js'
export {ENGINE_CHECK_MS, HISTORY_MS, initialFeedStatus, POLL_MS, type Connection, type FeedStatus} from './feed/status.js'
export type {EventMessage} from './bus/channels.js'
export type {MetricsSnapshot} from './metrics/snapshot.js'
export type {SystemStatus} from './system/status.js'
export type {AlertCheck, AlertWatch} from './alerts/watch.js'
export {alertStatuses, alertLevelNames, type AlertList, type AlertListOptions, type AlertWithNotifications, type AlertQueries} from './alerts/queries.js'
export type {AlertRecord, AlertStatus, NotificationRecord} from './store/index.js'

// performance report (metric history)
import type {PerformanceReportOptions} from './reports/performance-service.js'
import type {PeriodReportOptions, PeriodReportResult} from './reports/period/service.js'
import type {PerformanceReport} from './reports/performance.js'

/**
 * `monitor performance-report`: TPS, latency, orders, fills, volume, error rate, CPU and memory per
 * UTC day from start_date through end_date (at most 366 days), and over the whole period; with
 * `output`, also written to that file as JSON (atomically). Opens and closes its own connection.
 */
export async function performanceReportFor(loaded: LoadedConfig, options: PerformanceReportOptions): Promise<PerformanceReport> {
  return (await import('./reports/performance-service.js')).runPerformanceReport(loaded, options)
}
export type {PerformanceReportOptions} from './reports/performance-service.js'
export type {PerformanceReport, PerformanceFigures, DailyPerformance} from './reports/performance.js'

/**
 * `report daily|weekly|monthly`: a period report in the configured zone, as PDF, JSON, CSV or
 * Markdown (to a file written atomically, or Markdown/JSON/CSV text for the terminal).
 */
export async function periodReportFor(loaded: LoadedConfig, options: PeriodReportOptions): Promise<PeriodReportResult> {
  return (await import('./reports/period/service.js')).runPeriodReport(loaded, options)
}
export type {PeriodReportOptions, PeriodReportResult} from './reports/period/service.js'
export type {PeriodReport, ReportFormat, ReportKind} from './reports/period/types.js'
