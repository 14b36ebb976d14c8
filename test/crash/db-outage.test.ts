import {existsSync, readFileSync} from 'node:fs'
import {createServer, connect, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REDIS_URL, createBackend, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, countOf as count, openDb} from '../helpers/e2e.js'
import {engineProcesses, engineState as stateOf, fastEngineEnv, type EngineProcess} from '../helpers/engine-process.js'
import {openHandle} from '../../src/engine/handle.js'
import {formatOrderId} from '../../src/engine/domain/ids.js'
import type {NewOrderRow, OrderLogRow} from '../../src/engine/store/index.js'
import {isAlive, until} from '../helpers/process.js'
import {deleteKeys, subscribe} from '../helpers/redis.js'

/**
 * Crash safety of the monitoring engine: the database goes away for 10 s under a running engine. The
 * engine reaches MariaDB through a TCP proxy this test controls; cutting it drops every open connection
 * and refuses new ones, as a failed-over or restarted server would. The engine must live through it,
 * say so (`db_connection_failed` in logs/system.log, engine.json degraded), and once the database is
 * back, pick up a raw SQL change made meanwhile, publish it, report healthy again, and finish the fills
 * it was making when the database went, none lost or applied twice.
 *
 * Real MariaDB (a throwaway database; the shared server itself is never touched), real Redis on 6379
 * (a unique key prefix), the built CLI as a process.
 */

const OUTAGE_MS = 10_000
// A book still filling when the database goes: ~60 ticks of volume on one symbol.
const ORDERS = 300
const QUANTITY = 1000

/**
 * A TCP forwarder with a switch. Down: every open connection (both sides) is destroyed, and new ones
 * are accepted and destroyed at once, so a client sees its connections lost and reconnects fail.
 */
class SwitchableProxy {
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private down = false
  accepted = 0
  refused = 0
  port = 0

  constructor(private readonly target: {host: string; port: number}) {
    this.server = createServer((client) => this.accept(client))
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as {port: number}).port
        resolve(this.port)
      })
    })
  }

  private accept(client: Socket): void {
    if (this.down) {
      this.refused++
      client.destroy()
      return
    }
    this.accepted++
    const upstream = connect(this.target.port, this.target.host)
    this.sockets.add(client)
    this.sockets.add(upstream)
    const end = () => {
      client.destroy()
      upstream.destroy()
      this.sockets.delete(client)
      this.sockets.delete(upstream)
    }
    for (const s of [client, upstream]) {
      s.on('error', end)
      s.on('close', end)
    }
    client.pipe(upstream)
    upstream.pipe(client)
  }

  cut(): void {
    this.down = true
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
  }

  restore(): void {
    this.down = false
  }

  close(): Promise<void> {
    this.cut()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

describe.sequential('crash: the database unreachable for 10 s under a running engine', () => {
  let backend: TestBackend
  /** The CLI and the test talk to MariaDB directly; the engine through the proxy. */
  let directEnv: Record<string, string>
  let engineEnv: Record<string, string>
  let home: string
  let db: Knex
  let proxy: SwitchableProxy | undefined
  let sub: Redis | undefined
  let engine: EngineProcess | undefined
  const prefix = `${uniqueName('ordermon_dbout')}:`
  const engines = engineProcesses(() => ({cwd: backend.dir, env: engineEnv}))
  const messages: Array<Record<string, any>> = []
  let userId = ''
  let fillerId = ''
  let fromEvent = 0
  let restoredAt = 0

  const engineState = () => stateOf(home)
  const systemLog = () => {
    const file = join(home, 'logs', 'system.log')
    return existsSync(file) ? readFileSync(file, 'utf8') : ''
  }
  const openOrders = () => count(db('orders').where({user_id: fillerId}).whereIn('status', ['pending', 'partially_filled']))
  const statusChanges = () => db('events').where({type: 'user.status_changed', entity_type: 'user', entity_id: userId, source: 'sql'}).where('id', '>', fromEvent)

  const cli = cliIn(() => ({dir: backend.dir, env: directEnv}))

  beforeAll(async () => {
    backend = await createBackend('mariadb')
    home = backend.env.ORDERMON_HOME!
    directEnv = {...backend.env}
    const direct = new URL(backend.env.ORDERMON_DATABASE_URL!)
    proxy = new SwitchableProxy({host: direct.hostname, port: Number(direct.port || 3306)})
    const port = await proxy.listen()
    const viaProxy = new URL(direct.href)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(port)
    engineEnv = {
      ...backend.env,
      ORDERMON_DATABASE_URL: viaProxy.href,
      ORDERMON_REDIS_URL: REDIS_URL,
      ORDERMON__REDIS__KEY_PREFIX: prefix,
      ...fastEngineEnv,
    }
    const init = await cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    const user = await cli(['user', 'create', '--username', 'outage_trader', '--password', 'Outage-Test-1', '--json'])
    expect(user.code, user.stderr).toBe(0)
    userId = json(user).user_id
    const filler = await cli(['user', 'create', '--username', 'outage_filler', '--password', 'Outage-Test-1', '--json'])
    expect(filler.code, filler.stderr).toBe(0)
    fillerId = json(filler).user_id
    // Open market orders for the other user, inserted through the engine library as a burst would arrive.
    const lib = await openHandle({loaded: backend.loaded})
    try {
      await lib.store.transaction(async (tx) => {
        const first = await tx.sequences.allocate('order', ORDERS)
        const orders: NewOrderRow[] = []
        const logs: OrderLogRow[] = []
        for (let i = 0; i < ORDERS; i++) {
          const order_id = formatOrderId(first + i)
          orders.push({order_id, user_id: fillerId, symbol: 'MSFT', side: 'buy', order_type: 'market', time_in_force: 'GTC', quantity: QUANTITY, status: 'pending'})
          logs.push({order_id, from_status: null, to_status: 'pending', quantity: QUANTITY, reason: 'created', source: 'cli', actor: 'crash-test'})
        }
        await tx.orders.insert(orders)
        await tx.orders.insertLogs(logs)
      })
    } finally {
      await lib.close()
    }
    db = openDb(backend)
    sub = await subscribe(`${prefix}events`, (raw) => messages.push(JSON.parse(raw)))
  })

  afterAll(async () => {
    await engines.stopAll()
    await proxy?.close()
    sub?.disconnect()
    await deleteKeys(prefix)
    await db?.destroy()
    await backend?.cleanup()
  })

  it('the engine runs on the database through the proxy', async () => {
    engine = await engines.start()
    expect(proxy!.accepted).toBeGreaterThan(0)
    expect(engineState()).toMatchObject({pid: engine.pid, users: 2, last_error: null})
    fromEvent = Number((await db('events').max({m: 'id'}))[0]!.m ?? 0)
    // The outage should come in the middle of the fills.
    await until('the first fills', async () => (await count(db('order_logs').where({source: 'engine'}))) > 20, 10_000, 20)
  })

  it('cut for 10 s: the engine stays alive and reports db_connection_failed; a raw SQL change waits', async () => {
    expect(systemLog()).not.toMatch(/db_connection_failed/)
    expect(await openOrders()).toBeGreaterThan(ORDERS / 2)
    proxy!.cut()
    const cutAt = Date.now()
    // Made while the engine cannot see the database: it must be found once it can.
    await db.raw("UPDATE users SET status='suspended' WHERE user_id = ?", [userId])
    // engine.json says so meanwhile (written every heartbeat, with or without the database).
    const degraded = await until(
      'engine.json to show status degraded during the outage',
      () => {
        expect(engine!.hasExited(), `the engine exited during the outage: ${engine!.output()}`).toBe(false)
        const s = engineState()
        return s?.pid === engine!.pid && s.status === 'degraded' ? s : undefined
      },
      OUTAGE_MS,
    )
    // The outage lasts OUTAGE_MS whatever the engine does meanwhile (a duration, not a condition): it must live through all of it.
    await engine!.staysUp(cutAt + OUTAGE_MS - Date.now(), 'the engine exited during the outage')
    expect(isAlive(engine!.pid)).toBe(true)
    // Not detected while the database was out of reach (there was no way to write the event).
    expect(await statusChanges()).toEqual([])
    expect(proxy!.refused, 'the engine tried to reconnect').toBeGreaterThan(0)
    expect(systemLog()).toMatch(/db_connection_failed/)
    expect(degraded.last_error).toMatch(/db_connection_failed/)
    proxy!.restore()
    restoredAt = Date.now()
  })

  it('back: within 15 s the change is detected, published, and the heartbeat is healthy again', async () => {
    expect(restoredAt).toBeGreaterThan(0)
    const event = await until('the user.status_changed event (source sql)', async () => (await statusChanges())[0], 15_000)
    expect(typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload).toMatchObject({from: 'active', to: 'suspended'})
    const got = await until('the event on Redis', () => messages.find((m) => m.id === Number(event.id)), Math.max(1000, restoredAt + 15_000 - Date.now()))
    expect(got).toMatchObject({type: 'user.status_changed', entity_id: userId, source: 'sql', payload: {from: 'active', to: 'suspended'}})
    // Detected once, not once per poll.
    expect(messages.filter((m) => m.type === 'user.status_changed' && m.entity_id === userId)).toHaveLength(1)
    const healthy = await until(
      'a fresh heartbeat with no error in engine.json',
      () => {
        const s = engineState()
        return s?.pid === engine!.pid && s.status === 'running' && s.last_error === null && Date.parse(s.updated_at) > restoredAt ? s : undefined
      },
      Math.max(1000, restoredAt + 15_000 - Date.now()),
    )
    // The suspended user is no longer monitored.
    await until('the engine to drop the suspended user', () => engineState()?.users === 1, 5000)
    expect(healthy.pid).toBe(engine!.pid)
    expect(await statusChanges()).toHaveLength(1)
  })

  it('the fills interrupted by the outage resume: every order filled once, history and fills add up', async () => {
    await until('every order filled', async () => (await openOrders()) === 0, 60_000, 250)
    const orders: Array<Record<string, any>> = await db('orders').where({user_id: fillerId})
    const logs: Array<Record<string, any>> = await db('order_logs').whereIn('order_id', orders.map((o) => o.order_id)).orderBy('id')
    const fills: Array<Record<string, any>> = await db('fills').where({user_id: fillerId}).orderBy('id')
    const events: Array<Record<string, any>> = await db('events').where({entity_type: 'order', user_id: fillerId}).orderBy('id')
    const problems: string[] = []
    for (const o of orders) {
      const history = logs.filter((l) => l.order_id === o.order_id)
      const changes = history.filter((l) => l.from_status !== null)
      let state: string | null = null
      for (const l of history) {
        if (l.from_status !== state) problems.push(`${o.order_id}: log ${l.id} goes ${l.from_status} -> ${l.to_status} but the order was ${state}`)
        state = l.to_status
      }
      const logged = history.reduce((s, l) => s + Number(l.filled_delta), 0)
      const filled = fills.filter((f) => f.order_id === o.order_id).reduce((s, f) => s + Number(f.quantity), 0)
      if (o.status !== 'filled' || state !== 'filled') problems.push(`${o.order_id}: ${o.status}, history ends at ${state}`)
      if (Number(o.filled_quantity) !== QUANTITY || Math.abs(logged - QUANTITY) > 1e-6 || Math.abs(filled - QUANTITY) > 1e-6)
        problems.push(`${o.order_id}: filled_quantity ${o.filled_quantity}, order_logs ${logged}, fills ${filled}`)
      if (Number(o.version) !== 1 + changes.length) problems.push(`${o.order_id}: version ${o.version} for ${changes.length} changes`)
      if (events.filter((e) => e.entity_id === o.order_id).length !== changes.length) problems.push(`${o.order_id}: events and changes differ`)
    }
    expect(problems.slice(0, 20), `${problems.length} problem(s)`).toEqual([])
    // And the outbox reached Redis whole: every event since the engine started, the outage's included.
    const ids: number[] = (await db('events').where('id', '>', fromEvent).select('id')).map((e: {id: number | string}) => Number(e.id))
    const missing = await until(
      'every event on Redis',
      () => {
        const seen = new Set(messages.map((m) => Number(m.id)))
        const m = ids.filter((id) => !seen.has(id))
        return m.length === 0 ? m : undefined
      },
      5000,
    ).catch(() => ids.filter((id) => !messages.some((m) => Number(m.id) === id)))
    expect(missing, `${missing.length} of ${ids.length} events not published`).toEqual([])
  })

  it('SIGTERM still stops it gracefully: exit 0', async () => {
    expect(await engine!.sigterm(), engine!.output()).toEqual({code: 0, signal: null})
    expect(existsSync(join(home, 'ordermon.pid'))).toBe(false)
    expect(engineState()).toMatchObject({pid: engine!.pid, status: 'stopped'})
  })
})
