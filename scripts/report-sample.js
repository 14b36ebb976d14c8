#!/usr/bin/env node
// Makes the README's sample report: a day of made-up trading on SQLite in a temporary directory,
// `ordermon report daily` to a PDF (docs/report-sample.pdf), and its first pages as PNG images
// (docs/report-sample-page1.png, -page2.png) rendered with pdf-parse. Run after `npm run build`:
//   node scripts/report-sample.js
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/config/index.js')
const {openHandle} = await dist('engine/handle.js')
const {migrateLatest} = await dist('engine/store/index.js')

const dir = mkdtempSync(join(tmpdir(), 'ordermon-sample-'))
const env = {ORDERMON_HOME: join(dir, '.ordermon')}
const SYMBOLS = [['AAPL', 190], ['MSFT', 410], ['TSLA', 240], ['NVDA', 880], ['600519.SH', 1700], ['00700.HK', 300]]
const USERS = [['U000001', '张三'], ['U000002', '李四'], ['U000003', 'Alice Chen'], ['U000004', '王五']]
const STRATEGIES = [['STR000001', 'U000001', '均值回归策略'], ['STR000002', 'U000001', '动量突破'], ['STR000003', 'U000002', 'Grid BTC'], ['STR000004', 'U000003', '跨市场套利'], ['STR000005', 'U000004', 'Momentum NVDA'], ['STR000006', 'U000004', '网格交易 A股']]
// A fixed pseudo-random walk, so the sample looks the same each time it is made.
let seed = 7
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)

try {
  const loaded = loadConfig({cwd: dir, env})
  const h = await openHandle({loaded, create: true, requireSchema: false})
  try {
    const knex = h.db.knex
    await migrateLatest(knex)
    const db = (d) => h.store.dialect.toDb(d)
    const now = db(new Date('2024-01-01T00:00:00Z'))
    await knex('users').insert(USERS.map(([user_id, name], i) => ({user_id, username: `trader00${i + 1}`, password_hash: 'x', name, type: 'professional', role: 'trader', status: 'active', permissions: '[]', group_name: i < 2 ? 'desk-a' : 'desk-b', created_at: now, updated_at: now, synced_at: now})))
    await knex('strategies').insert(STRATEGIES.map(([strategy_id, user_id, name]) => ({strategy_id, user_id, name, type: 'momentum', status: 'running', parameters: '{}', risk_management: '{}', created_at: now, updated_at: now, synced_at: now})))
    let n = 0
    for (const day of ['2024-01-14', '2024-01-15']) {
      const orders = []
      const fills = []
      const count = day === '2024-01-15' ? 2400 : 2000
      for (let i = 0; i < count; i++) {
        n++
        const [strategy_id, user_id] = STRATEGIES[n % STRATEGIES.length]
        const [symbol, base] = SYMBOLS[(n * 7 + (n % 5)) % SYMBOLS.length]
        const at = new Date(Date.parse(`${day}T01:30:00Z`) + Math.floor((i / count) * 6.5 * 3600_000))
        const price = +(base * (1 + (rand() - 0.5) * 0.02)).toFixed(2)
        const quantity = 10 * (1 + Math.floor(rand() * 20))
        const r = rand()
        const status = r < 0.04 ? 'rejected' : r < 0.1 ? 'cancelled' : r < 0.15 ? 'pending' : 'filled'
        const reason = status === 'rejected' ? ['insufficient funds', 'price outside the band', '超出持仓限额'][n % 3] : status === 'cancelled' ? ['cancelled by user', 'strategy stopped'][n % 2] : null
        const side = rand() < 0.5 ? 'buy' : 'sell'
        const order_id = `ORD${String(n).padStart(9, '0')}`
        orders.push({order_id, user_id, strategy_id, symbol, side, order_type: 'limit', time_in_force: 'GTC', quantity, price, filled_quantity: status === 'filled' ? quantity : 0, avg_fill_price: status === 'filled' ? price : null, status, status_reason: reason, created_at: db(at), updated_at: db(at), synced_at: db(at), filled_at: status === 'filled' ? db(at) : null})
        if (status === 'filled') fills.push({order_id, user_id, strategy_id, symbol, side, quantity, price, fee: +(quantity * price * 0.0003).toFixed(2), at: db(at)})
      }
      for (let i = 0; i < orders.length; i += 200) await knex('orders').insert(orders.slice(i, i + 200))
      for (let i = 0; i < fills.length; i += 200) await knex('fills').insert(fills.slice(i, i + 200))
      const metrics = []
      for (let m = 0; m < 1440; m++) {
        const at = db(new Date(Date.parse(`${day}T00:00:00Z`) + m * 60_000))
        const open = m >= 90 && m < 480
        const tps = open ? 220 + 140 * Math.sin(m / 40) + rand() * 60 : 5 + rand() * 5
        const lat = open ? 3 + rand() * 2 : 1 + rand()
        for (const [name, value] of [['tps', tps], ['avg_latency_ms', lat], ['p99_latency_ms', lat * 4], ['cpu_usage', open ? 35 + rand() * 20 : 8], ['memory_usage', 52 + rand() * 3]]) {
          metrics.push({name, value, at, instance_id: 'sample', step_s: 60}, {name: `${name}:max`, value: value * 1.3, at, instance_id: 'sample', step_s: 60})
        }
      }
      for (let i = 0; i < metrics.length; i += 500) await knex('metrics').insert(metrics.slice(i, i + 500))
    }
    await knex('alerts').insert([
      {rule: 'p99_latency_high', level: 'warning', category: 'performance', message: 'p99 latency 112 ms > 100 ms for 60 s', status: 'resolved', created_at: db(new Date('2024-01-15T02:10:00Z')), updated_at: now, resolved_at: db(new Date('2024-01-15T02:14:00Z'))},
      {rule: 'cpu_usage_high', level: 'critical', category: 'system', message: 'CPU 87% > 85% for 60 s', status: 'resolved', created_at: db(new Date('2024-01-15T05:40:00Z')), updated_at: now, resolved_at: db(new Date('2024-01-15T05:52:00Z'))},
    ])
  } finally {
    await h.close()
  }
  const pdf = join(dir, 'report.pdf')
  const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'report', 'daily', '--date', '2024-01-15', '--output', pdf], {cwd: dir, env: {...process.env, ...env}, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`report failed: ${r.stderr}`)
  copyFileSync(pdf, join(root, 'docs/report-sample.pdf'))
  const {PDFParse} = await import('pdf-parse')
  const parser = new PDFParse({data: readFileSync(pdf)})
  const shots = await parser.getScreenshot({partial: [1, 2], desiredWidth: 900, imageBuffer: true, imageDataUrl: false})
  for (const page of shots.pages) writeFileSync(join(root, `docs/report-sample-page${page.pageNumber}.png`), page.data)
  await parser.destroy()
  process.stdout.write(`docs/report-sample.pdf (${shots.total} pages) and ${shots.pages.length} page images written\n`)
} finally {
  rmSync(dir, {recursive: true, force: true})
}
