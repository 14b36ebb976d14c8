import type {OrdermonConfig} from '../config/index.js'
import type {Actor} from '../domain/context.js'
import type {SampleDataOptions, SampleDataResult} from '../domain/seed/sample-data.js'
import {migrateLatest, migrationStatus, rollback, type MigrationStatus, type Store} from '../store/index.js'

/**
 * The database's schema and seed data: `init`, `db migrate|rollback|status|seed` and the demo call
 * these, never knex. Migrations are in migrations/ (one change each, each with down()).
 */
export class SchemaService {
  constructor(private readonly deps: {store: Store; config: OrdermonConfig}) {}

  /** Applies pending migrations; returns their names (none: already up to date). */
  migrate(): Promise<string[]> {
    return migrateLatest(this.deps.store.knex)
  }

  /** Undoes the last batch, or every migration; returns their names. */
  rollback(all = false): Promise<string[]> {
    return rollback(this.deps.store.knex, all)
  }

  status(): Promise<MigrationStatus[]> {
    return migrationStatus(this.deps.store.knex)
  }

  /** The sample desk (users, strategies, orders in every status), loaded once. */
  async seedSample(actor: Actor, options: SampleDataOptions = {}): Promise<SampleDataResult> {
    // Seed data loads only for the commands that seed.
    return (await import('../domain/seed/sample-data.js')).loadSampleData(this.deps, actor, options)
  }

  /** The demo's data: the sample desk plus strategies that trade within seconds. */
  async seedDemo(actor: Actor): Promise<void> {
    return (await import('../domain/seed/demo.js')).seedDemo(this.deps, actor)
  }
}
