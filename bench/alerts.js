#!/usr/bin/env node
// Alert evaluation cost (JSON on stdout). Run after `npm run build`:  node bench/alerts.js
// 100 rules (comparisons, and/or/not, string and boolean inputs) evaluated by the AlertEvaluator on
// 10,000 samples whose values wander across the thresholds, so rules go pending, fire, repeat and
// resolve during the run. Pure CPU: no database, Redis or process is involved.
//   BENCH_RULES=100  BENCH_SAMPLES=10000
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src/engine/domain/alerts', p))
const {loadAlertRules} = await dist('rules.js')
const {AlertEvaluator} = await dist('evaluator.js')

const RULES = Number(process.env.BENCH_RULES ?? 100)
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10_000)
const WARMUP = 1000

/** Rule k: one of six shapes, with thresholds spread so some hold and some do not at any time. */
function spec(k) {
  const t = 50 + (k % 45)
  const shapes = [
    `cpu_usage > ${t}`,
    `memory_usage >= ${t} and tps < ${k % 20}`,
    `p99_latency_ms > ${t * 5} or error_rate > ${(k % 7) + 0.5}`,
    `not db_connection_failed and pending_orders > ${t * 10}`,
    `(cpu_usage > ${t} or memory_usage > ${t}) and redis_status != 'down'`,
    `db_connection_failed or redis_connection_failed or disk_usage > ${t}%`,
  ]
  return {name: `rule_${k}`, condition: shapes[k % shapes.length], level: k % 3 === 0 ? 'critical' : 'warning', for: `${k % 4}s`, repeat: k % 2 ? '30s' : 0, clear_for: '5s', recipients: ['ops@example.com']}
}

/** A deterministic wandering sample (no Math.random: runs compare). */
function sample(i) {
  const wave = (period, phase = 0) => 50 + 50 * Math.sin((2 * Math.PI * (i + phase)) / period)
  return {
    cpu_usage: wave(600),
    memory_usage: wave(900, 200),
    tps: (i * 7) % 25,
    p99_latency_ms: i % 11 === 0 ? null : wave(300, 50) * 5,
    error_rate: (i % 97) / 10,
    pending_orders: (i * 13) % 1000,
    db_connection_failed: i % 1000 < 20,
    redis_connection_failed: i % 1500 < 10,
    redis_status: i % 1500 < 10 ? 'down' : 'up',
    disk_usage: wave(5000),
  }
}

const rules = loadAlertRules(Array.from({length: RULES}, (_, k) => spec(k)))
const evaluator = new AlertEvaluator(rules)
const samples = Array.from({length: SAMPLES + WARMUP}, (_, i) => sample(i))
const t0 = Date.parse('2026-12-01T00:00:00Z')
const times = []
const transitions = {raised: 0, repeated: 0, resolved: 0}
for (let i = 0; i < samples.length; i++) {
  const now = new Date(t0 + i * 1000)
  const started = process.hrtime.bigint()
  const out = evaluator.evaluate(samples[i], now)
  const us = Number(process.hrtime.bigint() - started) / 1000
  if (i < WARMUP) continue
  times.push(us)
  for (const t of out) transitions[t.kind]++
}

const sorted = [...times].sort((a, b) => a - b)
const at = (p) => +sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2)
const mean = +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)
process.stdout.write(`${JSON.stringify({alerts: {rules: RULES, samples: SAMPLES, evaluate_us_per_sample_p50: at(0.5), p99: at(0.99), mean, max: at(1), transitions}}, null, 2)}\n`)
