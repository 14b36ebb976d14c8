// The soak benchmark's order flow, in its own process so its memory is not the engine's: market
// orders placed through the order service (as the CLI or the API would) at the rate the parent
// sends over IPC; the engine's paper venue fills them. Reports placed/refused counts when asked.
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {SYMBOLS} from './seed.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {openEngine, loadConfig} = await dist('engine/index.js')

const USERS = Number(process.env.SOAK_USERS ?? 10_000)
const WORKERS = Number(process.env.SOAK_WORKERS ?? 12)
const engine = await openEngine({loaded: loadConfig({env: process.env})})
const actor = {name: 'bench', source: 'api'}
let rate = 0
let placed = 0
let refused = 0
let running = true
let n = 0

process.on('message', (m) => {
  if (m.rate !== undefined) rate = m.rate
  if (m.report) process.send({placed, refused})
  if (m.stop) running = false
})

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Each worker takes a share of the rate; a slow database slows them, it never queues up work.
async function worker(w) {
  let next = performance.now()
  while (running) {
    if (rate <= 0) {
      await sleep(50)
      next = performance.now()
      continue
    }
    const i = n++
    const user = `U${String(1 + ((i * 7919) % USERS)).padStart(6, '0')}`
    try {
      await engine.orders.create({user_id: user, symbol: SYMBOLS[i % SYMBOLS.length], side: i % 2 ? 'buy' : 'sell', order_type: 'market', quantity: 100, time_in_force: 'GTC'}, actor)
      placed++
    } catch {
      refused++
    }
    next += (1000 * WORKERS) / rate
    const wait = next - performance.now()
    if (wait > 0) await sleep(wait)
    else if (wait < -1000) next = performance.now()
  }
}

await Promise.all(Array.from({length: WORKERS}, (_, w) => worker(w)))
process.send({placed, refused, done: true})
await engine.close()
process.exit(0)
