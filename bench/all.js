#!/usr/bin/env node
// `npm run bench`: every benchmark, one JSON document on stdout. Each part runs in its own process
// (so one's memory and connections do not skew the other): bench/run.js (CLI start-up, user queries)
// and bench/engine.js (engine at scale, raw-SQL latency, sustained transitions).
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const part = (file) => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024})
  if (r.status !== 0) throw new Error(`${file} failed with exit code ${r.status}`)
  return JSON.parse(r.stdout)
}
process.stdout.write(`${JSON.stringify({cli: part('./run.js'), engine: part('./engine.js')}, null, 2)}\n`)
