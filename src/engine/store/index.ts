import type {Knex} from 'knex'
import {classifyFailure} from '../errors.js'
import type {Database} from './connection.js'
import type {Dialect} from './dialect.js'
import {AlertRepo} from './repos/alerts.js'
import {ReportRepo} from './repos/reports.js'
import {AuditRepo} from './repos/audit.js'
import {ChangeRepo} from './repos/changes.js'
import {EventRepo} from './repos/events.js'
import {InstanceRepo} from './repos/instances.js'
import {MetricsRepo} from './repos/metrics.js'
import {OrderRepo} from './repos/orders.js'
import {SequenceRepo} from './repos/sequences.js'
import {SessionRepo} from './repos/sessions.js'
import {ShardRepo} from './repos/shards.js'
import {StrategyRepo} from './repos/strategies.js'
import {UserRepo} from './repos/users.js'

/** The repositories over one connection or one transaction. Only this folder writes SQL. */
export class Store {
  readonly users: UserRepo
  readonly audit: AuditRepo
  readonly events: EventRepo
  readonly sequences: SequenceRepo
  readonly strategies: StrategyRepo
  readonly shards: ShardRepo
  readonly orders: OrderRepo
  readonly changes: ChangeRepo
  readonly instances: InstanceRepo
  readonly metrics: MetricsRepo
  readonly alerts: AlertRepo
  readonly reports: ReportRepo
  readonly sessions: SessionRepo

  constructor(readonly knex: Knex, readonly dialect: Dialect) {
    this.users = new UserRepo(knex, dialect)
    this.audit = new AuditRepo(knex, dialect)
    this.events = new EventRepo(knex, dialect)
    this.sequences = new SequenceRepo(knex)
    this.strategies = new StrategyRepo(knex, dialect)
    this.shards = new ShardRepo(knex, dialect)
    this.orders = new OrderRepo(knex, dialect)
    this.changes = new ChangeRepo(knex, dialect)
    this.instances = new InstanceRepo(knex, dialect)
    this.metrics = new MetricsRepo(knex, dialect)
    this.alerts = new AlertRepo(knex, dialect)
    this.reports = new ReportRepo(knex, dialect)
    this.sessions = new SessionRepo(knex, dialect)
  }

  /** One round trip: does the database answer right now? */
  async ping(): Promise<void> {
    await this.knex.raw('select 1')
  }

  static over(db: Database): Store {
    return new Store(db.knex, db.dialect)
  }

  /** Runs `work` in one transaction: the change, its audit row and its event commit together or not at all. */
  async transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    // Nested calls (a transaction inside one) become savepoints: no locking or retry of their own.
    if (this.knex.isTransaction || !this.dialect.lockWritersAtBegin) return this.knex.transaction((trx) => work(new Store(trx, this.dialect)))
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.knex.transaction(async (trx) => {
          await this.dialect.takeWriteLock(trx)
          return work(new Store(trx, this.dialect))
        })
      } catch (error) {
        if (classifyFailure(error).failure !== 'busy' || attempt >= 20) throw error
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * attempt * attempt)))
      }
    }
  }
}

export {openDatabase, describeTarget, type Database} from './connection.js'
export {migrateLatest, rollback, migrationStatus, pendingCount, type MigrationStatus} from './migrator.js'
export * from './repos/users.js'
export type {LiveSession, NewSession} from './repos/sessions.js'
export type {AuditRecord, AuditEntry} from './repos/audit.js'
export type {NewEvent, StoredEvent} from './repos/events.js'
export * from './repos/strategies.js'
export type {HeldShard, ShardLease} from './repos/shards.js'
export type {ShardScope} from './shard-scope.js'
export * from './repos/orders.js'
export type {ChangedRow, WatchedTable} from './repos/changes.js'
export type {EngineInstance, InstanceRow} from './repos/instances.js'
export type {MetricPoint, RangePoint} from './repos/metrics.js'
export type {AlertRecord, AlertStatus, AlertFilter, NewAlert, NotificationRecord, NotificationKind, NotificationStatus} from './repos/alerts.js'
