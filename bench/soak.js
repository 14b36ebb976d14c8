#!/usr/bin/env node
// Soak benchmark (JSON on stdout, also kept in bench/results-soak.json): the engine on MariaDB +
// Redis at 10,000 users / 30,000 strategies, the paper venue filling a steady flow of market orders
// and an outside gateway partially filling resting orders (together BENCH_RATE transitions/s), for
// BENCH_MINUTES (default 30). Every minute, after a forced GC: RSS and heap of the engine's process
// (the order flow runs in a child process of its own), and the outbox and metrics table sizes.
// A run of 30 minutes or more is kept in bench/results-soak.json.
// Short retention by default (SOAK_EVENTS_RETENTION_HOURS=0.05, i.e. 3 min) so pruning shows.
//   npm run bench:soak      (node --expose-gc bench/soak.js)
//   BENCH_MINUTES=30 BENCH_RATE=2000 BENCH_WARMUP_MINUTES=5
import {fork} from 'node:child_process'
import v8 from 'node:v8'
import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import knexFactory from 'knex'
import {seedScale} from './seed.js'

if (typeof global.gc !== 'function') {
  console.error('Run with node --expose-gc (npm run bench:soak does).')
  process.exit(2)
}
const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/index.js')
const {openHandle: openEngine} = await dist('engine/handle.js')
const {migrateLatest} = await dist('engine/store/index.js')
const {MonitoringEngine} = await dist('engine/runtime/engine.js')

const MYSQL = process.env.ORDERMON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS = process.env.ORDERMON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0'
const MINUTES = Number(process.env.BENCH_MINUTES ?? 30)
const WARMUP = Number(process.env.BENCH_WARMUP_MINUTES ?? Math.min(5, MINUTES / 3))
const TARGET = Number(process.env.BENCH_RATE ?? 2000)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const mb = (bytes) => Math.round((bytes / 1_048_576) * 10) / 10

function dirBytes(dir) {
  let total = 0
  let files = 0
  const walk = (d) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) {
        total += statSync(p).size
        files++
      }
    }
  }
  try {
    walk(dir)
  } catch {}
  return {mb: mb(total), files}
}

/** Least-squares slope of y over x (minutes), in units per hour. */
function slopePerHour(points) {
  if (points.length < 2) return null
  const n = points.length
  const mx = points.reduce((a, p) => a + p.x, 0) / n
  const my = points.reduce((a, p) => a + p.y, 0) / n
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0)
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0)
  return den ? Math.round((num / den) * 60 * 100) / 100 : null
}

const dir = mkdtempSync(join(tmpdir(), 'ordermon-soak-'))
const dbName = `ordermon_soak_${process.pid}`
const env = {
  ORDERMON_HOME: join(dir, '.ordermon'),
  ORDERMON_DATABASE_URL: `${MYSQL}/${dbName}`,
  ORDERMON_REDIS_URL: REDIS,
  ORDERMON__REDIS__KEY_PREFIX: `ordermon_soak_${process.pid}:`,
  ORDERMON__ENGINE__TICK_MS: '250',
  ORDERMON__ENGINE__PAPER_LATENCY_MS: '200',
  ORDERMON__ENGINE__HOUSEKEEPING_MS: '30000',
  ORDERMON__ENGINE__EVENTS_RETENTION_HOURS: process.env.SOAK_EVENTS_RETENTION_HOURS ?? '0.05',
  ORDERMON__MONITORING__METRICS_RETENTION_DAYS: process.env.SOAK_METRICS_RETENTION_DAYS ?? '0.0035',
  ORDERMON_LOG_LEVEL: 'info',
}
const loaded = loadConfig({cwd: dir, env})
const setup = await openEngine({loaded, create: true, requireSchema: false})
let engine
let load
const out = {node: process.version, at: new Date().toISOString(), minutes: MINUTES, warmup_minutes: WARMUP, target_transitions_per_s: TARGET, retention: {events_hours: Number(env.ORDERMON__ENGINE__EVENTS_RETENTION_HOURS), metrics_days: Number(env.ORDERMON__MONITORING__METRICS_RETENTION_DAYS)}}
try {
  await migrateLatest(setup.db.knex)
  out.seeded = await seedScale(setup.db.knex)
  const knex = setup.db.knex
  const count = async (table) => Number((await knex(table).count({n: '*'}).first()).n)

  engine = new MonitoringEngine({loaded, version: 'soak'})
  const t0 = performance.now()
  await engine.start()
  out.start_ms = Math.round(performance.now() - t0)
  out.monitored = {users: engine.status().users, strategies: engine.status().strategies, open_orders: engine.status().open_orders}

  load = fork(join(root, 'bench/soak-load.js'), [], {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'inherit', 'ipc']})
  // Market orders at a steady rate (each is created, then filled by the paper venue); the outside
  // gateway's partial fills steered to make up the rest of the target transition rate.
  const CREATE_RATE = Number(process.env.SOAK_CREATE_RATE ?? 100)
  let fill = Math.max(0, TARGET - 2 * CREATE_RATE)
  load.send({create: CREATE_RATE, fill})
  let maxRss = 0
  let maxRssWarm = 0
  const minutes = []
  const started = performance.now()
  const elapsedMin = () => (performance.now() - started) / 60_000
  let nextMinute = 1
  let tpsSum = 0
  let tpsN = 0
  while (elapsedMin() < MINUTES) {
    await sleep(5000)
    const rssNow = process.memoryUsage.rss()
    maxRss = Math.max(maxRss, rssNow)
    // Between forced GCs too: the highest RSS seen once warmed up (sampled every 5 s).
    if (elapsedMin() > WARMUP) maxRssWarm = Math.max(maxRssWarm, rssNow)
    const tps = engine.latestMetrics?.business.tps ?? 0
    if (elapsedMin() > 0.5) {
      tpsSum += tps
      tpsN++
      // Steer toward the target transition rate in bounded steps (no oscillation).
      if (tps > 0) fill = Math.max(0, Math.min(fill * Math.min(1.3, Math.max(0.7, TARGET / tps)), TARGET * 3))
      load.send({fill})
    }
    if (elapsedMin() >= nextMinute) {
      global.gc()
      global.gc()
      const m = process.memoryUsage()
      const row = {minute: nextMinute, rss_mb: mb(m.rss), heap_used_mb: mb(m.heapUsed), tps, events_rows: await count('events'), metrics_rows: await count('metrics'), open_orders: engine.status().open_orders, loop_handles: engine.loopHandles}
      minutes.push(row)
      // SOAK_SNAPSHOT_DIR: a heap snapshot per minute, to compare when a slope says something grows.
      if (process.env.SOAK_SNAPSHOT_DIR) v8.writeHeapSnapshot(join(process.env.SOAK_SNAPSHOT_DIR, `soak-${nextMinute}.heapsnapshot`))
      process.stderr.write(`${JSON.stringify(row)}\n`)
      nextMinute++
    }
  }
  load.send({create: 0, fill: 0, report: true})
  const flow = await new Promise((resolve) => load.once('message', resolve))
  load.send({stop: true})
  // The order flow writes its last batch before the engine stops, so the drain covers everything.
  await new Promise((resolve) => (load.exitCode !== null ? resolve() : load.once('exit', resolve)))
  const s0 = performance.now()
  await engine.stop()
  out.stop_ms = Math.round(performance.now() - s0)
  const after = minutes.filter((r) => r.minute > WARMUP)
  out.minutes_sampled = minutes
  out.orders_placed = flow.placed
  out.gateway_fills = flow.filled
  out.orders_refused = flow.refused
  out.refused_because = flow.reasons
  out.avg_transitions_per_s = tpsN ? Math.round(tpsSum / tpsN) : 0
  out.rss_mb_max = mb(maxRss)
  out.rss_mb_max_after_warmup = mb(maxRssWarm)
  out.rss_mb_max_after_gc = Math.max(...minutes.map((r) => r.rss_mb))
  out.heap_slope_mb_per_hour = slopePerHour(after.map((r) => ({x: r.minute, y: r.heap_used_mb})))
  // The second half alone: a one-off step during warm-up (caches filling) shows up in the whole-run slope, not here.
  out.heap_slope_second_half_mb_per_hour = slopePerHour(minutes.filter((r) => r.minute > MINUTES / 2).map((r) => ({x: r.minute, y: r.heap_used_mb})))
  out.rss_slope_mb_per_hour = slopePerHour(after.map((r) => ({x: r.minute, y: r.rss_mb})))
  out.events_rows_slope_per_hour = slopePerHour(after.filter((r) => r.minute > WARMUP + out.retention.events_hours * 60).map((r) => ({x: r.minute, y: r.events_rows})))
  out.end = {events_rows: await count('events'), metrics_rows: await count('metrics'), order_logs_rows: await count('order_logs'), fills_rows: await count('fills'), log_dir: dirBytes(loaded.paths.logDir)}
  const relay = await knex('relay_offsets').where('name', `relay.${env.ORDERMON__REDIS__KEY_PREFIX}`).first()
  const maxId = Number((await knex('events').max({m: 'id'}).first()).m ?? 0)
  out.end.relay_position = Number(relay?.last_event_id ?? 0)
  out.end.newest_event = maxId
} finally {
  if (load && load.exitCode === null) load.kill('SIGKILL')
  await engine?.stop().catch(() => {})
  const admin = knexFactory({client: 'mysql2', connection: MYSQL})
  await setup.close().catch(() => {})
  await admin.raw('DROP DATABASE IF EXISTS ??', [dbName]).catch(() => {})
  await admin.destroy()
  rmSync(dir, {recursive: true, force: true})
}
const json = `${JSON.stringify(out, null, 2)}\n`
// Only a full-length run replaces the figures the README quotes.
if (MINUTES >= 30) writeFileSync(join(root, 'bench/results-soak.json'), json)
process.stdout.write(json)
process.exit(0)
