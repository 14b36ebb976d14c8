import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REDIS_URL, createBackend, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, countOf as count, openDb} from '../helpers/e2e.js'
import {engineProcesses, engineState, fastEngineEnv, readPidfile} from '../helpers/engine-process.js'
import {openHandle} from '../../src/engine/handle.js'
import {formatOrderId} from '../../src/engine/domain/ids.js'
import type {NewOrderRow, OrderLogRow} from '../../src/engine/store/index.js'
import {isAlive, until} from '../helpers/process.js'
import {deleteKeys, subscribe} from '../helpers/redis.js'

/**
 * Crash safety of the monitoring engine: `kill -9` in the middle of a burst of fills, then a restart
 * over the stale pidfile. Every fill is one transaction writing the order row, its order_logs row, its
 * fills row and its events row, so whatever was cut off leaves nothing half-written; the restarted
 * engine finishes the book from what the database says, and the outbox relay (publish, then record the
 * offset) delivers every event of the burst to Redis at least once: exactly once after dedupe by id.
 * The engine is killed twice (early in the burst, then again after the first restart), and a first,
 * empty run beforehand fixes where the relay starts: a relay that has never run starts at the newest
 * event, which is only well-defined when no fill is racing it.
 *
 * Real MariaDB (a throwaway database), real Redis on 6379 (a unique key prefix), the built CLI as a process.
 */

const ORDERS = 3000
const QUANTITY = 1000
// Tick volume (~5,000 a tick and symbol) is shared by the orders of a symbol: each order fills over one
// or two ticks and the book over ~100 ticks a symbol, long enough to crash in the middle of it.
const SYMBOLS = ['AAPL', 'MSFT', 'GOOGL', 'TSLA', 'AMZN', 'NVDA']

describe.sequential('crash: kill -9 during a burst of fills, then restart', () => {
  let backend: TestBackend
  let env: Record<string, string>
  let home: string
  let db: Knex
  let sub: Redis | undefined
  const prefix = `${uniqueName('ordermon_crash')}:`
  const engines = engineProcesses(() => ({cwd: backend.dir, env}))
  const cli = cliIn(() => ({dir: backend.dir, env}))
  /** Event id -> how many times it arrived on `<prefix>events`. */
  const received = new Map<number, number>()
  const receivedMessages = new Map<number, Record<string, unknown>>()
  let userId = ''
  let firstOffset = 0
  let killedPid = 0
  let logsAtKill = 0
  let openAtKill = 0
  const kills: string[] = []

  beforeAll(async () => {
    backend = await createBackend('mariadb')
    home = backend.env.ORDERMON_HOME!
    env = {
      ...backend.env,
      ORDERMON_REDIS_URL: REDIS_URL,
      ORDERMON__REDIS__KEY_PREFIX: prefix,
      ...fastEngineEnv,
    }
    sub = await subscribe(`${prefix}events`, (raw) => {
      const m = JSON.parse(raw) as Record<string, unknown>
      const id = Number(m.id)
      received.set(id, (received.get(id) ?? 0) + 1)
      receivedMessages.set(id, m)
    })
    const init = await cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    const user = await cli(['user', 'create', '--username', 'crash_trader', '--password', 'Crash-Test-1', '--json'])
    expect(user.code, user.stderr).toBe(0)
    userId = json(user).user_id
    expect(userId).toBeTruthy()
    db = openDb(backend)
  })

  afterAll(async () => {
    await engines.stopAll()
    sub?.disconnect()
    await deleteKeys(prefix)
    await db?.destroy()
    await backend?.cleanup()
  })

  it('a first run records where the outbox relay starts', async () => {
    const engine = await engines.start()
    const {code} = await engine.sigterm()
    expect(code, engine.output()).toBe(0)
    const row = await db('relay_offsets').where({name: `relay.${prefix}`}).first()
    expect(row, 'the relay recorded an offset').toBeDefined()
    firstOffset = Number(row.last_event_id)
    expect(firstOffset).toBe(Number((await db('events').max({m: 'id'}))[0]!.m ?? 0))
  })

  it(`${ORDERS} open market orders, inserted through the engine library`, async () => {
    const lib = await openHandle({loaded: backend.loaded})
    try {
      await lib.store.transaction(async (tx) => {
        const first = await tx.sequences.allocate('order', ORDERS)
        const orders: NewOrderRow[] = []
        const logs: OrderLogRow[] = []
        for (let i = 0; i < ORDERS; i++) {
          const order_id = formatOrderId(first + i)
          const side = i % 2 === 0 ? 'buy' : 'sell'
          orders.push({order_id, user_id: userId, symbol: SYMBOLS[i % SYMBOLS.length]!, side, order_type: 'market', time_in_force: 'GTC', quantity: QUANTITY, status: 'pending'})
          logs.push({order_id, from_status: null, to_status: 'pending', quantity: QUANTITY, reason: 'created', source: 'cli', actor: 'crash-test'})
        }
        await tx.orders.insert(orders)
        await tx.orders.insertLogs(logs)
      })
    } finally {
      await lib.close()
    }
    expect(await count(db('orders').where({user_id: userId, status: 'pending'}))).toBe(ORDERS)
    expect(await count(db('order_logs').where({source: 'engine'}))).toBe(0)
  })

  /** Starts the engine, waits for more than `logs` engine order_logs rows, then kill -9. */
  async function crashAt(logs: number): Promise<void> {
    const engine = await engines.start()
    if (killedPid) {
      // Started over the stale pidfile left by the previous crash.
      expect(engine.pid).not.toBe(killedPid)
      expect(readPidfile(home)).toBe(engine.pid)
    }
    killedPid = engine.pid
    await until(`more than ${logs} engine order_logs rows`, async () => (await count(db('order_logs').where({source: 'engine'}))) > logs, 30_000, 20)
    const {signal} = await engine.kill9()
    expect(signal).toBe('SIGKILL')
    logsAtKill = await count(db('order_logs').where({source: 'engine'}))
    openAtKill = await count(db('orders').whereIn('status', ['pending', 'partially_filled']))
    // Killed while the burst was still going: there is work left for the next engine.
    kills.push(`${logsAtKill} engine logs / ${openAtKill} orders open`)
    expect(openAtKill).toBeGreaterThan(ORDERS / 10)
    // What a crash leaves behind: a pidfile naming a dead process, engine.json still saying running.
    expect(isAlive(killedPid)).toBe(false)
    expect(readPidfile(home)).toBe(killedPid)
    expect(engineState(home)).toMatchObject({pid: killedPid, status: 'running'})
  }

  it('kill -9 in the middle of the burst', async () => {
    await crashAt(200)
  })

  it('restarted over the stale pidfile, killed again later in the burst', async () => {
    await crashAt(logsAtKill + 1200)
  })

  it('a restart over the stale pidfile finishes every order and stops cleanly on SIGTERM', async () => {
    const engine = await engines.start()
    expect(engine.pid).not.toBe(killedPid)
    expect(readPidfile(home)).toBe(engine.pid)
    await until('every order filled', async () => (await count(db('orders').whereIn('status', ['pending', 'partially_filled']))) === 0, 90_000, 250)
    expect(await count(db('order_logs').where({source: 'engine'}))).toBeGreaterThan(logsAtKill)
    const {code} = await engine.sigterm()
    expect(code, engine.output()).toBe(0)
    expect(existsSync(join(home, 'ordermon.pid'))).toBe(false)
    expect(engineState(home)).toMatchObject({pid: engine.pid, status: 'stopped'})
  })

  it('each order: history replays to its state, fills add up, version = 1 + changes, one event per change', async () => {
    const orders: Array<Record<string, any>> = await db('orders').where({user_id: userId}).orderBy('id')
    const logs: Array<Record<string, any>> = await db('order_logs').orderBy('id')
    const fills: Array<Record<string, any>> = await db('fills').orderBy('id')
    const events: Array<Record<string, any>> = await db('events').where({entity_type: 'order'}).orderBy('id')
    const group = <T extends Record<string, any>>(rows: T[]) => {
      const m = new Map<string, T[]>()
      for (const r of rows) m.set(r.order_id ?? r.entity_id, [...(m.get(r.order_id ?? r.entity_id) ?? []), r])
      return m
    }
    const logsOf = group(logs)
    const fillsOf = group(fills)
    const eventsOf = group(events)
    expect(orders).toHaveLength(ORDERS)
    const problems: string[] = []
    for (const o of orders) {
      const id = o.order_id as string
      const history = logsOf.get(id) ?? []
      const of = fillsOf.get(id) ?? []
      const ev = eventsOf.get(id) ?? []
      let state: string | null = null
      let filled = 0
      for (const l of history) {
        if (l.from_status !== state) problems.push(`${id}: log ${l.id} goes ${l.from_status} -> ${l.to_status} but the order was ${state}`)
        state = l.to_status
        filled += Number(l.filled_delta)
      }
      const filledQuantity = Number(o.filled_quantity)
      const fillSum = of.reduce((s, f) => s + Number(f.quantity), 0)
      const changes = history.filter((l) => l.from_status !== null)
      if (history[0]?.from_status !== null || history[0]?.to_status !== 'pending') problems.push(`${id}: history does not start with its creation`)
      if (state !== o.status) problems.push(`${id}: history ends at ${state}, the order is ${o.status}`)
      if (o.status !== 'filled' || Math.abs(filledQuantity - QUANTITY) > 1e-9) problems.push(`${id}: ${o.status} with ${filledQuantity} of ${QUANTITY} filled`)
      if (Math.abs(filled - filledQuantity) > 1e-6) problems.push(`${id}: order_logs add up to ${filled}, filled_quantity is ${filledQuantity}`)
      if (Math.abs(fillSum - filledQuantity) > 1e-6) problems.push(`${id}: fills add up to ${fillSum}, filled_quantity is ${filledQuantity}`)
      if (of.length !== changes.filter((l) => Number(l.filled_delta) > 0).length) problems.push(`${id}: ${of.length} fills rows for ${changes.length} fill logs`)
      // A fill applied twice (or a log without its update) would break this.
      if (Number(o.version) !== 1 + changes.length) problems.push(`${id}: version ${o.version}, but ${changes.length} changes in its history`)
      // The events row is written in the same transaction as the order_logs row.
      const fillEvents = ev.filter((e) => e.type === 'order.partially_filled' || e.type === 'order.filled')
      if (fillEvents.length !== changes.length || ev.length !== fillEvents.length) problems.push(`${id}: ${ev.length} events (${fillEvents.length} fill events) for ${changes.length} changes`)
    }
    expect(problems.slice(0, 20), `${problems.length} problem(s)`).toEqual([])
    // Sanity: the burst was made of partial fills too, not only whole ones.
    expect(logs.filter((l) => l.to_status === 'partially_filled').length).toBeGreaterThan(0)
  })

  it('every event of the burst reached Redis: none lost, exactly once after dedupe by id', async () => {
    const ids: number[] = (await db('events').where('id', '>', firstOffset).orderBy('id').select('id')).map((r: {id: number | string}) => Number(r.id))
    const burst = await count(db('events').where('id', '>', firstOffset).whereIn('type', ['order.partially_filled', 'order.filled']))
    expect(burst).toBeGreaterThanOrEqual(ORDERS)
    expect(ids.length).toBeGreaterThanOrEqual(burst)
    // The last ones may still be on the wire when the engine has exited.
    const missing = await until(
      'every event id on Redis',
      () => {
        const m = ids.filter((id) => !received.has(id))
        return m.length === 0 ? m : undefined
      },
      10_000,
      100,
    ).catch(() => ids.filter((id) => !received.has(id)))
    expect(missing.length, `${missing.length} of ${ids.length} events never published, e.g. ${missing.slice(0, 10).join(', ')}`).toBe(0)
    // Nothing was published that is not in the outbox.
    const extra = [...received.keys()].filter((id) => id > firstOffset && !ids.includes(id))
    expect(extra).toEqual([])
    // Published as stored.
    const last = await db('events').where({id: ids.at(-1)}).first()
    expect(receivedMessages.get(ids.at(-1)!)).toMatchObject({id: Number(last.id), type: last.type, entity_id: last.entity_id, user_id: userId, source: 'engine'})
    // Some events may have come twice (published, then the crash before the offset was recorded): fine
    // for a subscriber that dedupes by id. Report how many.
    const twice = ids.filter((id) => (received.get(id) ?? 0) > 1).length
    console.info(`kill-restart: ${ids.length} events, ${twice} received more than once; killed at ${kills.join(', then at ')}`)
  })
})
