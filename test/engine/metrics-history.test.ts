import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/engine/config/index.js'
import {performanceReport} from '../../src/engine/reports/performance.js'
import {Housekeeping} from '../../src/engine/runtime/housekeeping.js'
import {migrateLatest} from '../../src/engine/store/index.js'
import * as resolution from '../../migrations/20261202000300_metrics_resolution.js'
import {backendKinds, createBackend, migratedEngine, type BackendKind} from '../helpers/backends.js'
import {useEngine} from '../helpers/suite.js'

/**
 * Metric history on both backends: raw samples roll up into one mean and one maximum per bucket
 * (whole buckets only, a bounded number per call, never twice), range() reads raw rows where they
 * are and rolled rows before them, housekeeping rolls up by raw_retention_hours and prunes by
 * metrics_retention_days, and dailyStats aggregates per day in SQL, time-weighted.
 */

const silent = {info: () => {}, warn: () => {}, error: () => {}} as never
const T0 = Date.parse('2024-03-10T08:00:00Z')
const at = (offsetS: number) => new Date(T0 + offsetS * 1000)

describe.each(backendKinds)('metric history on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)
  const metrics = () => ctx.engine.store.metrics
  const knex = () => ctx.engine.db.knex

  /** Raw samples: [seconds after T0, value] of one name, for one instance. */
  const samples = async (name: string, points: Array<[number, number]>, instance = 'i1') => {
    for (const [s, v] of points) await metrics().insertSample(instance, at(s), {[name]: v})
  }
  const rows = async () =>
    (await knex()('metrics').select('name', 'value', 'instance_id', 'at', 'step_s').orderBy('at').orderBy('name').orderBy('instance_id')).map((r) => ({
      name: r.name as string,
      value: Number(r.value),
      instance_id: r.instance_id as string,
      at: ctx.engine.store.dialect.toIso(r.at)!,
      step_s: Number(r.step_s),
    }))
  const iso = (offsetS: number) => at(offsetS).toISOString()

  it('rolls raw samples into a mean and a maximum per name, instance and bucket, and deletes them', async () => {
    await knex()('metrics').delete()
    await samples('tps', [[0, 10], [10, 20], [20, 30], [60, 40], [130, 99]])
    await samples('tps', [[5, 1], [15, 3]], 'i2')
    await samples('cpu_usage', [[0, 50], [30, 70]])
    // Cut at T0+125 s: buckets 08:00 and 08:01 are whole; 08:02 holds the cut and stays raw.
    const rolled = await metrics().rollupBatch(at(125), 60, 100)
    expect(rolled).toBe(8)
    expect(await rows()).toEqual([
      {name: 'cpu_usage', value: 60, instance_id: 'i1', at: iso(0), step_s: 60},
      {name: 'cpu_usage:max', value: 70, instance_id: 'i1', at: iso(0), step_s: 60},
      {name: 'tps', value: 20, instance_id: 'i1', at: iso(0), step_s: 60},
      {name: 'tps', value: 2, instance_id: 'i2', at: iso(0), step_s: 60},
      {name: 'tps:max', value: 30, instance_id: 'i1', at: iso(0), step_s: 60},
      {name: 'tps:max', value: 3, instance_id: 'i2', at: iso(0), step_s: 60},
      {name: 'tps', value: 40, instance_id: 'i1', at: iso(60), step_s: 60},
      {name: 'tps:max', value: 40, instance_id: 'i1', at: iso(60), step_s: 60},
      {name: 'tps', value: 99, instance_id: 'i1', at: iso(130), step_s: 0},
    ])
    // Idempotent: the same cut again rolls nothing and changes nothing.
    const before = await rows()
    expect(await metrics().rollupBatch(at(125), 60, 100)).toBe(0)
    expect(await rows()).toEqual(before)
  })

  it('rolls at most maxBuckets buckets per call, oldest first, and skips empty time', async () => {
    await knex()('metrics').delete()
    // Five one-minute buckets with data, then a gap of a day, then one more.
    const points: Array<[number, number]> = []
    for (let b = 0; b < 5; b++) for (let s = 0; s < 60; s += 10) points.push([b * 60 + s, b])
    points.push([86_400, 7])
    await samples('tps', points)
    const cut = at(86_400 + 60)
    expect(await metrics().rollupBatch(cut, 60, 2)).toBe(12)
    expect(await metrics().rollupBatch(cut, 60, 2)).toBe(12)
    expect(await metrics().rollupBatch(cut, 60, 2)).toBe(6)
    // The next call starts at the oldest raw row, a day later, not at the empty minutes between.
    expect(await metrics().rollupBatch(cut, 60, 2)).toBe(1)
    expect(await metrics().rollupBatch(cut, 60, 2)).toBe(0)
    const means = (await rows()).filter((r) => r.name === 'tps')
    expect(means.map((r) => [r.at, r.value, r.step_s])).toEqual([...[0, 1, 2, 3, 4].map((b) => [iso(b * 60), b, 60]), [iso(86_400), 7, 60]])
  })

  it('range() reads rolled buckets before the first raw sample and raw samples from there, with maxima', async () => {
    await knex()('metrics').delete()
    await samples('tps', [[0, 10], [10, 30], [60, 50], [120, 1], [130, 2]])
    await samples('cpu_usage', [[0, 5], [120, 6]])
    await metrics().rollupBatch(at(120), 60, 100)
    const points = await metrics().range(['tps'], at(0), at(3600))
    expect(points.map((p) => [p.at, p.value, p.max, p.step_s])).toEqual([
      [iso(0), 20, 30, 60],
      [iso(60), 50, 50, 60],
      [iso(120), 1, 1, 0],
      [iso(130), 2, 2, 0],
    ])
    expect(points.every((p) => p.name === 'tps' && p.instance_id === 'i1')).toBe(true)
    // Bounds are half-open, the limit keeps the oldest, names are kept apart.
    expect((await metrics().range(['tps'], at(60), at(130))).map((p) => p.at)).toEqual([iso(60), iso(120)])
    expect((await metrics().range(['tps'], at(0), at(3600), {limit: 3})).map((p) => p.at)).toEqual([iso(0), iso(60), iso(120)])
    expect((await metrics().range(['tps', 'cpu_usage'], at(0), at(3600))).map((p) => `${p.name}@${p.at}`)).toEqual([
      `cpu_usage@${iso(0)}`,
      `tps@${iso(0)}`,
      `tps@${iso(60)}`,
      `cpu_usage@${iso(120)}`,
      `tps@${iso(120)}`,
      `tps@${iso(130)}`,
    ])
    expect(await metrics().range(['tps'], at(0), at(3600), {instanceId: 'other'})).toEqual([])
  })

  it('housekeeping prunes history past metrics_retention_days, then rolls raw rows past raw_retention_hours', async () => {
    await knex()('metrics').delete()
    const loaded = loadConfig({
      cwd: ctx.backend.dir,
      env: {...ctx.backend.env, ORDERMON__MONITORING__RAW_RETENTION_HOURS: '1', ORDERMON__MONITORING__ROLLUP_INTERVAL: '60', ORDERMON__MONITORING__METRICS_RETENTION_DAYS: '1'},
    })
    const keeper = new Housekeeping({store: ctx.engine.store, config: () => loaded.config, logDir: join(ctx.backend.dir, 'hk-logs'), logger: silent, localPositions: () => [], stopping: () => false})
    const now = new Date(Math.floor(Date.now() / 60_000) * 60_000)
    const ago = (ms: number) => new Date(now.getTime() - ms)
    // Inserted newest first, so the oldest rows do not have the lowest ids.
    await metrics().insertSample('i1', ago(30 * 60_000), {tps: 1, cpu_usage: 10}) // raw, kept
    await metrics().insertSample('i1', ago(3 * 3_600_000), {tps: 2, cpu_usage: 20}) // rolled up
    await metrics().insertSample('i1', ago(3 * 3_600_000 - 10_000), {tps: 4, cpu_usage: 40}) // same bucket
    await metrics().insertSample('i1', ago(2 * 86_400_000), {tps: 3, cpu_usage: 30}) // pruned
    const first = await keeper.run(now)
    expect(first.metrics_pruned).toBe(2)
    expect(first.metrics_rolled_up).toBe(4)
    const iso3h = ago(3 * 3_600_000).toISOString()
    expect((await rows()).map((r) => [r.name, r.value, r.step_s, r.at])).toEqual([
      ['cpu_usage', 30, 60, iso3h],
      ['cpu_usage:max', 40, 60, iso3h],
      ['tps', 3, 60, iso3h],
      ['tps:max', 4, 60, iso3h],
      ['cpu_usage', 10, 0, ago(30 * 60_000).toISOString()],
      ['tps', 1, 0, ago(30 * 60_000).toISOString()],
    ])
    const second = await keeper.run(now)
    expect([second.metrics_pruned, second.metrics_rolled_up]).toEqual([0, 0])
    // 22 hours on: the rolled rows are past the day (their ids are the newest: pruneBatch alone,
    // which walks ids, would miss them), and the raw ones past the hour are rolled up.
    const later = await keeper.run(new Date(now.getTime() + 22 * 3_600_000))
    expect(later.metrics_pruned).toBe(4)
    expect(later.metrics_rolled_up).toBe(2)
    expect((await rows()).map((r) => [r.name, r.value, r.step_s])).toEqual([
      ['cpu_usage', 10, 60],
      ['cpu_usage:max', 10, 60],
      ['tps', 1, 60],
      ['tps:max', 1, 60],
    ])
  })

  it('raw rows kept as long as the whole history are pruned, never rolled up', async () => {
    await knex()('metrics').delete()
    const loaded = loadConfig({cwd: ctx.backend.dir, env: {...ctx.backend.env, ORDERMON__MONITORING__RAW_RETENTION_HOURS: '48', ORDERMON__MONITORING__METRICS_RETENTION_DAYS: '1'}})
    const keeper = new Housekeeping({store: ctx.engine.store, config: () => loaded.config, logDir: join(ctx.backend.dir, 'hk-logs'), logger: silent, localPositions: () => [], stopping: () => false})
    await metrics().insertSample('i1', new Date(Date.now() - 30 * 3_600_000), {tps: 1})
    await metrics().insertSample('i1', new Date(Date.now() - 3_600_000), {tps: 2})
    const r = await keeper.run()
    expect([r.metrics_pruned, r.metrics_rolled_up]).toEqual([1, 0])
    expect((await rows()).map((x) => [x.value, x.step_s])).toEqual([[2, 0]])
  })

  it('dailyStats: per UTC day, time-weighted over raw and rolled rows, maxima from both', async () => {
    await knex()('metrics').delete()
    const day = (d: string, time: string) => (Date.parse(`${d}T${time}Z`) - T0) / 1000
    // 2024-03-11: bucket 00:00 (1, 2, 3 -> mean 2, max 3) and bucket 00:01 (10) rolled; 00:05 stays raw (8).
    await samples('tps', [[day('2024-03-11', '00:00:00'), 1], [day('2024-03-11', '00:00:10'), 2], [day('2024-03-11', '00:00:20'), 3], [day('2024-03-11', '00:01:00'), 10], [day('2024-03-11', '00:05:00'), 8]])
    // Just before midnight UTC: 2024-03-11 in UTC, 2024-03-12 an hour east.
    await samples('tps', [[day('2024-03-11', '23:30:00'), 4]])
    expect(await metrics().rollupBatch(new Date('2024-03-11T00:02:00Z'), 60, 100)).toBe(4)
    // 2024-03-10: raw only (written after the rollup, which would have taken it too).
    await samples('tps', [[day('2024-03-10', '09:00:00'), 10], [day('2024-03-10', '21:00:00'), 20]])
    await samples('p99_latency_ms', [[day('2024-03-10', '09:00:00'), 7], [day('2024-03-10', '21:00:00'), 12]])
    const stats = await metrics().dailyStats(['tps', 'p99_latency_ms'], new Date('2024-03-10T00:00:00Z'), new Date('2024-03-13T00:00:00Z'))
    const close = (x: number) => Math.round(x * 1e9) / 1e9
    expect(stats.map((s) => ({...s, avg: close(s.avg)}))).toEqual([
      {day: '2024-03-10', name: 'p99_latency_ms', avg: 9.5, max: 12, samples: 2, covered_s: 20},
      {day: '2024-03-10', name: 'tps', avg: 15, max: 20, samples: 2, covered_s: 20},
      // Two minute-buckets (2 and 10, 60 s each) and two raw samples (8 and 4, 10 s each).
      {day: '2024-03-11', name: 'tps', avg: close((2 * 60 + 10 * 60 + 8 * 10 + 4 * 10) / 140), max: 10, samples: 4, covered_s: 140},
    ])
    // The raw step weighs raw samples; the offset moves the day boundary.
    const east = await metrics().dailyStats(['tps'], new Date('2024-03-11T00:00:00Z'), new Date('2024-03-12T00:00:00Z'), 60, 60)
    expect(east.map((s) => [s.day, close(s.avg), s.max, s.covered_s])).toEqual([
      ['2024-03-11', close((2 * 60 + 10 * 60 + 8 * 60) / 180), 10, 180],
      ['2024-03-12', 4, 4, 60],
    ])
    expect(await metrics().dailyStats([], new Date(0), new Date())).toEqual([])
  })

  it('performanceReport lists every day: nulls for metrics and zeros for orders where there is no data', async () => {
    await knex()('metrics').delete()
    await samples('tps', [[0, 6], [10, 8]])
    await samples('cpu_usage', [[0, 30]])
    const report = await performanceReport(ctx.engine.store, {from: new Date('2024-03-09T00:00:00Z'), to: new Date('2024-03-11T00:00:00Z')}, new Date('2024-03-12T00:00:00Z'))
    expect(report.period).toEqual({start_date: '2024-03-09', end_date: '2024-03-10', days: 2})
    expect(report.generated_at).toBe('2024-03-12T00:00:00.000Z')
    const empty = {avg_tps: null, peak_tps: null, avg_latency_ms: null, p99_latency_ms: null, orders: 0, fills: 0, volume: 0, turnover: 0, rejected: 0, error_rate_pct: null, avg_cpu_pct: null, peak_cpu_pct: null, avg_memory_pct: null, peak_memory_pct: null}
    const day10 = {...empty, avg_tps: 7, peak_tps: 8, avg_cpu_pct: 30, peak_cpu_pct: 30}
    expect(report.daily).toEqual([{date: '2024-03-09', ...empty}, {date: '2024-03-10', ...day10}])
    expect(report.summary).toEqual(day10)
  })
})

describe.each(backendKinds)('the metrics_resolution migration on %s', (kind: BackendKind) => {
  it('down() drops step_s and the :max companions, keeping rolled means as samples; up() restores the column', async () => {
    const backend = await createBackend(kind)
    const engine = await migratedEngine(backend).catch(async (e) => {
      await backend.cleanup()
      throw e
    })
    try {
      const knex = engine.db.knex
      await engine.store.metrics.insertSample('i1', at(0), {tps: 1})
      await engine.store.metrics.insertSample('i1', at(10), {tps: 3})
      await engine.store.metrics.rollupBatch(at(60), 60, 10)
      await resolution.down(knex)
      expect(await knex.schema.hasColumn('metrics', 'step_s')).toBe(false)
      expect((await knex('metrics').select('name', 'value')).map((r) => [r.name, Number(r.value)])).toEqual([['tps', 2]])
      await resolution.up(knex)
      expect((await knex('metrics').select('name', 'step_s')).map((r) => [r.name, Number(r.step_s)])).toEqual([['tps', 0]])
      await migrateLatest(knex) // nothing pending: the migration table never changed
    } finally {
      await engine.close()
      await backend.cleanup()
    }
  })
})
