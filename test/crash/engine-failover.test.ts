import {join} from 'node:path'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {openHandle} from '../../src/engine/handle.js'
import {SHARD_COUNT, shardOf} from '../../src/engine/domain/shards.js'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import {cliIn, openDb} from '../helpers/e2e.js'
import {engineProcesses, engineState, fastEngineEnv, type EngineProcess} from '../helpers/engine-process.js'
import {sleep, until} from '../helpers/process.js'

/**
 * Several engines on one MariaDB database (engine.sharing, on by default there), as processes of the built CLI: three
 * engines split the shards; kill -9 of one and its users trade again on the others within the lease;
 * an engine frozen (SIGSTOP) past its lease is fenced out and its users move; a graceful stop hands
 * over at once; a fourth engine joining takes its share. Throughout, no strategy ever has two working
 * orders (what two engines running it at once would leave): the external venue never fills, so each
 * running strategy holds exactly one open order, and a cancelled one is replaced by whichever engine
 * handles its user.
 */

const LEASE_MS = 3000
const USERS = 24

describe.sequential('crash: several engines on one database', () => {
  let backend: TestBackend
  let db: Knex
  let strategies: Array<{strategy_id: string; user_id: string}> = []
  const engines = engineProcesses(() => ({cwd: backend.dir, env: backend.env}))
  const cli = cliIn(() => ({dir: backend.dir, env: backend.env}))
  const running: Record<string, EngineProcess> = {}

  const envFor = (name: string) => ({
    ...backend.env,
    ...fastEngineEnv,
    ORDERMON_HOME: join(backend.dir, `home-${name}`),
    ORDERMON__ENGINE__SHARD_LEASE_MS: String(LEASE_MS),
    ORDERMON__ENGINE__VENUE: 'external',
    ORDERMON__ENGINE__TICK_MS: '100',
    ORDERMON__ENGINE__HEARTBEAT_MS: '300',
  })
  const instanceOf = (name: string): string => engineState(running[name]!.home)!.instance_id
  /** Live leases by owner (the leader lease apart). */
  const owners = async (): Promise<Map<string, number>> => {
    const rows = await db.raw('SELECT owner, COUNT(*) AS n FROM shard_leases WHERE shard < ? AND owner IS NOT NULL AND expires_at >= CURRENT_TIMESTAMP(3) GROUP BY owner', [SHARD_COUNT])
    return new Map((rows[0] as Array<{owner: string; n: number}>).map((r) => [r.owner, Number(r.n)]))
  }
  const split = async (names: string[]) => {
    const o = await owners()
    const counts = names.map((n) => o.get(instanceOf(n)) ?? 0)
    return counts.reduce((a, b) => a + b, 0) === SHARD_COUNT && counts.every((c) => Math.abs(c - SHARD_COUNT / names.length) <= 1) ? counts : undefined
  }
  /** Open orders per strategy: exactly one each once trading settled, never two. */
  const openPerStrategy = async (): Promise<Map<string, number>> => {
    const rows = await db('orders').whereIn('status', ['pending', 'partially_filled']).whereNotNull('strategy_id').groupBy('strategy_id').select('strategy_id', db.raw('COUNT(*) AS n'))
    return new Map(rows.map((r: {strategy_id: string; n: number}) => [r.strategy_id, Number(r.n)]))
  }
  const expectNeverTwo = async () => {
    const open = await openPerStrategy()
    const doubled = [...open].filter(([, n]) => n > 1)
    expect(doubled, 'a strategy with two working orders: two engines ran it').toEqual([])
    return open
  }
  const allPlaced = async () => {
    const open = await expectNeverTwo()
    return strategies.every((s) => open.get(s.strategy_id) === 1) ? open : undefined
  }
  /** Cancels a strategy's open order through the CLI; resolves once some engine placed its next one. */
  const tradesAgain = async (s: {strategy_id: string}, ms: number) => {
    const [o] = await db('orders').where({strategy_id: s.strategy_id}).whereIn('status', ['pending', 'partially_filled']).select('order_id')
    const r = await cli(['order', 'cancel', '--order-id', o.order_id, '--reason', 'failover test'])
    expect(r.code, r.stderr).toBe(0)
    const t0 = Date.now()
    await until(`a new order for ${s.strategy_id}`, async () => (await db('orders').where({strategy_id: s.strategy_id}).whereIn('status', ['pending', 'partially_filled']).whereNot('order_id', o.order_id).first()) ?? false, ms, 50)
    return Date.now() - t0
  }
  const usersOf = async (instance: string) => {
    const shards = new Set((await db('shard_leases').where({owner: instance}).pluck('shard')).map(Number))
    return strategies.filter((s) => shards.has(shardOf(s.user_id, SHARD_COUNT)))
  }

  beforeAll(async () => {
    backend = await createBackend('mariadb')
    db = openDb(backend)
    const h = await openHandle({loaded: backend.loaded, create: true, requireSchema: false})
    try {
      const {migrateLatest} = await import('../../src/engine/store/index.js')
      await migrateLatest(h.db.knex)
      const actor = {name: 'test', source: 'cli' as const}
      for (let i = 0; i < USERS; i++) {
        const u = await h.users.create({username: `failover_${i}`, password: 'Failover-pw-1'}, actor)
        const s = await h.strategies.create({user_id: u.user_id, name: `m${i}`, config: {type: 'momentum', parameters: {symbols: ['AAPL'], lookback_period: 2, threshold: 0.000001, order_quantity: 10}}}, actor)
        await h.strategies.start(s.strategy_id, actor)
        strategies.push({strategy_id: s.strategy_id, user_id: u.user_id})
      }
    } finally {
      await h.close()
    }
  })
  afterAll(async () => {
    await engines.stopAll()
    await db?.destroy()
    await backend?.cleanup()
  })

  it('three engines split the shards evenly and every strategy gets exactly one working order', async () => {
    for (const name of ['a', 'b', 'c']) running[name] = engines.spawn({env: envFor(name)})
    await Promise.all(Object.values(running).map((e) => e.waitRunning()))
    await until('an even split over three engines', () => split(['a', 'b', 'c']), 20_000, 200)
    await until('one working order per strategy', allPlaced, 30_000, 200)
  })

  it('kill -9 of one engine: its shards are taken within the lease, its users trade again, none twice', async () => {
    const c = instanceOf('c')
    const theirs = await usersOf(c)
    expect(theirs.length).toBeGreaterThan(0)
    const t0 = Date.now()
    await running.c!.kill9()
    await until('the dead engine holds no shard', async () => ((await owners()).has(c) ? undefined : true), LEASE_MS + 5000, 100)
    await until('the two others hold every shard', () => split(['a', 'b']), LEASE_MS + 8000, 200)
    const failoverMs = Date.now() - t0
    expect(failoverMs).toBeLessThan(LEASE_MS + 4000)
    const resumedMs = await tradesAgain(theirs[0]!, 10_000)
    expect(resumedMs).toBeLessThan(5000)
    await expectNeverTwo()
  })

  it('an engine frozen past its lease is fenced out: its users move, and once resumed it writes nothing for them', async () => {
    const b = instanceOf('b')
    const theirs = await usersOf(b)
    expect(theirs.length).toBeGreaterThan(0)
    process.kill(running.b!.pid, 'SIGSTOP')
    try {
      await until('the other engine holds every shard', () => split(['a']), LEASE_MS + 8000, 200)
      // Trading moved: a cancelled order of the frozen engine's user is replaced by the other engine.
      await tradesAgain(theirs[0]!, 10_000)
    } finally {
      process.kill(running.b!.pid, 'SIGCONT')
    }
    // Resumed, it finds its leases gone; the two rebalance; no strategy ever got a second order.
    for (let i = 0; i < 10; i++) {
      await expectNeverTwo()
      await sleep(300)
    }
    await until('the two split again', () => split(['a', 'b']), 20_000, 200)
    await until('one working order per strategy', allPlaced, 15_000, 200)
  })

  it('a graceful stop hands over at once; a new engine joining takes its share', async () => {
    const t0 = Date.now()
    const exit = await running.a!.sigterm()
    expect(exit.code).toBe(0)
    await until('the remaining engine holds every shard', () => split(['b']), 10_000, 100)
    expect(Date.now() - t0).toBeLessThan(LEASE_MS + 2000)
    running.d = engines.spawn({env: envFor('d')})
    await running.d.waitRunning()
    await until('the newcomer took its half', () => split(['b', 'd']), 6 * LEASE_MS, 200)
    await until('one working order per strategy', allPlaced, 15_000, 200)
  })

  it('status lists every engine with its shards and users; stop --all stops them all through the database', async () => {
    // engine.sharing is left to its default (auto): on, since the database is MariaDB.
    const st = await cli(['status', '--json'])
    expect(st.code, st.stderr).toBe(0)
    const engines = JSON.parse(st.stdout).engines as Array<{instance_id: string; shards: number; users: number; pid: number}>
    expect(engines.map((e) => e.instance_id).sort()).toEqual([instanceOf('b'), instanceOf('d')].sort())
    await until('heartbeats carrying the split', async () => {
      const r = JSON.parse((await cli(['system', 'status', '--json'])).stdout).engines as Array<{shards: number; users: number}>
      return r.length === 2 && r.every((e) => e.shards === SHARD_COUNT / 2) && r.reduce((a, e) => a + e.users, 0) === USERS
    }, 10_000, 300)
    const table = await cli(['status'])
    expect(table.stdout).toMatch(/Engines on this database \(2\)/)
    expect(table.stdout).toContain(instanceOf('d'))

    const stop = await cli(['stop', '--all', '--timeout', '20'], {timeoutMs: 40_000})
    expect(stop.code, stop.stderr).toBe(0)
    expect(stop.stdout).toMatch(/Stopped 2 engine\(s\)/)
    for (const name of ['b', 'd']) expect((await running[name]!.exited).code).toBe(0)
    expect(await db('shard_leases').whereNotNull('owner').count({n: '*'})).toEqual([{n: 0}])
    const again = await cli(['stop', '--instance', instanceOf('b')])
    expect(again.code).toBe(4)
  })
})
