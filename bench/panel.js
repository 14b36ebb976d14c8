#!/usr/bin/env node
// The live panel under load: 5,000 events/s (JSON messages, as they arrive from Redis) for
// BENCH_PANEL_SECONDS (default 30) into the real Ink App at 120x40. Prints JSON: frames per second,
// CPU (% of one core, whole process: parsing, model updates, rendering), heap at the start and end.
import {EventEmitter} from 'node:events'
import {fileURLToPath} from 'node:url'
import {join} from 'node:path'
import React from 'react'
import {render} from 'ink'

const root = fileURLToPath(new URL('..', import.meta.url))
const {App} = await import(join(root, 'dist/src/tui/app.js'))
const {applyEvent, emptyModel} = await import(join(root, 'dist/src/tui/model.js'))

const SECONDS = Number(process.env.BENCH_PANEL_SECONDS ?? 30)
const RATE = Number(process.env.BENCH_PANEL_RATE ?? 5000)

class Screen extends EventEmitter {
  columns = 120
  rows = 40
  isTTY = true
  frames = 0
  write = () => {
    this.frames++
    return true
  }
}
class Keys extends EventEmitter {
  isTTY = true
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null
}

const source = Object.assign(new EventEmitter(), {
  model: emptyModel(),
  status: {connection: 'live', source: 'redis', target: 'bench'},
  orderHistory: async () => [],
})
for (let u = 1; u <= 1000; u++) source.model.users.set(`U${u}`, {user_id: `U${u}`, username: `trader${u}`, name: u % 2 ? '张三' : 'Alice', type: 'professional', status: 'active'})

const screen = new Screen()
const app = render(React.createElement(App, {source}), {stdout: screen, stdin: new Keys(), stderr: new Screen(), patchConsole: false, exitOnCtrlC: false})

let id = 0
const statuses = ['pending', 'partially_filled', 'filled', 'cancelled']
const message = () => {
  id++
  const n = id % 20_000
  return JSON.stringify({id, type: `order.${statuses[id % 4]}`, entity_type: 'order', entity_id: `ORD${n}`, user_id: `U${1 + (n % 1000)}`, source: 'engine', created_at: new Date().toISOString(), payload: {to: statuses[id % 4], symbol: 'AAPL', side: 'buy', quantity: 100, price: 150.5, filled_quantity: 50}})
}

const heap = () => Math.round(process.memoryUsage().heapUsed / 1_048_576)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
// Warm up: fill the model so the memory figure is steady-state, not growth from empty.
for (let i = 0; i < 30_000; i++) applyEvent(source.model, JSON.parse(message()))
globalThis.gc?.()
await sleep(500)
const heapStart = heap()
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const frames0 = screen.frames
let metricsAt = 0
while (performance.now() - t0 < SECONDS * 1000) {
  const tick = performance.now()
  // Every 10 ms: RATE/100 events, one 'change' per batch (as the feed emits), a metrics snapshot a second.
  for (let i = 0; i < RATE / 100; i++) applyEvent(source.model, JSON.parse(message()))
  if (tick - metricsAt > 1000) {
    metricsAt = tick
    applyEvent(source.model, {id: ++id, type: 'system.metrics', entity_type: 'system', entity_id: 'bench', user_id: null, source: 'engine', created_at: new Date().toISOString(), payload: {at: new Date().toISOString(), instance_id: 'bench', system: {cpu_pct: 40, memory_pct: 60, memory_used_mb: 1, memory_total_mb: 2, disk_read_kb_s: 1, disk_write_kb_s: 1, disk_io_pct: 20, net_rx_kb_s: 1, net_tx_kb_s: 1, net_io_pct: 30}, business: {active_users: 1000, running_strategies: 3000, open_orders: 10000, fills_today: id, tps: RATE, avg_latency_ms: 10, p99_latency_ms: 40, events_per_s: RATE}, process: {rss_mb: 100}}})
  }
  source.emit('change')
  const spent = performance.now() - tick
  await sleep(Math.max(0, 10 - spent))
}
const wall = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
globalThis.gc?.()
await sleep(300)
const result = {
  rate_events_per_s: Math.round((id - 30_000) / wall),
  seconds: +wall.toFixed(1),
  frames_per_s: +((screen.frames - frames0) / wall).toFixed(1),
  cpu_pct_of_one_core: +(((cpu.user + cpu.system) / 1000 / (wall * 1000)) * 100).toFixed(1),
  heap_mb_start: heapStart,
  heap_mb_end: heap(),
  orders_in_model: source.model.orders.size,
  activity_lines: source.model.activity.length,
}
app.unmount()
process.stdout.write(`${JSON.stringify({panel: result}, null, 2)}\n`)
process.exit(0)
