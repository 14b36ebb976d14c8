import {afterEach, describe, expect, it, vi} from 'vitest'
import type {EventMessage} from '../../src/engine/bus/channels.js'
import {loadConfig, sharesDatabase, type LoadedConfig} from '../../src/engine/config/index.js'
import {readState, type EngineState} from '../../src/engine/daemon/pidfile.js'
import {MonitoringEngine} from '../../src/engine/runtime/engine.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {cli, momentum, newUser, restingOrder, runningStrategy, username} from '../helpers/engine-parts.js'
import {until} from '../helpers/process.js'
import {useEngine} from '../helpers/suite.js'

/**
 * MonitoringEngine as the wiring of its parts, in process on both backends (no pidfile, no Redis):
 * start() loads what to monitor and status() reports it without changing anything; an event written
 * by the CLI side reaches onEvent and the bus once; reload() says which sections changed; stop()
 * leaves no timers and the engine's row stopped.
 */

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe.each(backendKinds)('MonitoringEngine wiring on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)
  const engines: MonitoringEngine[] = []

  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop().catch(() => {})
  })

  /** The suite's database and home; the market ticks once at start (no trading), changes are polled fast. */
  const configFor = (extra: Record<string, string> = {}): LoadedConfig =>
    loadConfig({
      cwd: ctx.backend.dir,
      env: {
        ...ctx.backend.env,
        ORDERMON__ENGINE__TICK_MS: '60000',
        ORDERMON__ENGINE__POLL_MS: '20',
        ORDERMON__ENGINE__HEARTBEAT_MS: '100',
        ORDERMON__ENGINE__METRICS_MS: '100',
        ORDERMON__ENGINE__HOUSEKEEPING_MS: '3600000',
        ORDERMON__ENGINE__PAPER_LATENCY_MS: '0',
        ...extra,
      },
    })

  const startEngine = async (options: {onEvent?: (e: EventMessage) => void} = {}) => {
    const engine = new MonitoringEngine({loaded: configFor(), version: 'test-wiring', onEvent: options.onEvent})
    engines.push(engine)
    await engine.start()
    return engine
  }

  /** What the engine should monitor, counted in the database. */
  async function expectedCounts() {
    const knex = ctx.engine.db.knex
    const active = (await knex('users').where({status: 'active'}).select('user_id')).map((r) => r.user_id as string)
    const [{n: strategies}] = await knex('strategies').where({status: 'running'}).whereIn('user_id', active).count({n: '*'})
    const [{n: orders}] = await knex('orders').whereIn('status', ['pending', 'partially_filled']).whereIn('user_id', active).count({n: '*'})
    return {users: active.length, strategies: Number(strategies), open_orders: Number(orders)}
  }

  it('start() loads the database; status() reports the counts and calling it twice changes nothing', async () => {
    const a = await newUser(ctx.engine, 'wira')
    const b = await newUser(ctx.engine, 'wirb')
    await runningStrategy(ctx.engine, a.user_id, momentum({symbols: ['WIRA']}))
    await restingOrder(ctx.engine, a.user_id, {symbol: 'WIRA'})
    await restingOrder(ctx.engine, b.user_id, {symbol: 'WIRA'})
    const suspended = await newUser(ctx.engine, 'wirc')
    await restingOrder(ctx.engine, suspended.user_id, {symbol: 'WIRA'})
    await ctx.engine.users.setStatus({user_id: suspended.user_id}, 'suspended', cli)
    const expected = await expectedCounts()
    expect(expected.users).toBeGreaterThanOrEqual(2)
    expect(expected.open_orders).toBeGreaterThanOrEqual(2)

    const engine = await startEngine()
    const s = engine.status()
    expect(s).toMatchObject({
      ...expected,
      pid: process.pid,
      instance_id: engine.instanceId,
      version: 'test-wiring',
      backend: kind === 'sqlite' ? 'sqlite' : 'mysql',
      redis: null,
      status: 'running',
      last_error: null,
    })
    expect(s.database).not.toBe('')
    expect(Date.parse(s.last_scan_at!)).toBeGreaterThan(Date.parse(s.started_at) - 1)

    // Pure: the same instant gives the same answer, and many reads move no counter.
    vi.useFakeTimers({toFake: ['Date'], now: Date.now()})
    let first: EngineState, second: EngineState
    try {
      first = engine.status()
      for (let i = 0; i < 100; i++) engine.status()
      second = engine.status()
    } finally {
      vi.useRealTimers()
    }
    expect(second).toEqual(first)
    expect({events_total: second.events_total, transitions_total: second.transitions_total}).toEqual({events_total: s.events_total, transitions_total: s.transitions_total})

    // The heartbeat publishes the same counts: engine.json and the engine_instances row.
    const row = await until('a heartbeat row with metrics', async () => {
      const r = await ctx.engine.store.instances.find(engine.instanceId)
      return r?.status === 'running' && r.info.metrics ? r : undefined
    })
    expect(row.info).toMatchObject({users: expected.users, strategies: expected.strategies, open_orders: expected.open_orders, last_error: null})
    expect(readState(ctx.backend.loaded.paths.home)).toMatchObject({instance_id: engine.instanceId, status: 'running', ...expected})
  })

  it('an event written by the CLI-side service reaches onEvent and the bus once', async () => {
    const seen: EventMessage[] = []
    const engine = await startEngine({onEvent: (e) => seen.push(e)})
    const all: EventMessage[] = []
    const created: EventMessage[] = []
    engine.bus.on('*', (e) => void all.push(e))
    engine.bus.on('user.created', (e) => void created.push(e))
    const usersBefore = engine.status().users

    const name = username('wirev')
    const u = await ctx.engine.users.create({username: name, password: 'password123'}, cli)
    const [stored] = await ctx.engine.store.events.forEntity('user', u.user_id)
    // A second event after it: once it has arrived, any repeat of the first would have too.
    const marker = await newUser(ctx.engine, 'wirmark')
    await until('both events delivered', () => seen.some((e) => e.entity_id === marker.user_id))

    const mine = (list: EventMessage[]) => list.filter((e) => e.entity_id === u.user_id)
    expect(mine(seen)).toEqual([
      {id: stored!.id, type: 'user.created', entity_type: 'user', entity_id: u.user_id, user_id: u.user_id, source: 'cli', created_at: stored!.created_at, payload: expect.objectContaining({username: name, status: 'active'})},
    ])
    expect(mine(all)).toEqual(mine(seen))
    expect(mine(created)).toEqual(mine(seen))
    // In id order, and what the bus got is what onEvent got.
    expect(all.map((e) => e.id)).toEqual(seen.map((e) => e.id))
    expect([...seen.map((e) => e.id)].sort((x, y) => x - y)).toEqual(seen.map((e) => e.id))
    // Applied before it was delivered: the new users are monitored, and counted.
    expect(engine.status().users).toBe(usersBefore + 2)
    expect(engine.status().events_total).toBe(seen.length)
  })

  it('reload() reports the changed sections and applies them; the same configuration changes nothing', async () => {
    const engine = await startEngine()
    expect(engine.reload(configFor())).toEqual([])
    expect(engine.reload(configFor({ORDERMON__ENGINE__POLL_MS: '30', ORDERMON__LOGGING__LEVEL: 'debug'}))).toEqual(['logging', 'engine'])
    expect(engine.config.engine.poll_ms).toBe(30)
    expect(engine.config.logging.level).toBe('debug')
    expect(engine.reload(configFor({ORDERMON__ENGINE__POLL_MS: '30', ORDERMON__LOGGING__LEVEL: 'debug'}))).toEqual([])
    expect(engine.reload(configFor({ORDERMON__ENGINE__POLL_MS: '30', ORDERMON__LOGGING__LEVEL: 'debug', ORDERMON__ORDER__VALIDATION__MAX_QUANTITY: '500'}))).toEqual(['order'])
    expect(engine.config.order.validation.max_quantity).toBe(500)
    // Back to the start: every section that moved is named again.
    expect(engine.reload(configFor())).toEqual(['logging', 'engine', 'order'])
    // Whether it shares the database was settled at start: a reload keeps it.
    const started = engine.config.engine.sharing
    expect(engine.reload(configFor({ORDERMON__ENGINE__SHARING: started === false ? 'true' : 'false'}))).toEqual([])
    expect(engine.config.engine.sharing).toBe(started)
    // Still running after the reloads.
    expect(engine.loopHandles).toBeGreaterThan(0)
    expect(engine.status().status).toBe('running')
  })

  it('stop() leaves no timer handles and the instance row stopped', async () => {
    const before = timeouts()
    const engine = await startEngine()
    await until('the first heartbeat', async () => (await ctx.engine.store.instances.find(engine.instanceId))?.status === 'running')
    expect(engine.loopHandles).toBeGreaterThan(0)
    // One per loop at most: changes, follow, market, heartbeat, metrics, notify, housekeeping, and
    // shards where engines share the database (MariaDB, by default).
    expect(engine.loopHandles).toBeLessThanOrEqual(sharesDatabase(engine.config) ? 8 : 7)
    // The measure below sees the engine's timers while it runs.
    expect(timeouts()).toBeGreaterThan(before)
    expect((await ctx.engine.store.instances.live(60_000)).map((i) => i.instance_id)).toContain(engine.instanceId)

    await engine.stop()
    expect(engine.loopHandles).toBe(0)
    expect(await ctx.engine.store.instances.find(engine.instanceId)).toMatchObject({status: 'stopped', info: {}})
    expect((await ctx.engine.store.instances.live(60_000)).map((i) => i.instance_id)).not.toContain(engine.instanceId)
    expect(readState(ctx.backend.loaded.paths.home)).toMatchObject({instance_id: engine.instanceId, status: 'stopped'})
    // No timer of the engine outlives it (the logger's last flush may take a moment).
    await until('the engine’s timers gone', () => timeouts() <= before, 3000, 20)
    // A second stop does nothing.
    await engine.stop()
    expect(await ctx.engine.store.instances.find(engine.instanceId)).toMatchObject({status: 'stopped'})
  })
})
