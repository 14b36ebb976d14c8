#!/usr/bin/env node
// `npm run bench`: every benchmark, one JSON document on stdout. Each part runs in its own process
// (so one's memory and connections do not skew the other): bench/run.js (CLI start-up, user queries)
// bench/engine.js (engine at scale, raw-SQL latency, sustained transitions) and bench/panel.js (the
// live panel at 5,000 events/s), bench/alerts.js and bench/alert-latency.js (rule evaluation cost,
// condition to webhook), bench/report.js (a monthly report over 1,000,000 orders), bench/api.js (the
// REST API under autocannon: order list and order creation at 50 connections), bench/scale.js (1-3
// engines sharing one database at 20,000 users), and bench/soak.js for
// BENCH_SOAK_MINUTES (default 5; a full soak is `npm run bench:soak`, 30 minutes).
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const part = (file, flags = [], env = {}) => {
  const r = spawnSync(process.execPath, [...flags, fileURLToPath(new URL(file, import.meta.url))], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024, env: {...process.env, ...env}})
  if (r.status !== 0) throw new Error(`${file} failed with exit code ${r.status}`)
  // Ink restores the cursor with an escape sequence on exit: keep only the JSON document.
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1))
}
const soak = () => part('./soak.js', ['--expose-gc'], {BENCH_MINUTES: process.env.BENCH_SOAK_MINUTES ?? '5'})
process.stdout.write(`${JSON.stringify({cli: part('./run.js'), engine: part('./engine.js'), panel: part('./panel.js', ['--expose-gc']).panel, alerts: part('./alerts.js').alerts, alert_latency: part('./alert-latency.js').alert_latency, report: part('./report.js').report, api: part('./api.js').api, scale: part('./scale.js').scale, soak: soak()}, null, 2)}\n`)
