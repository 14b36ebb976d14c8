import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, openDb} from '../helpers/e2e.js'
import {engineProcesses, engineState as stateOf, fastEngineEnv, type EngineProcess} from '../helpers/engine-process.js'
import {isAlive, stopPid, until} from '../helpers/process.js'
import {subscribe} from '../helpers/redis.js'

/**
 * Crash safety of the monitoring engine: Redis dies (SIGKILL) under a running engine and comes back on
 * the same port. Events keep being written to the outbox meanwhile; the engine must live through it
 * and, once Redis answers again, publish what it could not (the outbox relay records its offset only
 * after a successful publish), then carry on publishing new events.
 *
 * A redis-server of our own on a free port (the shared one is never touched), real MariaDB (a
 * throwaway database), the built CLI as a process.
 */

/** A port nobody listens on right now: bind port 0, read what we got, let it go. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

describe.sequential('crash: Redis killed and restarted under a running engine', () => {
  let backend: TestBackend
  let env: Record<string, string>
  let home: string
  let db: Knex
  let port = 0
  let redisUrl = ''
  let redisServer: ChildProcess | undefined
  let sub: Redis | undefined
  let engine: EngineProcess | undefined
  const prefix = `${uniqueName('ordermon_redisout')}:`
  const engines = engineProcesses(() => ({cwd: backend.dir, env}))
  /** Our redis-server processes. */
  const redisPids = new Set<number>()
  const messages: Array<Record<string, any>> = []
  let watchedUser = ''
  let traderUser = ''
  let orderId = ''
  let outboxEvent: Record<string, any> | undefined

  const engineState = () => stateOf(home)
  const cli = cliIn(() => ({dir: backend.dir, env}))

  /** Our own redis-server on `port`, no persistence; resolves once it answers PING. */
  async function startRedis(): Promise<ChildProcess> {
    const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {stdio: ['ignore', 'pipe', 'pipe']})
    if (child.pid) redisPids.add(child.pid)
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    const probe = new Redis(redisUrl, {lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null})
    probe.on('error', () => {})
    try {
      await until(
        `redis-server on port ${port}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`)
          try {
            if (probe.status !== 'ready') await probe.connect()
            return (await probe.ping()) === 'PONG'
          } catch {
            probe.disconnect()
            return false
          }
        },
        10_000,
        50,
      )
    } finally {
      probe.disconnect()
    }
    return child
  }

  /** How many clients are subscribed to `<prefix>events`, asked of the server itself. */
  async function subscribers(): Promise<number> {
    const admin = new Redis(redisUrl, {lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null})
    admin.on('error', () => {})
    try {
      await admin.connect()
      const [, n] = (await admin.call('PUBSUB', 'NUMSUB', `${prefix}events`)) as [string, number]
      return Number(n)
    } catch {
      return -1
    } finally {
      admin.disconnect()
    }
  }

  beforeAll(async () => {
    port = await freePort()
    redisUrl = `redis://127.0.0.1:${port}/0`
    redisServer = await startRedis()
    backend = await createBackend('mariadb')
    home = backend.env.ORDERMON_HOME!
    env = {
      ...backend.env,
      ORDERMON_REDIS_URL: redisUrl,
      ORDERMON__REDIS__KEY_PREFIX: prefix,
      ...fastEngineEnv,
    }
    const init = await cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    for (const username of ['redis_watched', 'redis_trader']) {
      const r = await cli(['user', 'create', '--username', username, '--password', 'Redis-Test-1', '--json'])
      expect(r.code, r.stderr).toBe(0)
      if (username === 'redis_watched') watchedUser = json(r).user_id
      else traderUser = json(r).user_id
    }
    db = openDb(backend)
    // A subscriber as a live panel would have one: it reconnects and resubscribes by itself.
    sub = await subscribe(`${prefix}events`, (raw) => messages.push(JSON.parse(raw)), {url: redisUrl, maxRetriesPerRequest: null, retryStrategy: () => 50})
  })

  afterAll(async () => {
    sub?.disconnect()
    // The engine first (it may be paused, see below: stopPid sends SIGCONT first), then our redis-server.
    await engines.stopAll()
    await Promise.all([...redisPids].map((pid) => stopPid(pid)))
    await db?.destroy()
    await backend?.cleanup()
  })

  it('the engine runs and publishes to our Redis', async () => {
    engine = await engines.start()
    expect(engineState()).toMatchObject({pid: engine.pid, redis: redisUrl})
    // A limit buy far below the market: the paper venue leaves it open, to be cancelled later.
    const created = await cli(['order', 'create', '--user-id', traderUser, '--symbol', 'AAPL', '--side', 'buy', '--quantity', '10', '--price', '1', '--json'])
    expect(created.code, created.stderr).toBe(0)
    orderId = json(created).order.order_id
    const event = await db('events').where({type: 'order.created', entity_id: orderId}).first()
    await until('order.created on Redis', () => messages.find((m) => m.id === Number(event.id)), 10_000)
  })

  it('Redis killed: the engine lives on and the outbox still records a raw SQL change', async () => {
    const fromEvent = Number((await db('events').max({m: 'id'}))[0]!.m ?? 0)
    redisServer!.kill('SIGKILL')
    await until('redis-server to die', () => redisServer!.exitCode !== null || redisServer!.signalCode !== null, 5000, 20)
    await db.raw("UPDATE users SET status='suspended' WHERE user_id = ?", [watchedUser])
    outboxEvent = await until(
      'the user.status_changed row in events',
      async () => db('events').where({type: 'user.status_changed', entity_type: 'user', entity_id: watchedUser, source: 'sql'}).where('id', '>', fromEvent).first(),
      10_000,
    )
    // Redis stays down a while longer (a duration, not a condition): long enough for the relay to try
    // and fail more than once, and the engine must live through it.
    await engine!.staysUp(3000, 'the engine exited without Redis')
    expect(isAlive(engine!.pid)).toBe(true)
    expect(messages.find((m) => m.id === Number(outboxEvent!.id))).toBeUndefined()
    // It followed the change all the same (from the outbox, not from Redis).
    await until('the engine to drop the suspended user', () => engineState()?.users === 1, 5000)
  })

  it('Redis back on the same port: the subscriber gets the event written while it was down', async () => {
    // Pub/sub keeps nothing for a subscriber that is not there yet, so the engine is held (SIGSTOP) while
    // Redis comes back and our subscriber resubscribes; only then may the engine reconnect and publish.
    process.kill(engine!.pid, 'SIGSTOP')
    try {
      redisServer = await startRedis()
      await until('the subscriber to resubscribe', async () => (await subscribers()) === 1, 10_000, 50)
    } finally {
      process.kill(engine!.pid, 'SIGCONT')
    }
    const backAt = Date.now()
    const got = await until('the event written while Redis was down, on Redis', () => messages.find((m) => m.id === Number(outboxEvent!.id)), 15_000)
    expect(Date.now() - backAt).toBeLessThan(15_000)
    expect(got).toMatchObject({type: 'user.status_changed', entity_type: 'user', entity_id: watchedUser, source: 'sql', payload: {from: 'active', to: 'suspended'}})
    expect(engine!.hasExited()).toBe(false)
  })

  it('later events flow as before: order cancel is received', async () => {
    const r = await cli(['order', 'cancel', '--order-id', orderId])
    expect(r.code, r.stderr).toBe(0)
    const event = await db('events').where({type: 'order.cancelled', entity_id: orderId}).first()
    expect(event).toMatchObject({source: 'cli', user_id: traderUser})
    const got = await until('order.cancelled on Redis', () => messages.find((m) => m.id === Number(event.id)), 15_000)
    expect(got).toMatchObject({type: 'order.cancelled', entity_id: orderId, source: 'cli'})
    // Once each after dedupe; nothing of the outbox left out.
    const ids: number[] = (await db('events').where('id', '>=', Number(outboxEvent!.id)).select('id')).map((e: {id: number | string}) => Number(e.id))
    expect(ids.filter((id) => !messages.some((m) => m.id === id))).toEqual([])
  })

  it('SIGTERM stops it gracefully: exit 0', async () => {
    expect(await engine!.sigterm(), engine!.output()).toEqual({code: 0, signal: null})
    expect(existsSync(join(home, 'ordermon.pid'))).toBe(false)
  })
})
