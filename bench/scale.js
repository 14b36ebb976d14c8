#!/usr/bin/env node
// Several engines on one MariaDB database (engine.sharing), after `npm run build` (JSON on stdout):
// for 1, 2 and 3 engine processes over the same 20,000 users / 60,000 running strategies / 100,000
// open orders, the time until every engine runs and the shards are split, each engine's RSS and
// share of the users, raw-SQL change -> Redis latency, and with 2+ engines the failover time after
// kill -9 of one (until the survivors hold every shard). On this 2-core machine the engines share
// two cores with MariaDB and Redis: throughput does not multiply; this says what it does instead.
//   BENCH_SCALE_USERS=20000  BENCH_SCALE_ENGINES=1,2,3  BENCH_SCALE_LEASE_MS (default: engine.shard_lease_ms)
//   ORDERMON_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306  ORDERMON_BENCH_REDIS_URL=redis://127.0.0.1:6379/0
// Every database, key, directory and process it makes is removed at the end.
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import knexFactory from 'knex'
import {Redis} from 'ioredis'
import {seedScale} from './seed.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/config/index.js')
const {openHandle} = await dist('engine/handle.js')
const {migrateLatest} = await dist('engine/store/index.js')
const {SHARD_COUNT} = await dist('engine/domain/shards.js')

const MYSQL = process.env.ORDERMON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS = process.env.ORDERMON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0'
const USERS = Number(process.env.BENCH_SCALE_USERS ?? 20_000)
const COUNTS = (process.env.BENCH_SCALE_ENGINES ?? '1,2,3').split(',').map(Number)
// The default lease (engine.shard_lease_ms) unless told.
const LEASE_MS = process.env.BENCH_SCALE_LEASE_MS ? Number(process.env.BENCH_SCALE_LEASE_MS) : undefined
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pct = (xs, p) => (xs.length ? +[...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1) : null)
const rssMb = (pid) => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024)

async function run(engines) {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-bench-scale-'))
  const dbName = `ordermon_bench_scale_${process.pid}_${engines}`
  const prefix = `ordermon_bench_scale_${process.pid}_${engines}:`
  const base = {ORDERMON_DATABASE_URL: `${MYSQL}/${dbName}`, ORDERMON_REDIS_URL: REDIS, ORDERMON__REDIS__KEY_PREFIX: prefix, ORDERMON__ENGINE__SHARING: 'true', ...(LEASE_MS ? {ORDERMON__ENGINE__SHARD_LEASE_MS: String(LEASE_MS)} : {})}
  const loaded = loadConfig({cwd: dir, env: {...base, ORDERMON_HOME: join(dir, 'seed')}})
  const h = await openHandle({loaded, create: true, requireSchema: false})
  const procs = []
  const db = knexFactory({client: 'mysql2', connection: base.ORDERMON_DATABASE_URL})
  try {
    await migrateLatest(h.db.knex)
    const seeded = await seedScale(h.db.knex, {users: USERS, strategiesPerUser: 3, orders: 100_000})
    await h.close()
    const t0 = performance.now()
    for (let i = 0; i < engines; i++) {
      const home = join(dir, `home-${i}`)
      const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'start', '--quiet', '--venue', 'paper'], {cwd: dir, env: {...process.env, ...base, ORDERMON_HOME: home}, stdio: ['ignore', 'ignore', 'pipe']})
      let err = ''
      child.stderr.on('data', (d) => (err += d))
      procs.push({child, home, stderr: () => err})
    }
    const state = (p) => {
      try {
        return JSON.parse(readFileSync(join(p.home, 'engine.json'), 'utf8'))
      } catch {
        return undefined
      }
    }
    const owners = async () => {
      const [rows] = await db.raw('SELECT owner, COUNT(*) AS n FROM shard_leases WHERE shard < ? AND owner IS NOT NULL AND expires_at >= CURRENT_TIMESTAMP(3) GROUP BY owner', [SHARD_COUNT])
      return new Map(rows.map((r) => [r.owner, Number(r.n)]))
    }
    const settled = async (alive) => {
      const ids = alive.map((p) => state(p)?.instance_id)
      if (ids.some((id) => !id) || alive.some((p) => state(p)?.status !== 'running')) return false
      const o = await owners()
      const counts = ids.map((id) => o.get(id) ?? 0)
      return counts.reduce((a, b) => a + b, 0) === SHARD_COUNT && counts.every((c) => Math.abs(c - SHARD_COUNT / alive.length) <= 1)
    }
    while (!(await settled(procs))) {
      for (const p of procs) if (p.child.exitCode !== null) throw new Error(`engine exited: ${p.stderr().slice(-500)}`)
      if (performance.now() - t0 > 240_000) throw new Error('engines did not settle in 240 s')
      await sleep(100)
    }
    const startMs = Math.round(performance.now() - t0)
    // Let each engine load its users after the last change of shards, then read their heartbeats.
    await sleep(3000)
    const perEngine = procs.map((p) => ({users: state(p)?.users, strategies: state(p)?.strategies, open_orders: state(p)?.open_orders, shards: state(p)?.shards, leader: state(p)?.leader, rss_mb: rssMb(p.child.pid)}))

    // Raw SQL from outside, timed from its commit to the event on Redis (the leader's detector and relay).
    const sub = new Redis(REDIS)
    const seen = new Map()
    sub.on('message', (_c, msg) => {
      const e = JSON.parse(msg)
      if (e.source === 'sql') seen.set(`${e.entity_type}:${e.entity_id}`, performance.now())
    })
    await sub.subscribe(`${prefix}events`)
    const sent = []
    for (let i = 0; i < 150; i++) {
      const id = `ORD${String(1 + ((i * 331) % 100_000)).padStart(7, '0')}`
      await db.raw("UPDATE orders SET status = 'cancelled' WHERE order_id = ?", [id])
      sent.push({key: `order:${id}`, at: performance.now()})
      await sleep(20)
    }
    await sleep(2000)
    sub.disconnect()
    const lat = sent.flatMap((s) => (seen.has(s.key) ? [seen.get(s.key) - s.at] : []))
    const result = {engines, seeded, start_ms: startMs, per_engine: perEngine, sql_change_to_redis: {changes: sent.length, received: lat.length, p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99)}}

    if (engines >= 2) {
      const victim = procs.at(-1)
      const t1 = performance.now()
      victim.child.kill('SIGKILL')
      const survivors = procs.slice(0, -1)
      while (!(await settled(survivors))) {
        if (performance.now() - t1 > 120_000) throw new Error('no failover within 120 s')
        await sleep(100)
      }
      result.failover_ms = Math.round(performance.now() - t1)
      result.lease_ms = loaded.config.engine.shard_lease_ms
    }
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM')
    for (const p of procs) while (p.child.exitCode === null && p.child.signalCode === null) await sleep(50)
    return result
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await h.close().catch(() => {})
    await db.destroy()
    const admin = knexFactory({client: 'mysql2', connection: MYSQL})
    await admin.raw('DROP DATABASE IF EXISTS ??', [dbName]).catch(() => {})
    await admin.destroy()
    const r = new Redis(REDIS)
    const keys = await r.keys(`${prefix}*`)
    if (keys.length) await r.del(...keys)
    r.disconnect()
    rmSync(dir, {recursive: true, force: true})
  }
}

const results = []
for (const n of COUNTS) results.push(await run(n))
process.stdout.write(`${JSON.stringify({scale: results}, null, 2)}\n`)
