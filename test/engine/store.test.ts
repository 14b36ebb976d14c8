import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import type {Knex} from 'knex'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds, uniqueName, type BackendKind} from '../helpers/backends.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {migrateLatest, migrationStatus, rollback, type NewUserRow, type Store} from '../../src/engine/store/index.js'
import {Dialect} from '../../src/engine/store/dialect.js'
import {useEngine} from '../helpers/suite.js'

const allTables = [
  'users',
  'login_history',
  'audit_log',
  'strategies',
  'orders',
  'order_logs',
  'fills',
  'events',
  'relay_offsets',
  'metrics',
  'alerts',
  'engine_instances',
  'sequences',
]

const migrationNames = readdirSync(fileURLToPath(new URL('../../migrations/', import.meta.url)))
  .filter((f) => /^\d+_[\w-]+\.ts$/.test(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function tableNames(knex: Knex, kind: BackendKind): Promise<string[]> {
  if (kind === 'sqlite') {
    const rows: Array<{name: string}> = await knex('sqlite_master').where({type: 'table'}).select('name')
    return rows.map((r) => r.name).sort()
  }
  const [rows] = (await knex.raw('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')) as [Array<{name: string}>]
  return rows.map((r) => r.name).sort()
}

async function indexNames(knex: Knex, kind: BackendKind, table: string): Promise<string[]> {
  if (kind === 'sqlite') {
    const rows: Array<{name: string}> = await knex('sqlite_master').where({type: 'index', tbl_name: table}).select('name')
    return rows.map((r) => r.name)
  }
  const [rows] = (await knex.raw('SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?', [table])) as [
    Array<{name: string}>,
  ]
  return rows.map((r) => r.name)
}

async function primaryKey(knex: Knex, kind: BackendKind, table: string): Promise<string[]> {
  if (kind === 'sqlite') {
    const rows: Array<{name: string; pk: number}> = await knex.raw(`PRAGMA table_info(${table})`)
    return rows.filter((r) => r.pk > 0).map((r) => r.name)
  }
  const [rows] = (await knex.raw(
    "SELECT column_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index",
    [table],
  )) as [Array<{name: string}>]
  return rows.map((r) => r.name)
}

/** Runs raw SQL on either driver (knex.raw returns [rows, fields] on mysql2, rows on better-sqlite3). */
async function rawExec(knex: Knex, sql: string, bindings: readonly unknown[] = []): Promise<void> {
  await knex.raw(sql, bindings as Knex.RawBinding[])
}

async function count(knex: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = await knex(table).where(where).count({n: '*'})
  return Number(row!.n)
}

let userSeq = 0
function userRow(overrides: Partial<NewUserRow> = {}): NewUserRow {
  userSeq++
  return {
    user_id: `T${String(userSeq).padStart(5, '0')}`,
    username: `store_user_${userSeq}`,
    password_hash: 'not-a-real-hash',
    type: 'personal',
    role: 'trader',
    permissions: ['order_query'],
    status: 'active',
    ...overrides,
  }
}

async function insertUserWithHistory(store: Store, userId: string) {
  await store.users.insert(userRow({user_id: userId, username: `u_${userId.toLowerCase()}`}))
  const strategyId = `S${userId}`
  await store.strategies.insert({
    strategy_id: strategyId,
    user_id: userId,
    name: 'momentum',
    type: 'momentum',
    status: 'running',
    parameters: {lookback_period: 20},
    risk_management: {max_daily_loss: 1000},
    schedule: null,
  })
  const orderIds = [`O${userId}A`, `O${userId}B`]
  await store.orders.insert(
    orderIds.map((order_id, i) => ({
      order_id,
      user_id: userId,
      strategy_id: strategyId,
      symbol: 'AAPL',
      side: 'buy' as const,
      order_type: 'limit' as const,
      time_in_force: 'GTC' as const,
      quantity: 100,
      price: 150.5,
      filled_quantity: i === 0 ? 100 : 0,
      status: i === 0 ? ('filled' as const) : ('pending' as const),
    })),
  )
  await store.orders.insertLogs([
    {order_id: orderIds[0]!, from_status: null, to_status: 'pending', source: 'cli'},
    {order_id: orderIds[0]!, from_status: 'pending', to_status: 'filled', filled_delta: 100, price: 150.5, source: 'engine'},
    {order_id: orderIds[1]!, from_status: null, to_status: 'pending', source: 'cli'},
  ])
  await store.orders.insertFills([{order_id: orderIds[0]!, user_id: userId, strategy_id: strategyId, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150.5}])
  await store.users.recordLogin(userId, {ip: '10.0.0.1', device: 'test', success: true, reason: null})
  return {strategyId, orderIds}
}

describe.each(backendKinds)('store on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex
  let dialect: Dialect
  beforeAll(() => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
    dialect = engine.db.dialect
  })

  it('uses the backend it was asked for', () => {
    expect(engine.db.client).toBe(kind === 'sqlite' ? 'sqlite' : 'mysql')
    expect(dialect.client).toBe(engine.db.client)
  })

  describe('schema', () => {
    it('has every table of the data model', async () => {
      const names = await tableNames(knex, kind)
      for (const t of allTables) expect(names, t).toContain(t)
      expect(names).toContain('knex_migrations')
    })

    it('has the named indexes and primary keys', async () => {
      const orders = await indexNames(knex, kind, 'orders')
      for (const i of ['idx_orders_user_status', 'idx_orders_updated', 'idx_orders_status', 'uq_orders_client_order']) expect(orders, i).toContain(i)
      expect(await indexNames(knex, kind, 'users')).toEqual(expect.arrayContaining(['idx_users_status', 'idx_users_updated']))
      expect(await indexNames(knex, kind, 'events')).toContain('idx_events_entity')
      expect(await primaryKey(knex, kind, 'events')).toEqual(['id'])
      expect(await primaryKey(knex, kind, 'sequences')).toEqual(['name'])
      expect(await primaryKey(knex, kind, 'engine_instances')).toEqual(['instance_id'])
    })

    it('all migrations are applied and migrateLatest is idempotent', async () => {
      const status = await migrationStatus(knex)
      expect(status.map((s) => s.name)).toEqual(migrationNames)
      expect(status.every((s) => s.applied)).toBe(true)
      expect(await migrateLatest(knex)).toEqual([])
    })
  })

  describe('updated_at maintenance, including raw SQL', () => {
    const cases = [
      {table: 'users', key: 'user_id', values: ["'suspended'", "'locked'", "'active'"]},
      {table: 'strategies', key: 'strategy_id', values: ["'paused'", "'stopped'", "'running'"]},
      {table: 'orders', key: 'order_id', values: ["'partially_filled'", "'cancelled'", "'expired'"]},
    ] as const
    let n = 0
    /** A fresh user with a running strategy and a pending order, so each test owns its rows. */
    const fresh = async (): Promise<Record<string, string>> => {
      const userId = `UPD${String(++n).padStart(4, '0')}`
      const {strategyId, orderIds} = await insertUserWithHistory(engine.store, userId)
      return {users: userId, strategies: strategyId, orders: orderIds[1]!}
    }

    const stamps = async (table: string, key: string, id: string) => {
      const r = await knex(table).where({[key]: id}).first('created_at', 'updated_at', 'status')
      return {created: dialect.toIso(r.created_at)!, updated: dialect.toIso(r.updated_at)!, status: r.status as string}
    }

    for (const c of cases) {
      it(`${c.table}: a raw UPDATE moves updated_at with millisecond precision, created_at stays`, async () => {
        const id = (await fresh())[c.table]!
        const first = await stamps(c.table, c.key, id)
        expect(first.updated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        const seen = [first.updated]
        for (const value of c.values) {
          await sleep(25)
          await rawExec(knex, `UPDATE ${c.table} SET status=${value} WHERE ${c.key}=?`, [id])
          const now = await stamps(c.table, c.key, id)
          expect(now.status).toBe(value.replace(/'/g, ''))
          expect(now.created).toBe(first.created)
          seen.push(now.updated)
        }
        // Three updates 25 ms apart: with second precision at most one of these steps could move.
        for (let i = 1; i < seen.length; i++) expect(Date.parse(seen[i]!), `${seen[i - 1]} -> ${seen[i]}`).toBeGreaterThan(Date.parse(seen[i - 1]!))
        // And it is "now", in UTC.
        expect(Math.abs(Date.parse(seen.at(-1)!) - Date.now())).toBeLessThan(10_000)
      })

      it(`${c.table}: an updated_at set explicitly by the UPDATE is kept`, async () => {
        const id = (await fresh())[c.table]!
        const before = await stamps(c.table, c.key, id)
        await rawExec(knex, `UPDATE ${c.table} SET status=${c.values[0]}, updated_at='2020-01-02 03:04:05.678' WHERE ${c.key}=?`, [id])
        const after = await stamps(c.table, c.key, id)
        expect(after.updated).toBe('2020-01-02T03:04:05.678Z')
        expect(after.created).toBe(before.created)
      })
    }

    it('an UPDATE through knex (repository) also moves updated_at', async () => {
      const ids = await fresh()
      const before = await stamps('users', 'user_id', ids.users!)
      await sleep(20)
      await engine.store.users.update(ids.users!, {name: 'renamed'})
      const after = await stamps('users', 'user_id', ids.users!)
      expect(Date.parse(after.updated)).toBeGreaterThan(Date.parse(before.updated))
      expect(after.created).toBe(before.created)
    })
  })

  describe('SequenceRepo', () => {
    it('allocate returns consecutive blocks', async () => {
      const name = uniqueName('blk').slice(0, 32)
      const got = await engine.store.transaction(async (tx) => [
        await tx.sequences.allocate(name, 5),
        await tx.sequences.allocate(name, 3),
        await tx.sequences.allocate(name),
      ])
      expect(got).toEqual([1, 6, 9])
      expect(await engine.store.transaction((tx) => tx.sequences.allocate(name, 2))).toBe(10)
      const row = await knex('sequences').where({name}).first('value')
      expect(Number(row.value)).toBe(11)
    })

    it('ensureAtLeast moves a counter forward, never backwards', async () => {
      const name = uniqueName('ens').slice(0, 32)
      await engine.store.sequences.ensureAtLeast(name, 7)
      expect(await engine.store.transaction((tx) => tx.sequences.allocate(name))).toBe(8)
      await engine.store.sequences.ensureAtLeast(name, 3)
      expect(await engine.store.transaction((tx) => tx.sequences.allocate(name))).toBe(9)
    })

    it('20 parallel transactions never get the same value', async () => {
      const name = uniqueName('par').slice(0, 32)
      const results = await Promise.allSettled(Array.from({length: 20}, () => engine.store.transaction((tx) => tx.sequences.allocate(name))))
      const errors = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))
      expect(errors).toEqual([])
      const values = results.map((r) => (r as PromiseFulfilledResult<number>).value).sort((a, b) => a - b)
      expect(new Set(values).size).toBe(20)
      expect(values).toEqual(Array.from({length: 20}, (_, i) => i + 1))
    })

    it('20 parallel block allocations do not overlap', async () => {
      const name = uniqueName('pblk').slice(0, 32)
      const results = await Promise.allSettled(Array.from({length: 20}, () => engine.store.transaction((tx) => tx.sequences.allocate(name, 10))))
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([])
      const starts = results.map((r) => (r as PromiseFulfilledResult<number>).value).sort((a, b) => a - b)
      expect(starts).toEqual(Array.from({length: 20}, (_, i) => i * 10 + 1))
    })
  })

  describe('UserRepo.list', () => {
    const tag = `lst${Math.floor(Math.random() * 1e6)}`
    beforeAll(async () => {
      if (ctx.error) return
      const rows: Array<Partial<NewUserRow>> = [
        {name: `${tag} alpha`, status: 'active', type: 'personal', group: `${tag}-a`},
        {name: `${tag} beta`, status: 'suspended', type: 'professional', group: `${tag}-a`},
        {name: `${tag} gamma`, status: 'locked', type: 'institutional', group: `${tag}-b`},
        {name: `${tag} 50% off`, status: 'active', type: 'professional', group: `${tag}-b`},
        {name: `${tag} 50x off`, status: 'active', type: 'personal', group: `${tag}-b`},
        {name: `${tag} a_b`, status: 'suspended', type: 'personal', group: `${tag}-c`},
        {name: `${tag} axb`, status: 'active', type: 'personal', group: `${tag}-c`},
        {name: `${tag} back\\slash`, status: 'active', type: 'personal', group: `${tag}-c`},
      ]
      for (const r of rows) await engine.store.users.insert(userRow(r))
    })
    const list = (f: Partial<Parameters<Store['users']['list']>[0]>) => engine.store.users.list({limit: 100, offset: 0, search: tag, ...f})
    const names = async (f: Partial<Parameters<Store['users']['list']>[0]>) => (await list(f)).users.map((u) => u.name!.slice(tag.length + 1))

    it('searches by name', async () => {
      expect((await list({})).total).toBe(8)
      expect(await names({search: `${tag} gam`})).toEqual(['gamma'])
    })

    it('filters by status, type and group', async () => {
      expect(await names({status: 'suspended'})).toEqual(['beta', 'a_b'])
      expect(await names({type: 'professional'})).toEqual(['beta', '50% off'])
      expect(await names({group: `${tag}-b`})).toEqual(['gamma', '50% off', '50x off'])
      expect(await names({group: `${tag}-c`, status: 'active'})).toEqual(['axb', 'back\\slash'])
      expect((await list({status: 'locked', type: 'personal'})).total).toBe(0)
    })

    it("matches '%', '_' and '\\' literally", async () => {
      expect(await names({search: '50%'})).toEqual(['50% off'])
      expect(await names({search: `${tag} a_b`})).toEqual(['a_b'])
      expect(await names({search: 'k\\s'})).toEqual(['back\\slash'])
      expect((await list({search: '%'})).users.map((u) => u.name)).toEqual([`${tag} 50% off`])
    })

    it('finds by exact user_id and by username', async () => {
      const some = (await list({search: `${tag} beta`})).users[0]!
      expect((await engine.store.users.list({limit: 10, offset: 0, search: some.user_id})).users.map((u) => u.user_id)).toContain(some.user_id)
      expect((await engine.store.users.list({limit: 10, offset: 0, search: some.username})).users.map((u) => u.username)).toEqual([some.username])
    })

    it('pages with a stable total', async () => {
      const p1 = await list({limit: 3, offset: 0})
      const p2 = await list({limit: 3, offset: 3})
      const p3 = await list({limit: 3, offset: 6})
      expect([p1.total, p2.total, p3.total]).toEqual([8, 8, 8])
      expect([p1.users.length, p2.users.length, p3.users.length]).toEqual([3, 3, 2])
      const ids = [...p1.users, ...p2.users, ...p3.users].map((u) => u.user_id)
      expect(new Set(ids).size).toBe(8)
      expect((await list({limit: 3, offset: 9})).users).toEqual([])
    })

    it('maps rows to users (group, permissions, ISO times)', async () => {
      const u = (await list({search: `${tag} alpha`})).users[0]!
      expect(u.group).toBe(`${tag}-a`)
      expect(u.permissions).toEqual(['order_query'])
      expect(u.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(u.last_login_at).toBeNull()
      expect(u).not.toHaveProperty('password_hash')
    })
  })

  describe('foreign keys', () => {
    it('deleting a user removes their strategies, orders, order_logs, fills and logins', async () => {
      const keep = await insertUserWithHistory(engine.store, 'FKKEEP1')
      const gone = await insertUserWithHistory(engine.store, 'FKGONE1')
      expect(await count(knex, 'strategies', {user_id: 'FKGONE1'})).toBe(1)
      expect(await count(knex, 'orders', {user_id: 'FKGONE1'})).toBe(2)
      expect(await knex('order_logs').whereIn('order_id', gone.orderIds).count({n: '*'}).then((r) => Number(r[0]!.n))).toBe(3)
      expect(await count(knex, 'fills', {user_id: 'FKGONE1'})).toBe(1)
      expect(await count(knex, 'login_history', {user_id: 'FKGONE1'})).toBe(1)

      expect(await engine.store.users.delete('FKGONE1')).toBe(1)

      expect(await count(knex, 'users', {user_id: 'FKGONE1'})).toBe(0)
      expect(await count(knex, 'strategies', {user_id: 'FKGONE1'})).toBe(0)
      expect(await count(knex, 'orders', {user_id: 'FKGONE1'})).toBe(0)
      expect(await knex('order_logs').whereIn('order_id', gone.orderIds).count({n: '*'}).then((r) => Number(r[0]!.n))).toBe(0)
      expect(await count(knex, 'fills', {user_id: 'FKGONE1'})).toBe(0)
      expect(await count(knex, 'login_history', {user_id: 'FKGONE1'})).toBe(0)
      // The other user's rows are untouched.
      expect(await count(knex, 'orders', {user_id: 'FKKEEP1'})).toBe(2)
      expect(await knex('order_logs').whereIn('order_id', keep.orderIds).count({n: '*'}).then((r) => Number(r[0]!.n))).toBe(3)
      expect(await count(knex, 'fills', {user_id: 'FKKEEP1'})).toBe(1)
    })

    it('an order for a missing user is refused', async () => {
      const before = await count(knex, 'orders')
      await expect(
        engine.store.orders.insert([
          {order_id: 'OFKMISSING', user_id: 'NOSUCHUSER', symbol: 'AAPL', side: 'buy', order_type: 'market', time_in_force: 'GTC', quantity: 1, status: 'pending'},
        ]),
      ).rejects.toThrow()
      expect(await count(knex, 'orders')).toBe(before)
    })
  })

  describe('enum / CHECK constraints', () => {
    it('refuse an invalid status written by raw SQL (MariaDB: as strict mode dictates)', async () => {
      await insertUserWithHistory(engine.store, 'ENUM001')
      let strict = true
      if (kind === 'mariadb') {
        const [[{mode}]] = (await knex.raw('SELECT @@SESSION.sql_mode AS mode')) as [[{mode: string}]]
        strict = /STRICT_(TRANS|ALL)_TABLES/.test(mode)
      }
      for (const [table, key, id] of [
        ['users', 'user_id', 'ENUM001'],
        ['orders', 'order_id', 'OENUM001A'],
        ['strategies', 'strategy_id', 'SENUM001'],
      ] as const) {
        const before = (await knex(table).where({[key]: id}).first('status')).status
        const attempt = rawExec(knex, `UPDATE ${table} SET status='bogus' WHERE ${key}=?`, [id])
        if (strict) {
          await expect(attempt, table).rejects.toThrow(kind === 'sqlite' ? /CHECK constraint failed/ : /Data truncated|Incorrect|status/)
          expect((await knex(table).where({[key]: id}).first('status')).status).toBe(before)
        } else {
          await attempt
          expect((await knex(table).where({[key]: id}).first('status')).status).toBe('')
        }
      }
      if (kind === 'mariadb') expect(strict).toBe(true) // the test server runs in strict mode; the branch above must be the strict one
    })

    it('refuse an invalid side and order_type on insert', async () => {
      await engine.store.users.insert(userRow({user_id: 'ENUM002', username: 'enum_user2'}))
      const insert = (side: string, type: string, status: string) =>
        rawExec(knex, 'INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force, quantity, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
          `OBAD-${side}-${type}-${status}`,
          'ENUM002',
          'X',
          side,
          type,
          'GTC',
          1,
          status,
        ])
      await insert('buy', 'limit', 'pending') // the control: valid values are accepted
      expect(await count(knex, 'orders', {user_id: 'ENUM002'})).toBe(1)
      await expect(insert('hold', 'limit', 'pending')).rejects.toThrow()
      await expect(insert('buy', 'iceberg', 'pending')).rejects.toThrow()
      await expect(insert('buy', 'limit', 'open')).rejects.toThrow()
      expect(await count(knex, 'orders', {user_id: 'ENUM002'})).toBe(1)
    })
  })

  describe('Dialect', () => {
    it('toIso gives ISO UTC strings ending in Z for stored timestamps', async () => {
      await engine.store.users.insert(userRow({user_id: 'ISO0001', username: 'iso_user'}))
      await engine.store.users.recordLogin('ISO0001', {ip: null, device: null, success: true, reason: null, at: new Date('2024-01-15T09:30:00.123Z')})
      const r = await knex('users').where({user_id: 'ISO0001'}).first('created_at', 'updated_at', 'last_login_at')
      for (const col of ['created_at', 'updated_at'] as const) {
        const iso = dialect.toIso(r[col])!
        expect(iso, col).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        expect(Math.abs(Date.parse(iso) - Date.now()), col).toBeLessThan(10_000)
      }
      expect(dialect.toIso(r.last_login_at)).toBe('2024-01-15T09:30:00.123Z')
      const [login] = await engine.store.users.loginHistory('ISO0001', 1)
      expect(login!.at).toBe('2024-01-15T09:30:00.123Z')
    })

    it('now() on the database agrees with the clock in UTC', async () => {
      const rows = await knex.raw(`SELECT ${dialect.nowSql()} AS now`)
      const value = kind === 'sqlite' ? (rows as Array<{now: unknown}>)[0]!.now : (rows as [[{now: unknown}]])[0][0].now
      expect(Math.abs(Date.parse(dialect.toIso(value)!) - Date.now())).toBeLessThan(10_000)
    })

    it('unit cases', () => {
      const d = new Dialect(kind === 'sqlite' ? 'sqlite' : 'mysql')
      expect(d.toIso(null)).toBeNull()
      expect(d.toIso(undefined)).toBeNull()
      expect(d.toIso(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02T03:04:05.678Z')
      expect(d.toIso('2024-01-02 03:04:05.678')).toBe('2024-01-02T03:04:05.678Z')
      expect(d.likeContains('abc')).toBe('%abc%')
      expect(d.fromJson('["a"]', [])).toEqual(['a'])
      expect(d.fromJson('not json', ['fallback'])).toEqual(['fallback'])
      expect(d.fromJson(null, 7)).toBe(7)
      expect(d.toJson(undefined)).toBeNull()
      expect(d.toJson({a: 1})).toBe('{"a":1}')
    })
  })
})

describe.each(backendKinds)('migrations on %s', (kind) => {
  const ctx = useEngine(kind)

  it('roll back all, then migrate again', async () => {
    const engine = ctx.engine
    const knex = engine.db.knex
    await engine.store.users.insert(userRow({user_id: 'MIG0001', username: 'mig_user'}))

    const rolledBack = await rollback(knex, true)
    expect([...rolledBack].sort()).toEqual(migrationNames)
    const pending = await migrationStatus(knex)
    expect(pending.map((s) => s.name)).toEqual(migrationNames)
    expect(pending.every((s) => !s.applied)).toBe(true)
    const left = await tableNames(knex, kind)
    for (const t of allTables) expect(left, t).not.toContain(t)

    expect(await migrateLatest(knex)).toEqual(migrationNames)
    expect(await migrateLatest(knex)).toEqual([])
    const status = await migrationStatus(knex)
    expect(status.every((s) => s.applied)).toBe(true)
    const tables = await tableNames(knex, kind)
    for (const t of allTables) expect(tables, t).toContain(t)
    // A fresh schema: the old rows are gone and the updated_at maintenance is back.
    expect(await count(knex, 'users')).toBe(0)
    await engine.store.users.insert(userRow({user_id: 'MIG0002', username: 'mig_user2'}))
    const before = await knex('users').where({user_id: 'MIG0002'}).first('updated_at')
    await sleep(20)
    await rawExec(knex, "UPDATE users SET status='locked' WHERE user_id=?", ['MIG0002'])
    const after = await knex('users').where({user_id: 'MIG0002'}).first('updated_at')
    expect(Date.parse(engine.db.dialect.toIso(after.updated_at)!)).toBeGreaterThan(Date.parse(engine.db.dialect.toIso(before.updated_at)!))
  })
})
