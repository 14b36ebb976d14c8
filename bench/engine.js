#!/usr/bin/env node
// Engine benchmarks (JSON on stdout). Run after `npm run build`:
//   node bench/engine.js [startup] [latency] [transitions]      (default: all)
//   BENCH_BACKENDS=mariadb,sqlite  BENCH_SECONDS=60  BENCH_RATE=10000
//   BENCH_SHARING=true|false (MariaDB: the engine's engine.sharing, and the batcher behind the lease fence)
// Needs MariaDB (ORDERMON_BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306) and Redis
// (ORDERMON_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0); every database, key and process it
// makes is removed at the end.
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
const {loadConfig, sharesDatabase} = await dist('engine/config/index.js')
const {openHandle: openEngine} = await dist('engine/handle.js')
const {migrateLatest} = await dist('engine/store/index.js')
const {TransitionBatcher} = await dist('engine/domain/orders/batcher.js')
const {OutboxRelay} = await dist('engine/bus/outbox-relay.js')
const {connectRedis} = await dist('engine/bus/redis.js')
const {ShardKeeper} = await dist('engine/runtime/shard-keeper.js')
const {SHARD_COUNT} = await dist('engine/domain/shards.js')

const MYSQL = process.env.ORDERMON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS = process.env.ORDERMON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0'
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const RATE = Number(process.env.BENCH_RATE ?? 10_000)
const backends = (process.env.BENCH_BACKENDS ?? 'mariadb,sqlite').split(',')
// Unset: whatever the configuration's default is for the backend.
const SHARING = process.env.BENCH_SHARING
const wanted = new Set(process.argv.slice(2))
const want = (n) => wanted.size === 0 || wanted.has(n)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const pct = (xs, p) => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1)
}

async function makeBackend(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-bench-'))
  const prefix = `ordermon_bench_${process.pid}_${kind}:`
  const env = {ORDERMON_HOME: join(dir, '.ordermon'), ORDERMON__REDIS__KEY_PREFIX: prefix}
  const dbName = `ordermon_bench_${process.pid}_${kind}`
  if (kind === 'mariadb') {
    env.ORDERMON_DATABASE_URL = `${MYSQL}/${dbName}`
    env.ORDERMON_REDIS_URL = REDIS
    if (SHARING !== undefined) env.ORDERMON__ENGINE__SHARING = SHARING
  }
  const loaded = loadConfig({cwd: dir, env})
  const engine = await openEngine({loaded, create: true, requireSchema: false})
  await migrateLatest(engine.db.knex)
  return {
    kind, dir, env, prefix, loaded, engine,
    async cleanup() {
      await engine.close().catch(() => {})
      if (kind === 'mariadb') {
        const admin = knexFactory({client: 'mysql2', connection: MYSQL})
        await admin.raw('DROP DATABASE IF EXISTS ??', [dbName])
        await admin.destroy()
      }
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

function startEngineProcess(b, extraEnv = {}) {
  const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'start', '--quiet', '--venue', 'paper'], {
    cwd: b.dir,
    env: {...process.env, ...b.env, ...extraEnv},
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  return {child, stderr: () => err}
}

async function waitRunning(b, child, timeoutMs) {
  const t0 = performance.now()
  while (performance.now() - t0 < timeoutMs) {
    try {
      const s = JSON.parse(readFileSync(join(b.env.ORDERMON_HOME, 'engine.json'), 'utf8'))
      if (s.pid === child.pid && s.status === 'running') return {ms: performance.now() - t0, state: s}
    } catch {}
    if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}`)
    await sleep(50)
  }
  throw new Error('engine did not start in time')
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : null
}

async function stopProcess(child) {
  if (child.exitCode !== null) return child.exitCode
  child.kill('SIGTERM')
  const t0 = performance.now()
  while (child.exitCode === null && performance.now() - t0 < 15_000) await sleep(50)
  if (child.exitCode === null) child.kill('SIGKILL')
  return {code: child.exitCode, stop_ms: Math.round(performance.now() - t0)}
}

/** Scale start-up, memory, and raw-SQL-change-to-Redis latency at 10k users / 30k strategies / 100k orders. */
async function scaleBench(kind) {
  const b = await makeBackend(kind)
  let proc
  try {
    const seeded = await seedScale(b.engine.db.knex)
    proc = startEngineProcess(b)
    const up = await waitRunning(b, proc.child, 120_000)
    const result = {backend: kind, sharing: sharesDatabase(b.loaded.config), seeded, start_ms: Math.round(up.ms), monitored: {users: up.state.users, strategies: up.state.strategies, open_orders: up.state.open_orders}, rss_mb_after_start: rssMb(proc.child.pid)}
    if (kind === 'mariadb' && want('latency')) {
      // Raw SQL from a separate connection, timed from commit to the event arriving on Redis.
      const sub = new Redis(REDIS)
      const seen = new Map()
      sub.on('message', (_c, msg) => {
        const e = JSON.parse(msg)
        if (e.source === 'sql') seen.set(`${e.entity_type}:${e.entity_id}`, performance.now())
      })
      await sub.subscribe(`${b.prefix}events`)
      const raw = knexFactory({client: 'mysql2', connection: b.env.ORDERMON_DATABASE_URL})
      const sent = []
      for (let i = 0; i < 300; i++) {
        const k = i % 3
        let key
        if (k === 0) {
          const id = `U${String(1 + ((i * 37) % 10_000)).padStart(6, '0')}`
          await raw.raw("UPDATE users SET status = IF(status = 'active', 'suspended', 'active') WHERE user_id = ?", [id])
          key = `user:${id}`
        } else if (k === 1) {
          const id = `STR${String(1 + ((i * 101) % 30_000)).padStart(6, '0')}`
          await raw.raw("UPDATE strategies SET status = IF(status = 'running', 'paused', 'running') WHERE strategy_id = ?", [id])
          key = `strategy:${id}`
        } else {
          const id = `ORD${String(1 + ((i * 331) % 100_000)).padStart(7, '0')}`
          await raw.raw("UPDATE orders SET status = 'cancelled' WHERE order_id = ?", [id])
          key = `order:${id}`
        }
        sent.push({key, at: performance.now()})
        await sleep(20)
      }
      await sleep(2000)
      const lat = sent.map((s) => (seen.has(s.key) ? seen.get(s.key) - s.at : null))
      const got = lat.filter((x) => x !== null)
      result.sql_change_to_redis = {changes: sent.length, received: got.length, p50_ms: pct(got, 0.5), p99_ms: pct(got, 0.99), max_ms: pct(got, 1)}
      for (const kind of ['user', 'strategy', 'order']) {
        const xs = sent.map((s, i) => (s.key.startsWith(kind) ? lat[i] : null)).filter((x) => x !== null)
        result.sql_change_to_redis[`${kind}_p99_ms`] = pct(xs, 0.99)
      }
      await raw.destroy()
      sub.disconnect()
    }
    result.rss_mb_end = rssMb(proc.child.pid)
    result.stop = await stopProcess(proc.child)
    return result
  } finally {
    if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
    await b.cleanup()
  }
}

/** Sustained order transitions through the batcher, persisted and published (lag from submit to Redis). */
async function transitionsBench(kind) {
  const b = await makeBackend(kind)
  try {
    const orders = 100_000
    await seedScale(b.engine.db.knex, {users: 1000, strategiesPerUser: 0, orders})
    const store = b.engine.store
    // A sharing engine's batcher checks its leases in every transaction: hold them all, as a lone engine would.
    let fence
    if (sharesDatabase(b.loaded.config)) {
      const keeper = new ShardKeeper({store, instanceId: 'bench', shardCount: SHARD_COUNT, leaseMs: () => 600_000, liveEngines: async () => [], onChange: () => {}})
      await keeper.start()
      fence = keeper.fence
    }
    const batcher = new TransitionBatcher(store, {source: 'engine', actor: 'bench', maxBatch: 5000, maxDelayMs: 20, fence})
    const submitted = new Map()
    const lags = []
    let received = 0
    let relay
    let sub
    let relayLoop
    if (kind === 'mariadb') {
      const redis = await connectRedis(b.loaded.config)
      relay = new OutboxRelay(store, redis, {name: 'bench', channelPrefix: b.prefix, batchSize: 5000})
      sub = new Redis(REDIS)
      sub.on('message', (_c, msg) => {
        const e = JSON.parse(msg)
        const t = submitted.get(`${e.entity_id}:${e.payload.version}`)
        if (t !== undefined) {
          lags.push(performance.now() - t)
          received++
        }
      })
      await sub.subscribe(`${b.prefix}events.order`)
      let running = true
      relayLoop = (async () => {
        while (running) if ((await relay.relayOnce()) === 0) await sleep(5)
      })()
      relayLoop.stop = () => (running = false)
      relay.redis = redis
    }
    // Each order takes up to 9 partial fills of 100 (quantity 1000): round-robin over the book.
    const versions = new Map()
    let next = 0
    let done = 0
    let refused = 0
    const t0 = performance.now()
    const deadline = t0 + SECONDS * 1000
    const inflight = new Set()
    while (performance.now() < deadline) {
      const tickStart = performance.now()
      const n = Math.round(RATE / 100)
      for (let i = 0; i < n; i++) {
        const id = `ORD${String(1 + (next++ % orders)).padStart(7, '0')}`
        const v = (versions.get(id) ?? 1) + 1
        versions.set(id, v)
        submitted.set(`${id}:${v}`, performance.now())
        const p = batcher.submit({order_id: id, fill: {quantity: 100, price: 10}, reason: 'fill'}).then((o) => (o ? done++ : refused++))
        inflight.add(p)
        p.finally(() => inflight.delete(p))
      }
      // Back-pressure: do not run ahead of the database by more than two seconds of work.
      while (batcher.pending + inflight.size > RATE * 2) await sleep(5)
      const spent = performance.now() - tickStart
      if (spent < 10) await sleep(10 - spent)
    }
    await batcher.flush()
    await Promise.allSettled([...inflight])
    const elapsed = (performance.now() - t0) / 1000
    if (relay) {
      const settle = performance.now()
      while (received < done && performance.now() - settle < 15_000) await sleep(50)
      relayLoop.stop()
      await relayLoop
      sub.disconnect()
      relay.redis.disconnect()
    }
    return {
      backend: kind,
      fenced: Boolean(fence),
      target_per_s: RATE,
      seconds: +elapsed.toFixed(1),
      transitions: done,
      refused,
      per_s: Math.round(done / elapsed),
      batches: batcher.stats.batches,
      published: kind === 'mariadb' ? received : 'no redis (embedded)',
      publish_lag_ms: kind === 'mariadb' ? {p50: pct(lags, 0.5), p99: pct(lags, 0.99), max: pct(lags, 1)} : undefined,
    }
  } finally {
    await b.cleanup()
  }
}

const out = {node: process.version, at: new Date().toISOString()}
if (want('startup') || want('latency')) {
  out.scale = []
  for (const k of backends) out.scale.push(await scaleBench(k))
}
if (want('transitions')) {
  out.transitions = []
  for (const k of backends) out.transitions.push(await transitionsBench(k))
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
process.exit(0)
