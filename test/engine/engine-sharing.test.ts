import {afterEach, describe, expect, it} from 'vitest'
import {loadConfig, type LoadedConfig} from '../../src/engine/config/index.js'
import {SHARD_COUNT, shardOf} from '../../src/engine/domain/shards.js'
import {MonitoringEngine} from '../../src/engine/runtime/engine.js'
import type {ShardKeeper} from '../../src/engine/runtime/shard-keeper.js'
import {createBackend} from '../helpers/backends.js'
import {engineActor, momentum, newUser, runningStrategy} from '../helpers/engine-parts.js'
import {until} from '../helpers/process.js'
import {useEngine} from '../helpers/suite.js'

/**
 * engine.sharing: several engines in one process on one MariaDB database (the process tests with
 * kill -9 and SIGSTOP build on this). Shards split evenly and every active user is monitored by
 * exactly one engine; a graceful stop hands its shards over; an engine whose lease was taken writes
 * nothing more for that shard's users; SQLite refuses the setting.
 */

const keeperOf = (e: MonitoringEngine) => (e as unknown as {keeper: ShardKeeper}).keeper
const monitored = (e: MonitoringEngine) => new Set((e as unknown as {state: {monitors: Map<string, unknown>}}).state.monitors.keys())

describe('engines sharing one MariaDB database', () => {
  const ctx = useEngine('mariadb')
  const engines: MonitoringEngine[] = []
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop().catch(() => {})
  })

  const configFor = (home: string, sharing = 'true'): LoadedConfig =>
    loadConfig({
      cwd: ctx.backend.dir,
      env: {
        ...ctx.backend.env,
        ORDERMON_HOME: home,
        ORDERMON__ENGINE__SHARING: sharing,
        ORDERMON__ENGINE__SHARD_LEASE_MS: '1500',
        ORDERMON__ENGINE__TICK_MS: '60000',
        ORDERMON__ENGINE__POLL_MS: '20',
        ORDERMON__ENGINE__HEARTBEAT_MS: '200',
        ORDERMON__ENGINE__METRICS_MS: '1000',
        ORDERMON__ENGINE__HOUSEKEEPING_MS: '3600000',
      },
    })
  const start = async (name: string, sharing = 'true') => {
    const e = new MonitoringEngine({loaded: configFor(`${ctx.backend.dir}/home-${name}`, sharing), version: 'test-sharing'})
    engines.push(e)
    await e.start()
    return e
  }
  const activeUsers = async () => (await ctx.engine.db.knex('users').where({status: 'active'}).pluck('user_id')) as string[]

  it('two engines split the shards evenly, one leads, and every active user is monitored by exactly one', async () => {
    for (let i = 0; i < 40; i++) await newUser(ctx.engine, 'shared')
    const a = await start('a')
    const b = await start('b')
    await until('an even split', () => keeperOf(a).shards.length === SHARD_COUNT / 2 && keeperOf(b).shards.length === SHARD_COUNT / 2, 15_000)
    expect(Number(keeperOf(a).isLeader) + Number(keeperOf(b).isLeader)).toBe(1)
    const users = await activeUsers()
    await until('every user monitored', () => monitored(a).size + monitored(b).size === users.length, 10_000)
    for (const u of users) expect(Number(monitored(a).has(u)) + Number(monitored(b).has(u)), u).toBe(1)
    for (const u of monitored(a)) expect(keeperOf(a).shards).toContain(shardOf(u, SHARD_COUNT))

    // A graceful stop hands every shard over: the other engine holds all of them within a few steps.
    const t0 = Date.now()
    await b.stop()
    engines.splice(engines.indexOf(b), 1)
    await until('the hand-over', () => keeperOf(a).shards.length === SHARD_COUNT && keeperOf(a).isLeader, 10_000)
    expect(Date.now() - t0).toBeLessThan(3000)
    await until('all users on the remaining engine', () => monitored(a).size === users.length, 10_000)
  })

  it('an engine with sharing off and sharing engines never run together on one database, whichever starts first', async () => {
    const owned = async () => Number((await ctx.engine.db.knex('shard_leases').whereNotNull('owner').count({n: '*'}))[0]!.n)
    const lone = await start('lone', 'false')
    await expect(start('joiner')).rejects.toMatchObject({kind: 'conflict', message: expect.stringMatching(/An engine runs alone on .*instance .* on host .*pid \d+/)})
    expect(await owned()).toBe(0)
    await lone.stop()
    engines.splice(engines.indexOf(lone), 1)
    // Now the other way round: a lone engine is refused beside a sharing one.
    const shared = await start('sharer')
    expect(keeperOf(shared).shards).toHaveLength(SHARD_COUNT)
    await expect(start('lone-again', 'false')).rejects.toMatchObject({kind: 'conflict', message: expect.stringMatching(/Another engine is running/)})
    expect(keeperOf(shared).shards).toHaveLength(SHARD_COUNT)
  })

  it("a crashed engine of this host (its pid gone) does not hold its leases: a new engine takes them at once", async () => {
    const {spawnSync} = await import('node:child_process')
    const {hostname} = await import('node:os')
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    const knex = ctx.engine.db.knex
    await ctx.engine.store.instances.heartbeat({instance_id: 'crashed-here', hostname: hostname(), pid: deadPid, version: 'test', backend: 'mysql', status: 'running', info: {}})
    await ctx.engine.store.shards.ensure(SHARD_COUNT + 1)
    await knex.raw("UPDATE shard_leases SET owner = 'crashed-here', token = token + 1, expires_at = CURRENT_TIMESTAMP(3) + INTERVAL 60 SECOND")
    const t0 = Date.now()
    const a = await start('after-crash')
    expect(keeperOf(a).shards).toHaveLength(SHARD_COUNT)
    expect(keeperOf(a).isLeader).toBe(true)
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  it('an engine whose shard was taken places no order for its users and stops monitoring them', async () => {
    const u = await newUser(ctx.engine, 'fenced')
    const a = await start('solo')
    await until('the user monitored', () => monitored(a).has(u.user_id), 10_000)
    const shard = shardOf(u.user_id, SHARD_COUNT)
    const item = {user_id: u.user_id, symbol: 'AAPL', side: 'buy', order_type: 'market', quantity: 10}
    // While it holds the lease, the fence lets the order through.
    const [ok] = await ctx.engine.orders.createMany([item], engineActor, {fence: keeperOf(a).fence})
    expect(ok!.order?.user_id).toBe(u.user_id)
    // Another engine takes the shard (as after this one froze past its lease): the old token is refused.
    await ctx.engine.db.knex.raw("UPDATE shard_leases SET owner = 'thief', token = token + 1, expires_at = CURRENT_TIMESTAMP(3) + INTERVAL 60 SECOND WHERE shard = ?", [shard])
    const before = await ctx.engine.db.knex('orders').where({user_id: u.user_id}).count({n: '*'})
    const [refused] = await ctx.engine.orders.createMany([item], engineActor, {fence: keeperOf(a).fence})
    expect(refused!.error?.message).toMatch(/no longer handles user/)
    expect(await ctx.engine.db.knex('orders').where({user_id: u.user_id}).count({n: '*'})).toEqual(before)
    // Its next step sees the loss and drops the shard's users.
    await until('the lost shard dropped', () => !monitored(a).has(u.user_id) && !keeperOf(a).shards.includes(shard), 5000)
  })

  it("an engine that lost a user's shard does not stop that user's strategies (a failed load's stop is fenced)", async () => {
    const u = await newUser(ctx.engine, 'fencedstop')
    const kept = await runningStrategy(ctx.engine, u.user_id, momentum())
    const taken = await runningStrategy(ctx.engine, u.user_id, momentum())
    const a = await start('stopper')
    await until('the user monitored', () => monitored(a).has(u.user_id), 10_000)
    const stop = (id: string) => ctx.engine.strategies.stop(id, engineActor, {reason: 'failed to load: test', fence: keeperOf(a).fence})
    // While the engine holds the lease, its stop goes through.
    expect((await stop(kept.strategy_id)).changed).toBe(true)
    await ctx.engine.db.knex.raw("UPDATE shard_leases SET owner = 'thief', token = token + 1, expires_at = CURRENT_TIMESTAMP(3) + INTERVAL 60 SECOND WHERE shard = ?", [shardOf(u.user_id, SHARD_COUNT)])
    const r = await stop(taken.strategy_id)
    expect(r.changed).toBe(false)
    expect(await ctx.engine.db.knex('strategies').where({strategy_id: taken.strategy_id}).first('status', 'status_reason')).toEqual({status: 'running', status_reason: null})
    expect(await ctx.engine.db.knex('strategies').where({strategy_id: kept.strategy_id}).first('status')).toEqual({status: 'stopped'})
  })
})

describe('engine.sharing on SQLite', () => {
  it('is refused at start with one clear error', async () => {
    const backend = await createBackend('sqlite')
    try {
      const loaded = loadConfig({cwd: backend.dir, env: {...backend.env, ORDERMON__ENGINE__SHARING: 'true'}})
      const {migratedEngine} = await import('../helpers/backends.js')
      await (await migratedEngine(backend)).close()
      const e = new MonitoringEngine({loaded, version: 'test'})
      await expect(e.start()).rejects.toThrow(/engine.sharing needs MySQL\/MariaDB/)
    } finally {
      await backend.cleanup()
    }
  })
})
