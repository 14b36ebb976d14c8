// The soak benchmark's order flow, in its own process so its memory is not the engine's. Two
// streams at the rates the parent sends over IPC:
// - market orders placed through the order service, as the CLI or the API would; the engine's
//   paper venue fills them (created, filled);
// - partial fills of the seeded resting orders by an outside gateway (what `--venue external`
//   expects), written in batches through the same TransitionBatcher the engine uses: order row,
//   order_logs, fills and events per transition. Creates serialise on the order-id counter (one
//   commit each), so the gateway carries most of the rate.
// Reports counts (and why anything was refused) when asked.
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {SYMBOLS} from './seed.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {loadConfig} = await dist('engine/index.js')
const {openHandle: openEngine} = await dist('engine/handle.js')
const {TransitionBatcher} = await dist('engine/domain/orders/batcher.js')

const USERS = Number(process.env.SOAK_USERS ?? 10_000)
const RESTING = Number(process.env.SOAK_RESTING_ORDERS ?? 100_000)
const engine = await openEngine({loaded: loadConfig({env: process.env})})
const gateway = new TransitionBatcher(engine.store, {source: 'api', actor: 'bench-gateway', maxBatch: 2000, maxDelayMs: 20})
const actor = {name: 'bench', source: 'api'}
const rates = {create: 0, fill: 0}
const counts = {placed: 0, filled: 0, refused: 0}
const reasons = new Map()
let running = true
let n = 0

const refuse = (error) => {
  counts.refused++
  const why = String(error?.message ?? error).slice(0, 80)
  if (reasons.size < 20 || reasons.has(why)) reasons.set(why, (reasons.get(why) ?? 0) + 1)
}

process.on('message', (m) => {
  if (m.create !== undefined) rates.create = m.create
  if (m.fill !== undefined) rates.fill = m.fill
  if (m.report) process.send({...counts, reasons: Object.fromEntries(reasons)})
  if (m.stop) running = false
})

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Each creator takes an equal share of the create rate; a slow database slows them, it never
// queues work up.
async function creator(workers) {
  let next = performance.now()
  while (running) {
    if (rates.create <= 0) {
      await sleep(50)
      next = performance.now()
      continue
    }
    const i = n++
    const user = `U${String(1 + ((i * 7919) % USERS)).padStart(6, '0')}`
    try {
      await engine.orders.create({user_id: user, symbol: SYMBOLS[i % SYMBOLS.length], side: i % 2 ? 'buy' : 'sell', order_type: 'market', quantity: 100, time_in_force: 'GTC'}, actor)
      counts.placed++
    } catch (error) {
      refuse(error)
    }
    next += (1000 * workers) / Math.max(1, rates.create)
    const wait = next - performance.now()
    if (wait > 0) await sleep(wait)
    else if (wait < -1000) next = performance.now()
  }
}

// Every 10 ms, that slice's share of the fill rate: 10 of a resting order's 1,000, round-robin over
// the book, so the book lasts (100 fills per order). Held back when the database falls behind.
async function gatewayPump() {
  let next = 0
  let carry = 0
  const inflight = new Set()
  while (running) {
    const t0 = performance.now()
    carry += rates.fill / 100
    const k = Math.floor(carry)
    carry -= k
    for (let i = 0; i < k; i++) {
      const id = `ORD${String(1 + (next++ % RESTING)).padStart(7, '0')}`
      const p = gateway.submit({order_id: id, fill: {quantity: 10, price: 1}, reason: 'fill'}).then((o) => (o ? counts.filled++ : refuse(new Error('fill not applicable'))), refuse)
      inflight.add(p)
      p.finally(() => inflight.delete(p))
    }
    while (running && gateway.pending + inflight.size > Math.max(2000, rates.fill * 2)) await sleep(5)
    const spent = performance.now() - t0
    if (spent < 10) await sleep(10 - spent)
  }
  await gateway.flush()
  await Promise.allSettled([...inflight])
}

const CREATORS = 4
await Promise.all([...Array.from({length: CREATORS}, () => creator(CREATORS)), gatewayPump()])
process.send({...counts, done: true})
await engine.close()
process.exit(0)
