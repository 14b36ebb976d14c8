#!/usr/bin/env node
// REST API benchmark (JSON on stdout), after `npm run build`: autocannon against `ordermon api`'s
// server (serveApi) on MariaDB, with 100,000 orders of one trader seeded. Measures requests/s and
// latency (p50/p99/max) at 50 connections for
//   GET  /api/v1/orders?page=1&size=50  (page 1 of the trader's 100,000 orders, as the trader) and
//   POST /api/v1/orders                 (a limit order far from the market, as the trader),
// plus the CPU shares of the server, MariaDB and autocannon, and the server's RSS. Targets (the API
// issue): reads >= 5,000 req/s with p99 < 50 ms, order creation >= 1,500 req/s with p99 < 100 ms.
// Any connection error, timeout or non-2xx answer fails the run (exit 1, after the JSON), so a rate
// limit or a broken route cannot pass as "fast". The server runs in a child process (this file with
// --serve), so the load generator and the server each have a core of their own; MariaDB shares them.
//   BENCH_API_SECONDS=10  BENCH_API_ORDERS=100000  BENCH_API_CONNECTIONS=50
//   ORDERMON_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306
// The database, the temporary directory and the server process are removed at the end, unless
// BENCH_API_KEEP=1 (the database is kept, to profile by hand: its URL is printed on stderr).
import {fork} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/config/index.js')

// A sign-in lasts longer than the run; the rate limits sit far above the load (else: 429s).
const overrides = (port) => ({
  'server.host': '127.0.0.1',
  'server.port': port,
  'server.rate_limit.per_user': 10_000_000,
  'server.rate_limit.per_address': 10_000_000,
  'security.access_token_ttl_s': 3600,
})

if (process.argv[2] === '--serve') {
  // The server side: the env and port arrive as JSON; the URL goes back over IPC.
  const {env, cwd, port} = JSON.parse(process.argv[3])
  const {serveApi} = await dist('api/serve.js')
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
  const api = await serveApi({loaded: loadConfig({cwd, env, overrides: overrides(port)}), version})
  const stop = async () => {
    await api.close().catch(() => {})
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('disconnect', stop) // the bench died: do not linger
  process.send({url: api.url})
} else {
  await main()
}

async function main() {
  const {default: autocannon} = await import('autocannon')
  const {default: knexFactory} = await import('knex')
  const {openHandle} = await dist('engine/handle.js')
  const {migrateLatest} = await dist('engine/store/index.js')

  const MYSQL = process.env.ORDERMON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
  const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10)
  const ORDERS = Number(process.env.BENCH_API_ORDERS ?? 100_000)
  const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 50)
  const TARGETS = {list_orders: {requests_per_s: 5000, p99_ms: 50}, create_order: {requests_per_s: 1500, p99_ms: 100}}
  const PASSWORD = 'bench-password-1'
  const t0 = performance.now()
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

  const procStatus = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssMb = (pid) => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(procStatus(pid))[1]) / 1024)
  const peakRssMb = (pid) => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(procStatus(pid))[1]) / 1024)
  // utime + stime of a process in clock ticks (100/s on Linux): the server's CPU share during a run.
  const cpuTicks = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(f[11]) + Number(f[12])
  }

  // The server is given a port found free here (configs before server.port 0 was allowed refuse 0).
  const freePort = () =>
    new Promise((resolve, reject) => {
      const s = createServer()
      s.on('error', reject)
      s.listen(0, '127.0.0.1', () => {
        const {port} = s.address()
        s.close(() => resolve(port))
      })
    })

  /** The trader through the user service (a real argon2 hash, its audit and event), their orders in one INSERT ... SELECT. */
  async function seed(h) {
    const s0 = performance.now()
    const actor = {name: 'bench', source: 'cli'}
    const trader = await h.users.create({username: 'benchtrader', password: PASSWORD, name: 'Bench Trader', type: 'professional', role: 'trader'}, actor)
    // Newest first in the list means highest id: created_at rises with the id, over the last 100 days.
    // Rows written "by ordermon" (updated_at = synced_at); no order_logs or events: the list does not read them.
    await h.db.knex.raw(`INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force, quantity, price, filled_quantity, avg_fill_price, status, status_reason, created_at, updated_at, synced_at, filled_at)
      SELECT CONCAT('ORD', LPAD(seq, 6, '0')), ?, ELT(1 + seq % 10, 'AAPL', 'GOOGL', 'MSFT', 'TSLA', 'AMZN', 'NVDA', 'META', 'NFLX', 'AMD', 'INTC'), IF(seq % 2 = 0, 'buy', 'sell'), 'limit', 'GTC', 100, 100 + seq % 50,
        IF(seq % 10 >= 4, 100, 0), IF(seq % 10 >= 4, 100 + seq % 50, NULL),
        ELT(1 + seq % 10, 'rejected', 'cancelled', 'pending', 'pending', 'filled', 'filled', 'filled', 'filled', 'filled', 'filled'),
        ELT(1 + seq % 10, 'price outside the band', 'cancelled by user', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        @t := NOW(3) - INTERVAL 100 DAY + INTERVAL FLOOR(seq * 8640000 / ${ORDERS}) SECOND, @t, @t, IF(seq % 10 >= 4, @t, NULL)
      FROM seq_1_to_${ORDERS}`, [trader.user_id])
    await h.db.knex('sequences').insert({name: 'order', value: ORDERS}).onConflict('name').merge()
    await h.db.knex.raw('ANALYZE TABLE orders')
    return {orders: ORDERS, user_id: trader.user_id, seconds: +((performance.now() - s0) / 1000).toFixed(1)}
  }

  function startServer(env, cwd, port) {
    return new Promise((resolve, reject) => {
      const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify({env, cwd, port})], {stdio: ['ignore', 'ignore', 'inherit', 'ipc']})
      child.once('message', (m) => resolve({child, url: m.url}))
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`the API server exited with ${code} before listening`)))
    })
  }

  async function stopServer(child) {
    if (child.exitCode !== null || child.signalCode !== null) return
    process.kill(child.pid, 'SIGTERM')
    const s0 = performance.now()
    while (child.exitCode === null && child.signalCode === null && performance.now() - s0 < 10_000) await sleep(50)
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  }

  async function login(url, username) {
    const r = await fetch(`${url}/auth/login`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({username, password: PASSWORD})})
    const body = await r.json()
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${body.message}`)
    return body.data.access_token
  }

  // MariaDB's own process, when it runs on this machine: its CPU share says whether the database is the bottleneck.
  const dbPid = (() => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue
      try {
        if (/^(mariadbd|mysqld)$/.test(readFileSync(`/proc/${d}/comm`, 'utf8').trim())) return Number(d)
      } catch {}
    }
    return undefined
  })()
  const pct = (ticks, wall) => Math.round((ticks / 100 / wall) * 100)

  /** One autocannon run; the CPU shares of the server, MariaDB and this load generator over it (100% = one core). */
  async function load(pid, opts) {
    const ticks = cpuTicks(pid)
    const dbTicks = dbPid ? cpuTicks(dbPid) : 0
    const own = process.cpuUsage()
    const w0 = performance.now()
    const r = await autocannon({connections: CONNECTIONS, duration: SECONDS, ...opts})
    const wall = (performance.now() - w0) / 1000
    const mine = process.cpuUsage(own)
    return {
      requests_per_s: Math.round(r.requests.average),
      requests: r.requests.total,
      latency_ms: {p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: +r.latency.mean.toFixed(2)},
      non_2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      status_codes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
      cpu_pct: {server: pct(cpuTicks(pid) - ticks, wall), mariadb: dbPid ? pct(cpuTicks(dbPid) - dbTicks, wall) : null, load_generator: Math.round(((mine.user + mine.system) / 1e6 / wall) * 100)},
    }
  }

  const verdict = (r, t) => ({...t, met: r.requests_per_s >= t.requests_per_s && r.latency_ms.p99 < t.p99_ms})

  const dir = mkdtempSync(join(tmpdir(), 'ordermon-bench-api-'))
  const dbName = `ordermon_bench_api_${process.pid}`
  const env = {ORDERMON_HOME: join(dir, '.ordermon'), ORDERMON_DATABASE_URL: `${MYSQL}/${dbName}`, JWT_SECRET_KEY: 'bench-secret-0123456789abcdef0123456789abcdef'}
  const admin = knexFactory({client: 'mysql2', connection: MYSQL})
  let server
  let failed = false
  try {
    const loaded = loadConfig({cwd: dir, env, overrides: overrides(8000)})
    const h = await openHandle({loaded, create: true, requireSchema: false})
    let seeded
    try {
      await migrateLatest(h.db.knex)
      seeded = await seed(h)
    } finally {
      await h.close()
    }
    server = await startServer(env, dir, await freePort())
    const pid = server.child.pid
    const token = await login(server.url, 'benchtrader')
    const headers = {authorization: `Bearer ${token}`}
    const listUrl = `${server.url}/orders?page=1&size=50`

    // The answer must be the trader's page 1 of all their orders, not an empty or an error page.
    const probe = await (await fetch(listUrl, {headers})).json()
    if (probe.data?.total !== ORDERS || probe.data.orders.length !== 50) throw new Error(`GET /orders answered ${JSON.stringify(probe).slice(0, 300)}`)
    // Warm-up (not measured): JIT, and the pool's connections opened.
    await autocannon({url: listUrl, connections: CONNECTIONS, duration: 2, headers})
    const rssBefore = rssMb(pid)

    const list = await load(pid, {url: listUrl, headers})
    const orderBody = {symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 10, price: 1.5, time_in_force: 'GTC'}
    const create = await load(pid, {url: `${server.url}/orders`, method: 'POST', headers: {...headers, 'content-type': 'application/json'}, body: JSON.stringify(orderBody)})
    const rssEnd = rssMb(pid)
    const peak = peakRssMb(pid)
    const [[{n}]] = await admin.raw(`SELECT COUNT(*) AS n FROM ??.orders`, [dbName])
    create.orders_in_database_after = Number(n)
    create.orders_created = Number(n) - ORDERS

    for (const r of [list, create]) if (r.non_2xx > 0 || r.errors > 0 || r.timeouts > 0) failed = true
    // Requests still in flight when autocannon stops are answered but not counted: up to one per connection.
    const answered = create.status_codes['201'] ?? 0
    if (create.orders_created < answered || create.orders_created > answered + CONNECTIONS) failed = true
    process.stdout.write(`${JSON.stringify({
      api: {
        node: process.version,
        at: new Date().toISOString(),
        seeded,
        connections: CONNECTIONS,
        seconds_per_run: SECONDS,
        list_orders: {request: 'GET /api/v1/orders?page=1&size=50 (as the trader who owns the orders)', ...list},
        create_order: {request: `POST /api/v1/orders ${JSON.stringify(orderBody)}`, ...create},
        server_rss_mb: {after_warmup: rssBefore, end: rssEnd, peak},
        targets: {list_orders: verdict(list, TARGETS.list_orders), create_order: verdict(create, TARGETS.create_order)},
        failed_requests: failed,
        total_seconds: +((performance.now() - t0) / 1000).toFixed(1),
      },
    }, null, 2)}\n`)
  } finally {
    if (server) await stopServer(server.child)
    if (process.env.BENCH_API_KEEP === '1') {
      process.stderr.write(`kept: ORDERMON_DATABASE_URL=${env.ORDERMON_DATABASE_URL} (user benchtrader, password ${PASSWORD})\n`)
      await admin.destroy()
      rmSync(dir, {recursive: true, force: true})
      process.exit(failed ? 1 : 0)
    }
    await admin.raw('DROP DATABASE IF EXISTS ??', [dbName]).catch(() => {})
    await admin.destroy()
    rmSync(dir, {recursive: true, force: true})
  }
  if (failed) process.stderr.write('bench/api.js: some requests failed (errors, timeouts or non-2xx answers): see the JSON.\n')
  process.exit(failed ? 1 : 0)
}
