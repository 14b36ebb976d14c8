#!/usr/bin/env node
// Report benchmark (JSON on stdout), after `npm run build`: `report monthly` over a month of
// 1,000,000 orders (600,000 fills, 446,400 rolled-up metric rows) plus 100,000 orders in the month
// before (the comparison), on MariaDB, run as a process: wall time and peak RSS for PDF and for
// JSON. Target (issue 11): the PDF in < 60 s and < 300 MB RSS.
//   BENCH_REPORT_ORDERS=1000000  ORDERMON_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306
// The database and the temporary directory are removed at the end, unless BENCH_REPORT_KEEP=1
// (to profile a run by hand: the environment to use is printed on stderr).
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import knexFactory from 'knex'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/config/index.js')
const {openHandle} = await dist('engine/handle.js')
const {migrateLatest} = await dist('engine/store/index.js')

const MYSQL = process.env.ORDERMON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const ORDERS = Number(process.env.BENCH_REPORT_ORDERS ?? 1_000_000)
const PREVIOUS = Math.round(ORDERS / 10)
const USERS = 1000
const STRATEGIES = 3000

/** Runs the CLI, sampling its RSS from /proc every 50 ms; returns seconds, peak RSS (MB) and output. */
function timed(args, env, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let peak = 0
    let out = ''
    let err = ''
    const sample = () => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peak = Math.max(peak, Number(m[1]))
      } catch {
        // exited between samples
      }
    }
    const timer = setInterval(sample, 50)
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(timer)
      if (code !== 0) return reject(new Error(`ordermon ${args.join(' ')} exited ${code}: ${err}`))
      resolve({seconds: +((performance.now() - t0) / 1000).toFixed(2), peak_rss_mb: Math.round(peak / 1024), out})
    })
  })
}

/** One month of orders in SQL (MariaDB's sequence engine), so seeding is seconds, not minutes. */
async function seed(knex) {
  const t0 = performance.now()
  await knex.raw(`INSERT INTO users (user_id, username, password_hash, name, type, role, status, permissions, group_name, created_at, updated_at, synced_at)
    SELECT CONCAT('U', LPAD(seq, 6, '0')), CONCAT('bench', seq), 'x', IF(seq % 3 = 0, CONCAT('交易员', seq), CONCAT('Trader ', seq)), 'professional', 'trader', 'active', '[]', CONCAT('desk', seq % 5), NOW(3), NOW(3), NOW(3) FROM seq_1_to_${USERS}`)
  await knex.raw(`INSERT INTO strategies (strategy_id, user_id, name, type, status, parameters, risk_management, created_at, updated_at, synced_at)
    SELECT CONCAT('STR', LPAD(seq, 6, '0')), CONCAT('U', LPAD(1 + seq % ${USERS}, 6, '0')), IF(seq % 2 = 0, CONCAT('均值回归策略 ', seq), CONCAT('momentum ', seq)), 'momentum', 'stopped', '{}', '{}', NOW(3), NOW(3), NOW(3) FROM seq_1_to_${STRATEGIES}`)
  // Orders spread evenly over the month; every tenth rejected, every tenth cancelled, 60% filled.
  const orders = (count, first, from, seconds, offset) => knex.raw(`INSERT INTO orders (order_id, user_id, strategy_id, symbol, side, order_type, time_in_force, quantity, price, filled_quantity, avg_fill_price, status, status_reason, created_at, updated_at, synced_at, filled_at)
    SELECT CONCAT('ORD', LPAD(seq + ${offset}, 9, '0')), CONCAT('U', LPAD(1 + (1 + seq % ${STRATEGIES}) % ${USERS}, 6, '0')), CONCAT('STR', LPAD(1 + seq % ${STRATEGIES}, 6, '0')),
      ELT(1 + seq % 10, 'AAPL', 'GOOGL', 'MSFT', 'TSLA', 'AMZN', 'NVDA', 'META', 'NFLX', 'AMD', 'INTC'), IF(FLOOR(seq / ${STRATEGIES}) % 2 = 0, 'buy', 'sell'), 'limit', 'GTC', 100, 100 + seq % 50,
      IF(seq % 10 >= 4, 100, 0), IF(seq % 10 >= 4, 100 + seq % 50, NULL),
      ELT(1 + seq % 10, 'rejected', 'cancelled', 'pending', 'pending', 'filled', 'filled', 'filled', 'filled', 'filled', 'filled'),
      ELT(1 + seq % 10, IF(seq % 20 = 0, 'insufficient funds', 'price outside the band'), 'cancelled by user', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      @t := TIMESTAMP('${from}') + INTERVAL FLOOR(seq * ${seconds} / ${count}) SECOND, @t, @t, IF(seq % 10 >= 4, @t, NULL)
    FROM seq_${first}_to_${first + count - 1}`)
  await orders(ORDERS, 1, '2024-01-01', 31 * 86400, 0)
  await orders(PREVIOUS, 1, '2023-12-01', 31 * 86400, ORDERS)
  await knex.raw(`INSERT INTO fills (order_id, user_id, strategy_id, symbol, side, quantity, price, fee, at)
    SELECT order_id, user_id, strategy_id, symbol, side, quantity, price, 0.5, created_at FROM orders WHERE status = 'filled' ORDER BY id`)
  // Metric history as housekeeping leaves it: one-minute means and maxima.
  await knex.raw(`INSERT INTO metrics (name, value, at, instance_id, step_s)
    SELECT n.name, IF(n.name LIKE '%:max', 1.5, 1) * (CASE n.base WHEN 'tps' THEN 300 + 200 * SIN(seq / 300) WHEN 'cpu_usage' THEN 40 + 10 * SIN(seq / 500) WHEN 'memory_usage' THEN 55 ELSE 2 + SIN(seq / 200) END),
      TIMESTAMP('2024-01-01') + INTERVAL seq MINUTE, 'bench', 60
    FROM seq_0_to_44639 CROSS JOIN (SELECT 'tps' AS name, 'tps' AS base UNION ALL SELECT 'tps:max', 'tps' UNION ALL SELECT 'cpu_usage', 'cpu_usage' UNION ALL SELECT 'cpu_usage:max', 'cpu_usage'
      UNION ALL SELECT 'memory_usage', 'memory_usage' UNION ALL SELECT 'memory_usage:max', 'memory_usage' UNION ALL SELECT 'avg_latency_ms', 'l' UNION ALL SELECT 'avg_latency_ms:max', 'l'
      UNION ALL SELECT 'p99_latency_ms', 'l' UNION ALL SELECT 'p99_latency_ms:max', 'l') n`)
  await knex.raw(`INSERT INTO alerts (rule, level, category, message, status, created_at, updated_at, resolved_at)
    SELECT IF(seq % 2 = 0, 'high_cpu_usage', 'p99_latency'), IF(seq % 5 = 0, 'critical', 'warning'), 'performance', CONCAT('CPU 告警 ', seq), 'resolved', TIMESTAMP('2024-01-01') + INTERVAL seq * 2 HOUR, NOW(3), TIMESTAMP('2024-01-01') + INTERVAL seq * 2 HOUR + INTERVAL 5 MINUTE FROM seq_1_to_300`)
  const [[{n: fills}]] = await knex.raw('SELECT COUNT(*) AS n FROM fills')
  return {orders: ORDERS + PREVIOUS, fills: Number(fills), seconds: +((performance.now() - t0) / 1000).toFixed(1)}
}

const dir = mkdtempSync(join(tmpdir(), 'ordermon-bench-report-'))
const dbName = `ordermon_bench_report_${process.pid}`
const env = {ORDERMON_HOME: join(dir, '.ordermon'), ORDERMON_DATABASE_URL: `${MYSQL}/${dbName}`}
const admin = knexFactory({client: 'mysql2', connection: MYSQL})
try {
  const loaded = loadConfig({cwd: dir, env})
  const h = await openHandle({loaded, create: true, requireSchema: false})
  let seeded
  try {
    await migrateLatest(h.db.knex)
    seeded = await seed(h.db.knex)
  } finally {
    await h.close()
  }
  const month = ['report', 'monthly', '--month', '2024-01']
  const pdf = await timed([...month, '--output', join(dir, 'monthly.pdf')], env, dir)
  const json = await timed([...month, '--output', join(dir, 'monthly.json')], env, dir)
  const report = JSON.parse(readFileSync(join(dir, 'monthly.json'), 'utf8'))
  process.stdout.write(`${JSON.stringify({
    report: {
      seeded,
      month_orders: report.summary.orders.current,
      month_fills: report.summary.fills.current,
      pdf: {seconds: pdf.seconds, peak_rss_mb: pdf.peak_rss_mb, bytes: statSync(join(dir, 'monthly.pdf')).size},
      json: {seconds: json.seconds, peak_rss_mb: json.peak_rss_mb, bytes: statSync(join(dir, 'monthly.json')).size},
      targets: {pdf_seconds: 60, pdf_rss_mb: 300},
    },
  }, null, 2)}\n`)
} finally {
  if (process.env.BENCH_REPORT_KEEP === '1') {
    process.stderr.write(`kept: cd ${dir} && ORDERMON_HOME=${env.ORDERMON_HOME} ORDERMON_DATABASE_URL=${env.ORDERMON_DATABASE_URL}\n`)
    await admin.destroy()
    process.exit(0)
  }
  await admin.raw('DROP DATABASE IF EXISTS ??', [dbName]).catch(() => {})
  await admin.destroy()
  rmSync(dir, {recursive: true, force: true})
}
