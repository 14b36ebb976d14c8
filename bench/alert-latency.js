#!/usr/bin/env node
// Condition true -> webhook received (JSON on stdout). Run after `npm run build`:  node bench/alert-latency.js
// An engine process on a fresh SQLite home (engine.metrics_ms 1000, the default) with rules
// `active_users > base + k` (for: 0s) and a webhook at a local HTTP server; each trial creates one
// active user in this process and times the moment its commit returns to the moment the webhook
// has the alert: state sync, the next metrics sample, evaluation and the notify loop together.
//   BENCH_TRIALS=8
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/config/index.js')
const {openHandle} = await dist('engine/handle.js')
const {migrateLatest} = await dist('engine/store/index.js')
const TRIALS = Number(process.env.BENCH_TRIALS ?? 8)

const received = new Map()
const server = createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    const n = JSON.parse(body)
    if (n.kind === 'raised' && !received.has(n.rule)) received.set(n.rule, performance.now())
    res.writeHead(204).end()
  })
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${server.address().port}/hook`

const dir = mkdtempSync(join(tmpdir(), 'ordermon-bench-alerts-'))
const env = {ORDERMON_HOME: join(dir, '.ordermon')}
const create = await openHandle({loaded: loadConfig({cwd: dir, env}), create: true, requireSchema: false})
await migrateLatest(create.db.knex)
const actor = {name: 'bench', source: 'cli'}
const rules = Array.from({length: TRIALS}, (_, k) => `  - name: users_over_${k}\n    condition: active_users > ${k}\n    for: 0s\n    channels: [webhook]\n`).join('')
mkdirSync(join(dir, 'config'))
writeFileSync(join(dir, 'config', 'notification.yaml'), `webhook:\n  url: ${url}\nalerts:\n${rules}`)

const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'start', '--quiet'], {cwd: dir, env: {...process.env, ...env}, stdio: 'ignore'})
const latencies = []
try {
  for (let i = 0; ; i++) {
    try {
      if (JSON.parse(readFileSync(join(env.ORDERMON_HOME, 'engine.json'), 'utf8')).status === 'running') break
    } catch {}
    if (i > 600) throw new Error('engine did not start')
    await new Promise((r) => setTimeout(r, 50))
  }
  // Let the first samples pass, so a trial does not start right at a sample.
  await new Promise((r) => setTimeout(r, 1500))
  for (let k = 0; k < TRIALS; k++) {
    // Spread the start over the sampling second: each trial lands at another phase of it.
    await new Promise((r) => setTimeout(r, 1000 + Math.round((k * 1000) / TRIALS)))
    await create.users.create({username: `bench_${k}`, password: 'bench-password-1', type: 'personal'}, actor)
    const t0 = performance.now()
    for (let w = 0; !received.has(`users_over_${k}`); w++) {
      if (w > 2000) throw new Error(`no webhook for users_over_${k}`)
      await new Promise((r) => setTimeout(r, 5))
    }
    latencies.push(Math.round(received.get(`users_over_${k}`) - t0))
  }
} finally {
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  await create.close()
  server.close()
  rmSync(dir, {recursive: true, force: true})
}
const sorted = [...latencies].sort((a, b) => a - b)
process.stdout.write(`${JSON.stringify({alert_latency: {trials: TRIALS, metrics_ms: 1000, condition_to_webhook_ms: {p50: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), all: latencies}}}, null, 2)}\n`)
