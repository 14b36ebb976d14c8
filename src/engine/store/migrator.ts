import {readdirSync} from 'node:fs'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {join} from 'node:path'
import type {Knex} from 'knex'

// Resolves to <root>/migrations from src/engine/store (TypeScript, under vitest) and to
// dist/migrations from dist/src/engine/store (compiled), so one source serves both.
const migrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url))

interface MigrationModule {
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
}

/** Knex migration source over our migrations folder, ESM-friendly and extension-agnostic. */
class FolderSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return readdirSync(migrationsDir)
      .filter((f) => /^\d+_[\w-]+\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
      .sort()
  }

  // Names are recorded without the extension, so a database migrated from the TypeScript sources
  // (tests) and from the build (CLI) agree on what has run.
  getMigrationName(file: string): string {
    return file.replace(/\.(js|ts)$/, '')
  }

  async getMigration(file: string): Promise<MigrationModule> {
    return (await import(pathToFileURL(join(migrationsDir, file)).href)) as MigrationModule
  }
}

const config = (): Knex.MigratorConfig => ({migrationSource: new FolderSource(), tableName: 'knex_migrations'})

export interface MigrationStatus {
  name: string
  applied: boolean
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, names] = (await knex.migrate.latest(config())) as [number, string[]]
  return names
}

export async function rollback(knex: Knex, all = false): Promise<string[]> {
  const [, names] = (await knex.migrate.rollback(config(), all)) as [number, string[]]
  return names
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus[]> {
  const [done, pending] = (await knex.migrate.list(config())) as [Array<{name: string}>, Array<{file: string}>]
  const source = new FolderSource()
  return [
    ...done.map((d) => ({name: d.name, applied: true})),
    ...pending.map((p) => ({name: source.getMigrationName(typeof p === 'string' ? p : p.file), applied: false})),
  ]
}

export async function pendingCount(knex: Knex): Promise<number> {
  return (await migrationStatus(knex)).filter((m) => !m.applied).length
}
