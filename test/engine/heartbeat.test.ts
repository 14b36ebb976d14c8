import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, statSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {readState, statePath, type EngineState} from '../../src/engine/daemon/pidfile.js'
import type {MetricsSnapshot} from '../../src/engine/metrics/snapshot.js'
import {Heartbeat} from '../../src/engine/runtime/heartbeat.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {recordingLogger} from '../helpers/engine-parts.js'
import {useEngine} from '../helpers/suite.js'

/**
 * Heartbeat on its own, on both backends: engine.json for this machine, the engine_instances row
 * (counts and latest metrics) for everyone else, degraded after a reported failure until the next
 * beat, the stopped row at the end, a newer engine on the database noticed once, and a state file
 * that cannot be written logged rather than thrown.
 */

const OTHER_HOST = 'elsewhere.example'

describe.each(backendKinds)('Heartbeat on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)

  beforeEach(async () => {
    // Each test sees only the engine rows it makes.
    await ctx.engine.db.knex('engine_instances').delete()
  })

  function heartbeat(options: {home?: string; startedAt?: Date} = {}) {
    const id = `hb-${randomBytes(4).toString('hex')}`
    const home = options.home ?? join(ctx.backend.dir, `home-${id}`)
    if (!options.home) mkdirSync(home, {recursive: true})
    const startedAt = options.startedAt ?? new Date(Date.now() - 60_000)
    const {logger, entries} = recordingLogger()
    const superseded: string[] = []
    const counts = {users: 3, strategies: 2, open_orders: 5}
    const metrics = {at: new Date().toISOString(), instance_id: id, business: {active_users: 3, tps: 12.5}} as unknown as MetricsSnapshot
    const status = (): EngineState => ({
      pid: process.pid,
      instance_id: id,
      version: 'test',
      backend: kind,
      database: 'test-db',
      redis: null,
      status: 'running',
      started_at: startedAt.toISOString(),
      updated_at: new Date().toISOString(),
      ...counts,
      events_per_s: 1.5,
      events_total: 42,
      transitions_total: 7,
      last_scan_at: null,
      last_error: hb.error,
    })
    const hb: Heartbeat = new Heartbeat({
      store: ctx.engine.store,
      home,
      logger,
      startedAt,
      row: (s) => ({instance_id: id, hostname: hostname(), pid: process.pid, version: 'test', backend: kind, status: s, info: {}}),
      status,
      latestMetrics: () => metrics,
      ttlMs: () => 5000,
      onSuperseded: (by) => superseded.push(by),
    })
    return {hb, id, home, entries, superseded, counts, metrics}
  }

  const row = (id: string) => ctx.engine.store.instances.find(id)
  const other = (instance_id: string, over: {hostname?: string; pid?: number; status?: string} = {}) =>
    ctx.engine.store.instances.heartbeat({instance_id, hostname: over.hostname ?? OTHER_HOST, pid: over.pid ?? 4242, version: 'x', backend: kind, status: over.status ?? 'running', info: {}})

  it('beat() writes engine.json (running) and the engine_instances row with counts and the latest metrics', async () => {
    const t = heartbeat()
    await t.hb.beat()
    const state = readState(t.home)!
    expect(state).toMatchObject({status: 'running', pid: process.pid, instance_id: t.id, users: 3, strategies: 2, open_orders: 5, events_total: 42, last_error: null})
    expect(typeof state.proc_start).toBe('string')
    expect(statSync(statePath(t.home)).mode & 0o777).toBe(0o600)
    const r = await row(t.id)
    expect(r).toMatchObject({instance_id: t.id, hostname: hostname(), pid: process.pid, version: 'test', backend: kind, status: 'running'})
    expect(r!.info).toEqual({users: 3, strategies: 2, open_orders: 5, events_per_s: 1.5, last_error: null, metrics: t.metrics})
    expect(r!.heartbeat_age_ms).toBeLessThan(5000)
    expect((await ctx.engine.store.instances.live(5000)).map((i) => i.instance_id)).toEqual([t.id])

    // The next beat updates the same row.
    t.counts.users = 4
    t.counts.open_orders = 0
    await t.hb.beat()
    expect((await row(t.id))!.info).toMatchObject({users: 4, open_orders: 0})
    expect(readState(t.home)).toMatchObject({users: 4, open_orders: 0})
    expect(await ctx.engine.db.knex('engine_instances').count({n: '*'}).first()).toMatchObject({n: 1})
    expect(t.entries).toEqual([])
  })

  it('a reported failure shows as degraded at the next beat, and running again at the one after', async () => {
    const t = heartbeat()
    await t.hb.beat()
    t.hb.report('db_connection_failed: connection refused')
    expect(t.hb.error).toBe('db_connection_failed: connection refused')
    await t.hb.beat()
    expect(readState(t.home)).toMatchObject({status: 'degraded', last_error: 'db_connection_failed: connection refused'})
    const r = await row(t.id)
    expect(r!.status).toBe('running')
    expect(r!.info.last_error).toBe('db_connection_failed: connection refused')
    // Cleared by the beat that reported it.
    expect(t.hb.error).toBeNull()
    await t.hb.beat()
    expect(readState(t.home)).toMatchObject({status: 'running', last_error: null})
    expect((await row(t.id))!.info.last_error).toBeNull()
  })

  it('stopped() marks the row stopped (no longer live); it never throws', async () => {
    const t = heartbeat()
    await t.hb.beat()
    await t.hb.stopped()
    const r = await row(t.id)
    expect(r).toMatchObject({status: 'stopped', info: {}})
    expect(await ctx.engine.store.instances.live(5000)).toEqual([])
    // The table gone (the database in trouble at stop): still resolves.
    await ctx.engine.db.knex.schema.renameTable('engine_instances', 'engine_instances_away')
    try {
      await expect(t.hb.stopped()).resolves.toBeUndefined()
    } finally {
      await ctx.engine.db.knex.schema.renameTable('engine_instances_away', 'engine_instances')
    }
  })

  it('a newer live engine on the database triggers onSuperseded exactly once; older, stopped or dead ones do not', async () => {
    const t = heartbeat()
    await t.hb.beat()
    expect(t.superseded).toEqual([])
    // Started before this engine: this one is the newer, nothing to yield to.
    await other('older')
    await ctx.engine.db.knex('engine_instances').where({instance_id: 'older'}).update({started_at: ctx.engine.store.dialect.toDb(new Date(Date.now() - 120_000))})
    // Newer but stopped, and newer on this host with a pid that is gone: not live engines.
    await other('newer-stopped', {status: 'stopped'})
    await other('newer-dead-here', {hostname: hostname(), pid: 2 ** 22 + 7})
    await t.hb.beat()
    expect(t.superseded).toEqual([])

    await other('newer')
    await t.hb.beat()
    expect(t.superseded).toEqual(['newer'])
    expect(t.entries.filter((e) => e.level === 'error')).toEqual([{level: 'error', message: 'another engine claimed this database; stopping', meta: {instance: t.id, by: 'newer'}}])
    // Still there at the next beats: not called again.
    await other('newer')
    await t.hb.beat()
    await t.hb.beat()
    expect(t.superseded).toEqual(['newer'])
  })

  it('a state file that cannot be written is logged, not thrown; the row is still written', async () => {
    // A file where ORDERMON_HOME should be.
    const file = join(ctx.backend.dir, `not-a-dir-${randomBytes(3).toString('hex')}`)
    writeFileSync(file, 'x')
    const t = heartbeat({home: file})
    await expect(t.hb.beat()).resolves.toBeUndefined()
    expect((await row(t.id))!.status).toBe('running')
    expect(() => t.hb.write('stopping')).not.toThrow()
    const warnings = t.entries.filter((e) => e.level === 'warn')
    expect(warnings.map((w) => w.message)).toEqual(['cannot write engine state', 'cannot write engine state'])
    expect(String(warnings[0]!.meta!.error)).toMatch(/ENOTDIR/)

    // engine.json itself taken by a directory that is not empty: the rename over it fails.
    const home = join(ctx.backend.dir, `home-blocked-${randomBytes(3).toString('hex')}`)
    mkdirSync(join(statePath(home), 'inside'), {recursive: true})
    const u = heartbeat({home})
    await expect(u.hb.beat()).resolves.toBeUndefined()
    expect((await row(u.id))!.status).toBe('running')
    expect(u.entries.map((e) => [e.level, e.message])).toEqual([['warn', 'cannot write engine state']])
    expect(String(u.entries[0]!.meta!.error)).toMatch(/EISDIR|ENOTEMPTY|EEXIST|EPERM/)
    expect(existsSync(join(statePath(home), 'inside'))).toBe(true)
  })

  it('a failure reported while a beat is in flight is shown at the next beat, not lost', async () => {
    const t = heartbeat()
    const beating = t.hb.beat()
    // beat() has written engine.json and awaits the database; a loop fails meanwhile.
    t.hb.report('changes loop failed')
    await beating
    expect(t.hb.error).toBe('changes loop failed')
    await t.hb.beat()
    expect(readState(t.home)).toMatchObject({status: 'degraded', last_error: 'changes loop failed'})
  })
})
