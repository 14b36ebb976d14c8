// The soak benchmark's order flow, in its own process so its memory is not the engine's. Two
// streams at the rates the parent sends over IPC, through the order service as the CLI or the API
// would: market orders (the engine's paper venue fills them: created, filled), and modifications of
// the seeded resting orders (one transition each). Creates serialise on the order-id counter, so
// modifications carry most of the rate. Reports placed/modified/refused counts when asked.
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {SYMBOLS} from './seed.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => import(join(root, 'dist/src', p))
const {openEngine, loadConfig} = await dist('engine/index.js')

const USERS = Number(process.env.SOAK_USERS ?? 10_000)
const RESTING = Number(process.env.SOAK_RESTING_ORDERS ?? 100_000)
const engine = await openEngine({loaded: loadConfig({env: process.env})})
const actor = {name: 'bench', source: 'api'}
const rates = {create: 0, modify: 0}
const counts = {placed: 0, modified: 0, refused: 0}
let running = true
let n = 0

process.on('message', (m) => {
  if (m.create !== undefined) rates.create = m.create
  if (m.modify !== undefined) rates.modify = m.modify
  if (m.report) process.send({...counts})
  if (m.stop) running = false
})

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const ops = {
  async create() {
    const i = n++
    const user = `U${String(1 + ((i * 7919) % USERS)).padStart(6, '0')}`
    await engine.orders.create({user_id: user, symbol: SYMBOLS[i % SYMBOLS.length], side: i % 2 ? 'buy' : 'sell', order_type: 'market', quantity: 100, time_in_force: 'GTC'}, actor)
    counts.placed++
  },
  async modify() {
    const i = n++
    const id = `ORD${String(1 + ((i * 104_729) % RESTING)).padStart(7, '0')}`
    await engine.orders.modify(id, {quantity: 1000 + (i % 2) * 100}, actor)
    counts.modified++
  },
}

// Each worker takes an equal share of its stream's rate; a slow database slows the workers, it
// never queues work up.
async function worker(kind, workers) {
  let next = performance.now()
  while (running) {
    const rate = rates[kind]
    if (rate <= 0) {
      await sleep(50)
      next = performance.now()
      continue
    }
    try {
      await ops[kind]()
    } catch {
      counts.refused++
    }
    next += (1000 * workers) / Math.max(1, rate)
    const wait = next - performance.now()
    if (wait > 0) await sleep(wait)
    else if (wait < -1000) next = performance.now()
  }
}

const CREATORS = 4
const MODIFIERS = 12
await Promise.all([...Array.from({length: CREATORS}, () => worker('create', CREATORS)), ...Array.from({length: MODIFIERS}, () => worker('modify', MODIFIERS))])
process.send({...counts, done: true})
await engine.close()
process.exit(0)
