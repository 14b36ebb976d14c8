import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {loadConfig, type LoadedConfig} from '../../src/engine/config/index.js'
import {seedDemo} from '../../src/engine/domain/seed/demo.js'
import {OrdermonError} from '../../src/engine/errors.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {MonitoringEngine} from '../../src/engine/runtime/engine.js'
import {LoopScheduler} from '../../src/engine/runtime/loop-scheduler.js'
import {REDIS_URL, backendKinds, createBackend, migratedEngine, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {sleep, until} from '../helpers/process.js'

/**
 * What a months-long engine depends on, in process on both backends: loops that hold one timer
 * each, one engine per database (a crashed one's claim lapsing within seconds), metric samples in
 * `metrics` instead of the outbox, and an engine that yields when another claimed its database.
 */

describe('LoopScheduler', () => {
  it('holds at most one timer per loop however many runs, and stop() waits for a run in flight', async () => {
    const errors: string[] = []
    const s = new LoopScheduler((loop) => errors.push(loop))
    let fast = 0
    let slowDone = false
    s.every('fast', async () => void fast++, () => 1)
    s.every('failing', async () => {
      throw new Error('boom')
    }, () => 1)
    s.every('slow', async () => {
      await sleep(150)
      slowDone = true
    }, () => 1)
    const seen: number[] = []
    for (let i = 0; i < 30; i++) {
      await sleep(5)
      seen.push(s.handles)
    }
    expect(fast).toBeGreaterThan(20)
    expect(Math.max(...seen)).toBeLessThanOrEqual(3)
    // A failing loop keeps running: its errors are reported, not fatal.
    expect(errors.length).toBeGreaterThan(10)
    expect(s.stats().find((l) => l.name === 'failing')!.failures).toBe(errors.length)
    await s.stop()
    expect(slowDone).toBe(true)
    expect(s.handles).toBe(0)
    const after = fast
    await sleep(30)
    expect(fast).toBe(after)
  })

  it('wake() runs a waiting loop now, a running one once more right after, and many wakes as one run', async () => {
    const s = new LoopScheduler(() => {})
    const runs: number[] = []
    let release: (() => void) | undefined
    s.every('relay', async () => {
      runs.push(Date.now())
      if (runs.length === 2) await new Promise<void>((r) => (release = r))
    }, () => 60_000)
    await until('the first run', () => runs.length === 1)
    // Waiting on a 60 s timer: woken, it runs at once (and still holds one timer at most).
    const t0 = Date.now()
    s.wake('relay')
    await until('the woken run', () => runs.length === 2, 1000, 5)
    expect(runs[1]! - t0).toBeLessThan(200)
    // Woken three times while it runs: one more run right after this one, not three.
    s.wake('relay')
    s.wake('relay')
    s.wake('relay')
    expect(s.handles).toBe(0)
    release!()
    await until('the run after the wakes', () => runs.length === 3, 1000, 5)
    await sleep(50)
    expect(runs).toHaveLength(3)
    expect(s.handles).toBe(1)
    s.wake('no-such-loop')
    await s.stop()
    s.wake('relay')
    await sleep(20)
    expect(runs).toHaveLength(3)
    expect(s.handles).toBe(0)
  })
})

describe.each(backendKinds)('engine for the long run on %s', (kind: BackendKind) => {
  let backend: TestBackend
  let setup: EngineHandle
  let setupError: unknown
  const engines: MonitoringEngine[] = []

  const configFor = (home: string, extra: Record<string, string> = {}): LoadedConfig =>
    loadConfig({
      cwd: backend.dir,
      env: {
        ...backend.env,
        ORDERMON_HOME: home,
        // Every engine here shares the suite's database, whatever its home.
        ...(backend.loaded.paths.sqliteFile ? {ORDERMON__DATABASE__FILENAME: backend.loaded.paths.sqliteFile} : {}),
        ORDERMON__ENGINE__TICK_MS: '50',
        ORDERMON__ENGINE__POLL_MS: '20',
        ORDERMON__ENGINE__HEARTBEAT_MS: '200',
        ORDERMON__ENGINE__METRICS_MS: '200',
        ORDERMON__ENGINE__PAPER_LATENCY_MS: '0',
        ORDERMON__ENGINE__INSTANCE_TTL_MS: '1500',
        ORDERMON__MONITORING__STORE_INTERVAL: '1',
        // One engine per database here (the claim, its refusal, yielding): engines sharing
        // MariaDB have their own suite (engine-sharing.test.ts).
        ORDERMON__ENGINE__SHARING: 'false',
        ...extra,
      },
    })

  const startEngine = async (home: string, extra: Record<string, string> = {}, onSuperseded?: (by: string) => void) => {
    const engine = new MonitoringEngine({loaded: configFor(home, extra), version: 'test', onSuperseded})
    engines.push(engine)
    await engine.start()
    return engine
  }

  beforeAll(async () => {
    try {
      backend = await createBackend(kind)
      setup = await migratedEngine(backend)
      await seedDemo({store: setup.store, config: backend.loaded.config}, {name: 'test', source: 'cli'})
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(async () => {
    if (setupError) throw setupError
    // Each test starts with no live engine row.
    await setup.db.knex('engine_instances').delete()
  })
  afterAll(async () => {
    for (const e of engines) await e.stop().catch(() => {})
    await setup?.close()
    await backend?.cleanup()
  })

  it('keeps one timer per loop while trading, stores metric samples, and puts none in the outbox', async () => {
    const engine = await startEngine(`${backend.dir}/home-a`)
    const handles: number[] = []
    for (let i = 0; i < 25; i++) {
      await sleep(100)
      handles.push(engine.loopHandles)
    }
    // changes, follow, market, heartbeat, metrics, notify, housekeeping (no relay without Redis).
    expect(Math.max(...handles)).toBeLessThanOrEqual(7)
    expect(engine.status().transitions_total + engine.status().events_total).toBeGreaterThan(0)
    // What the demo's dashboard shows while orders fill: real TPS and latency, not 0.0 and "-".
    const live = await until('metrics that show trading', () => {
      const b = engine.latestMetrics?.business
      return b && b.tps > 0 && b.avg_latency_ms !== null ? b : undefined
    }, 10_000)
    expect(live.p99_latency_ms).not.toBeNull()
    await until('a stored metrics sample', async () => (await setup.store.metrics.count()) > 0, 5000)
    const names = new Set((await setup.store.metrics.latest(new Date(Date.now() - 60_000))).map((p) => p.name))
    for (const n of ['cpu_usage', 'memory_usage', 'tps', 'active_users', 'pending_orders', 'rss_mb']) expect(names).toContain(n)
    expect(await setup.db.knex('events').where({type: 'system.metrics'}).count({n: '*'}).first()).toMatchObject({n: 0})
    // The heartbeat row carries the latest sample: what a panel without Redis shows.
    const [row] = await setup.store.instances.live(5000)
    expect(row!.instance_id).toBe(engine.instanceId)
    expect((row!.info.metrics as {business: {active_users: number}}).business.active_users).toBeGreaterThan(0)
    await engine.stop()
    expect(engine.loopHandles).toBe(0)
  })

  it('refuses a second engine on the same database, naming the live one; starts once it stopped', async () => {
    const first = await startEngine(`${backend.dir}/home-b1`)
    let refused: unknown
    try {
      await startEngine(`${backend.dir}/home-b2`)
    } catch (error) {
      refused = error
    }
    expect(refused).toBeInstanceOf(OrdermonError)
    const e = refused as OrdermonError
    expect(e.kind).toBe('conflict')
    expect(e.message).toContain(first.instanceId)
    expect(e.message).toContain(`pid ${process.pid}`)
    expect(e.message).toMatch(/host \S+/)
    expect(e.hint).toMatch(/ordermon stop/)
    await first.stop()
    const second = await startEngine(`${backend.dir}/home-b2`)
    expect(second.status().users).toBeGreaterThan(0)
    await second.stop()
  })

  it('a crashed engine on another host blocks a start only until its heartbeat is older than the TTL', async () => {
    // What a kill -9 on another host leaves: a running row whose heartbeat stops moving.
    await setup.store.instances.heartbeat({instance_id: 'remote-1', hostname: 'elsewhere.example', pid: 4242, version: 'x', backend: kind, status: 'running', info: {}})
    const t0 = Date.now()
    let started: MonitoringEngine | undefined
    let refusals = 0
    while (!started && Date.now() - t0 < 10_000) {
      try {
        started = await startEngine(`${backend.dir}/home-c`)
      } catch (error) {
        expect((error as OrdermonError).message).toContain('remote-1')
        refusals++
        await sleep(200)
      }
    }
    expect(refusals).toBeGreaterThan(0)
    expect(started, 'the engine started once the stale claim lapsed').toBeDefined()
    expect(Date.now() - t0).toBeLessThan(4000)
    await started!.stop()
  })

  it('a dead engine on this host (pid gone) does not block a restart at all', async () => {
    await setup.store.instances.heartbeat({instance_id: 'local-dead', hostname: (await import('node:os')).hostname(), pid: 2 ** 22 + 7, version: 'x', backend: kind, status: 'running', info: {}})
    const engine = await startEngine(`${backend.dir}/home-d`)
    expect((await setup.store.instances.find('local-dead'))!.status).toBe('failed')
    await engine.stop()
  })

  it('an engine that finds a newer engine live on its database yields', async () => {
    let by: string | undefined
    const engine = await startEngine(`${backend.dir}/home-e`, {}, (id) => (by = id))
    // As if this engine had been frozen past its TTL and another had claimed the database meanwhile.
    await sleep(20)
    await setup.store.instances.heartbeat({instance_id: 'newcomer', hostname: 'elsewhere.example', pid: 99, version: 'x', backend: kind, status: 'running', info: {}})
    await until('the engine yields', () => by, 5000)
    expect(by).toBe('newcomer')
    await engine.stop()
  })
})

describe('graceful stop under trading (MariaDB + Redis)', () => {
  let backend: TestBackend
  let setup: EngineHandle
  let setupError: unknown
  const prefix = `ordermon_stop_${process.pid}_${Date.now()}:`

  beforeAll(async () => {
    try {
      backend = await createBackend('mariadb')
      setup = await migratedEngine(backend)
      await seedDemo({store: setup.store, config: backend.loaded.config}, {name: 'test', source: 'cli'})
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })
  afterAll(async () => {
    await setup?.close()
    await backend?.cleanup()
  })

  it('publishes everything committed before it exits: the relay position is the newest event, every id reached Redis', async () => {
    const {Redis} = await import('ioredis')
    const sub = new Redis(REDIS_URL)
    const seen = new Set<number>()
    let metrics = 0
    sub.on('message', (channel: string, raw: string) => {
      const m = JSON.parse(raw) as {id: number; type: string}
      if (channel.endsWith('metrics')) metrics++
      else seen.add(m.id)
    })
    await sub.subscribe(`${prefix}events`, `${prefix}metrics`)
    const loaded = loadConfig({
      cwd: backend.dir,
      env: {...backend.env, ORDERMON_REDIS_URL: REDIS_URL, ORDERMON__REDIS__KEY_PREFIX: prefix, ORDERMON__ENGINE__TICK_MS: '50', ORDERMON__ENGINE__PAPER_LATENCY_MS: '0', ORDERMON__ENGINE__METRICS_MS: '200'},
    })
    const engine = new MonitoringEngine({loaded, version: 'test'})
    await engine.start()
    const first = await setup.store.events.maxId()
    await until('orders trading', async () => (await setup.store.events.maxId()) > first + 20, 15_000)
    await engine.stop()
    const newest = await setup.store.events.maxId()
    expect(await setup.store.events.offset(`relay.${prefix}`)).toBe(newest)
    await until('every event on Redis', () => {
      for (let id = first + 1; id <= newest; id++) if (!seen.has(id)) return false
      return true
    }, 3000).catch(() => undefined)
    const missing: number[] = []
    for (let id = first + 1; id <= newest; id++) if (!seen.has(id)) missing.push(id)
    // Ids that never committed (rolled back) leave gaps in the table; only ids that exist count.
    const existing = missing.length ? (await setup.store.events.byIds(missing)).map((e) => e.id) : []
    expect(existing).toEqual([])
    // Live metrics arrive on their own channel, not through the outbox.
    expect(metrics).toBeGreaterThan(0)
    expect(await setup.db.knex('events').where({type: 'system.metrics'}).count({n: '*'}).first()).toMatchObject({n: 0})
    sub.disconnect()
  })
})
