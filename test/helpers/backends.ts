import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import knexFactory from 'knex'
import {loadConfig, type LoadedConfig} from '../../src/engine/config/index.js'
import {openHandle, type EngineHandle} from '../../src/engine/handle.js'
import {migrateLatest} from '../../src/engine/store/index.js'

/**
 * Test backends: every data-layer and domain suite runs on both. Each backend is a throwaway database
 * (a temp SQLite file, or a fresh MariaDB database on the shared server) removed by cleanup().
 * MariaDB must answer: a missing server fails the run, it is never skipped.
 */
export type BackendKind = 'sqlite' | 'mariadb'
export const backendKinds: BackendKind[] = ['sqlite', 'mariadb']

export const MYSQL_BASE_URL = process.env.ORDERMON_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
export const REDIS_URL = process.env.ORDERMON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

export interface TestBackend {
  kind: BackendKind
  /** A scratch working directory (cwd for the CLI): no .env or config/ unless a test writes one. */
  dir: string
  /** Environment that points ordermon at this backend (for child processes and loadConfig). */
  env: Record<string, string>
  loaded: LoadedConfig
  cleanup(): Promise<void>
}

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`

export async function createBackend(kind: BackendKind): Promise<TestBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-test-'))
  const home = join(dir, '.ordermon')
  const env: Record<string, string> = {ORDERMON_HOME: home}
  let dbName: string | undefined
  if (kind === 'mariadb') {
    dbName = uniqueName('ordermon_t')
    env.ORDERMON_DATABASE_URL = `${MYSQL_BASE_URL}/${dbName}`
  }
  const loaded = loadConfig({cwd: dir, env})
  return {
    kind,
    dir,
    env,
    loaded,
    async cleanup() {
      try {
        if (dbName) await dropMysqlDatabase(dbName)
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  }
}

export async function dropMysqlDatabase(name: string): Promise<void> {
  const admin = knexFactory({client: 'mysql2', connection: MYSQL_BASE_URL})
  try {
    await admin.raw('DROP DATABASE IF EXISTS ??', [name])
  } finally {
    await admin.destroy()
  }
}

/** A migrated engine on a fresh backend. */
export async function migratedEngine(backend: TestBackend): Promise<EngineHandle> {
  const engine = await openHandle({loaded: backend.loaded, create: true, requireSchema: false})
  await migrateLatest(engine.db.knex)
  return engine
}
