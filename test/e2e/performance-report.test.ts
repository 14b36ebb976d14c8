import {existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {openHandle} from '../../src/engine/handle.js'
import {backendKinds, createBackend, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, expectRefusal, ok} from '../helpers/e2e.js'

/**
 * End-to-end: `ordermon monitor performance-report` as a process on each backend, over a known data
 * set — metric samples (2024-01-01 rolled up to one-minute rows, 2024-01-02 raw), orders and fills
 * on known days, and rows just outside the range — checked number by number in --json, in the
 * --output file and in the plain table; bad dates and bad paths exit 2 and leave no file.
 */

const RANGE = ['--start-date', '2024-01-01', '--end-date', '2024-01-04']

const empty = {avg_tps: null, peak_tps: null, avg_latency_ms: null, p99_latency_ms: null, orders: 0, fills: 0, volume: 0, turnover: 0, rejected: 0, error_rate_pct: null, avg_cpu_pct: null, peak_cpu_pct: null, avg_memory_pct: null, peak_memory_pct: null}

/** What the data set below must give (worked out by hand; see the comments there). */
const expected = {
  period: {start_date: '2024-01-01', end_date: '2024-01-04', days: 4},
  summary: {
    // tps: day 1 covers 120 s at mean 30, day 2 covers 20 s at mean 75: 5100 / 140.
    avg_tps: 36.43,
    peak_tps: 100,
    avg_latency_ms: 6.21, // (7 * 120 + 1.5 * 20) / 140
    p99_latency_ms: 9,
    orders: 6,
    fills: 3,
    volume: 15.5,
    turnover: 2054.995,
    rejected: 3,
    error_rate_pct: 50,
    avg_cpu_pct: 57.86, // (65 * 120 + 15 * 20) / 140
    peak_cpu_pct: 80,
    avg_memory_pct: 56.43, // (60 * 120 + 35 * 20) / 140
    peak_memory_pct: 60,
  },
  daily: [
    {date: '2024-01-01', avg_tps: 30, peak_tps: 40, avg_latency_ms: 7, p99_latency_ms: 9, orders: 4, fills: 2, volume: 15, turnover: 2005, rejected: 1, error_rate_pct: 25, avg_cpu_pct: 65, peak_cpu_pct: 80, avg_memory_pct: 60, peak_memory_pct: 60},
    {date: '2024-01-02', avg_tps: 75, peak_tps: 100, avg_latency_ms: 1.5, p99_latency_ms: 8, orders: 0, fills: 1, volume: 0.5, turnover: 49.995, rejected: 0, error_rate_pct: null, avg_cpu_pct: 15, peak_cpu_pct: 20, avg_memory_pct: 35, peak_memory_pct: 40},
    {date: '2024-01-03', ...empty, orders: 2, rejected: 2, error_rate_pct: 100},
    {date: '2024-01-04', ...empty},
  ],
}

async function seed(backend: TestBackend): Promise<void> {
  const h = await openHandle({loaded: backend.loaded})
  try {
    const knex = h.db.knex
    const db = (iso: string) => h.store.dialect.toDb(new Date(iso))
    const metrics = h.store.metrics
    const sample = (iso: string, tps: number, cpu: number, mem: number, lat: number, p99: number) =>
      metrics.insertSample('e2e', new Date(iso), {tps, cpu_usage: cpu, memory_usage: mem, avg_latency_ms: lat, p99_latency_ms: p99})
    // 2024-01-01, rolled up below: bucket 10:00 = tps 20 (max 30), cpu 50, mem 60, latency 4, p99 max 9;
    // bucket 10:01 = tps 40, cpu 80, mem 60, latency 10, p99 3. Per day: tps 30/40, latency 7, cpu 65/80.
    await sample('2024-01-01T10:00:00Z', 10, 50, 60, 2, 5)
    await sample('2024-01-01T10:00:10Z', 20, 50, 60, 4, 9)
    await sample('2024-01-01T10:00:20Z', 30, 50, 60, 6, 7)
    await sample('2024-01-01T10:01:00Z', 40, 80, 60, 10, 3)
    await sample('2023-12-31T23:59:50Z', 1000, 99, 99, 999, 999) // before the range
    let rolled = 0
    for (let n; (n = await metrics.rollupBatch(new Date('2024-01-02T00:00:00Z'), 60, 1000)) > 0; ) rolled += n
    expect(rolled).toBe(25)
    // 2024-01-02, raw: tps 75/100, latency 1.5, p99 8, cpu 15/20, mem 35/40.
    await sample('2024-01-02T12:00:00Z', 100, 10, 30, 1, 4)
    await sample('2024-01-02T12:00:10Z', 50, 20, 40, 2, 8)
    await sample('2024-01-05T00:00:00Z', 1000, 99, 99, 999, 999) // after the range

    const at = (iso: string) => ({created_at: db(iso), updated_at: db(iso), synced_at: db(iso)})
    await knex('users').insert({user_id: 'U000901', username: 'perf_e2e', password_hash: 'x', ...at('2023-12-01T00:00:00Z')})
    const order = (id: string, iso: string, status: string) => ({
      order_id: id,
      user_id: 'U000901',
      symbol: 'AAPL',
      side: 'buy',
      order_type: 'limit',
      time_in_force: 'GTC',
      quantity: 100,
      price: 100,
      status,
      ...at(iso),
    })
    await knex('orders').insert([
      order('ORD-P0', '2023-12-31T23:59:59.999Z', 'rejected'), // before the range
      order('ORD-P1', '2024-01-01T00:00:00.000Z', 'partially_filled'),
      order('ORD-P2', '2024-01-01T11:00:00Z', 'partially_filled'),
      order('ORD-P3', '2024-01-01T12:00:00Z', 'pending'),
      order('ORD-P4', '2024-01-01T23:59:59.999Z', 'rejected'),
      order('ORD-P5', '2024-01-03T08:00:00Z', 'rejected'),
      order('ORD-P6', '2024-01-03T09:00:00Z', 'rejected'),
      order('ORD-P7', '2024-01-05T00:00:00Z', 'rejected'), // after the range
    ])
    const fill = (orderId: string, quantity: number, price: number, iso: string) => ({order_id: orderId, user_id: 'U000901', symbol: 'AAPL', side: 'buy', quantity, price, fee: 0, at: db(iso)})
    await knex('fills').insert([
      fill('ORD-P1', 10, 100.5, '2024-01-01T10:00:01Z'),
      fill('ORD-P2', 5, 200, '2024-01-01T12:30:00Z'),
      fill('ORD-P1', 0.5, 99.99, '2024-01-02T09:00:00Z'),
      fill('ORD-P2', 1000, 1, '2024-01-05T00:00:00Z'), // after the range
    ])
  } finally {
    await h.close()
  }
}

describe.each(backendKinds)('monitor performance-report on %s', (kind) => {
  let backend: TestBackend
  const cli = cliIn(() => backend)
  const plain = {env: {ORDERMON_OUTPUT: 'plain'}}
  const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'))

  beforeAll(async () => {
    backend = await createBackend(kind)
    ok(await cli(['init']))
    await seed(backend)
  })

  afterAll(async () => {
    await backend?.cleanup()
  })

  it('--json prints the report: every figure, per day and in all', async () => {
    const before = Date.now()
    const r = await cli(['monitor', 'performance-report', ...RANGE, '--json'])
    ok(r)
    const report = json(r)
    expect(Date.parse(report.generated_at)).toBeGreaterThanOrEqual(before - 1000)
    const {generated_at: _, ...rest} = report
    expect(rest).toEqual(expected)
  })

  it('--output writes the same report to the file, whole, and says so in one line', async () => {
    const r = await cli(['monitor', 'performance-report', ...RANGE, '--output', 'report.json'], plain)
    ok(r)
    expect(r.stdout).toBe('Performance report 2024-01-01..2024-01-04 (4 days) written to report.json.\n')
    const file = JSON.parse(readFileSync(join(backend.dir, 'report.json'), 'utf8'))
    expect(file.period).toEqual(expected.period)
    expect(file.summary).toEqual(expected.summary)
    expect(file.daily).toEqual(expected.daily)
    expect(leftovers(backend.dir)).toEqual([])
    // A second run replaces the file (rename over it), again with nothing left behind.
    ok(await cli(['monitor', 'performance-report', '--start-date', '2024-01-03', '--end-date', '2024-01-03', '--output', 'report.json'], plain))
    expect(JSON.parse(readFileSync(join(backend.dir, 'report.json'), 'utf8')).daily).toEqual([expected.daily[2]])
    expect(leftovers(backend.dir)).toEqual([])
  })

  it('without --output: one row per day and one for all days (plain when piped)', async () => {
    const r = await cli(['monitor', 'performance-report', ...RANGE], plain)
    ok(r)
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'Date\tAvg TPS\tPeak TPS\tAvg ms\tP99 ms\tOrders\tFills\tVolume\tTurnover\tRejected\tError %\tCPU % avg/peak\tMem % avg/peak',
      '2024-01-01\t30\t40\t7\t9\t4\t2\t15\t2005\t1\t25\t65/80\t60/60',
      '2024-01-02\t75\t100\t1.5\t8\t0\t1\t0.5\t49.995\t0\t-\t15/20\t35/40',
      '2024-01-03\t-\t-\t-\t-\t2\t0\t0\t0\t2\t100\t-\t-',
      '2024-01-04\t-\t-\t-\t-\t0\t0\t0\t0\t0\t-\t-\t-',
      'all days\t36.43\t100\t6.21\t9\t6\t3\t15.5\t2054.995\t3\t50\t57.86/80\t56.43/60',
    ])
  })

  it('a whole leap year (366 days) is allowed; one day more is not', async () => {
    const r = await cli(['monitor', 'performance-report', '--start-date', '2024-01-01', '--end-date', '2024-12-31', '--json'])
    ok(r)
    const report = json(r)
    expect(report.period).toEqual({start_date: '2024-01-01', end_date: '2024-12-31', days: 366})
    expect(report.daily).toHaveLength(366)
    expect(report.daily.slice(0, 4)).toEqual(expected.daily)
    const line = expectRefusal(await cli(['monitor', 'performance-report', '--start-date', '2024-01-01', '--end-date', '2025-01-01', '--output', 'long.json']), 2)
    expect(line).toMatch(/367 days; a performance report covers at most 366/)
    expect(existsSync(join(backend.dir, 'long.json'))).toBe(false)
  })

  it.each([
    [['--start-date', '2024-02-30', '--end-date', '2024-03-01'], /start-date "2024-02-30" is not a valid day: 2024-02 has days 01-29/],
    [['--start-date', '2023-01-01', '--end-date', '2023-02-29'], /end-date "2023-02-29" .*2023 is not a leap year/],
    [['--start-date', '2024/01/01', '--end-date', '2024-01-31'], /start-date "2024\/01\/01" is not a day: use YYYY-MM-DD/],
    [['--start-date', '2024-01-01T00:00:00Z', '--end-date', '2024-01-31'], /is not a day: use YYYY-MM-DD/],
    [['--start-date', '2024-01-31', '--end-date', '2024-01-01'], /end-date "2024-01-01" is before start-date "2024-01-31"/],
    [['--start-date', '2024-01-01'], /end-date/],
  ])('%j exits 2 with one line and writes no file', async (args, reason) => {
    const line = expectRefusal(await cli(['monitor', 'performance-report', ...args, '--output', 'bad.json']), 2)
    expect(line).toMatch(reason)
    expect(existsSync(join(backend.dir, 'bad.json'))).toBe(false)
    expect(leftovers(backend.dir)).toEqual([])
  })

  it('an --output in a missing directory, or naming a directory, exits 2 with one line and creates nothing', async () => {
    const missing = expectRefusal(await cli(['monitor', 'performance-report', ...RANGE, '--output', 'no-such-dir/report.json']), 2)
    expect(missing).toMatch(/--output "no-such-dir\/report.json": the directory .*no-such-dir does not exist/)
    expect(existsSync(join(backend.dir, 'no-such-dir'))).toBe(false)
    mkdirSync(join(backend.dir, 'out'), {recursive: true})
    const dir = expectRefusal(await cli(['monitor', 'performance-report', ...RANGE, '--output', 'out']), 2)
    expect(dir).toMatch(/--output "out" is a directory, not a file/)
    expect(readdirSync(join(backend.dir, 'out'))).toEqual([])
  })
})
