import {Redis} from 'ioredis'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {channels} from '../../src/engine/bus/channels.js'
import {OutboxRelay} from '../../src/engine/bus/outbox-relay.js'
import {connectRedis, type RedisClient} from '../../src/engine/bus/redis.js'
import {loadConfig, type LoadedConfig} from '../../src/engine/config/index.js'
import {loadSampleData} from '../../src/engine/domain/seed/sample-data.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {ENGINE_CHECK_MS, LiveFeed, POLL_MS} from '../../src/tui/feed.js'
import {REDIS_URL, backendKinds, createBackend, migratedEngine, uniqueName, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {sleep, until} from '../helpers/process.js'

/**
 * The panel's data source on a real database and a real Redis: LiveFeed loads the sample desk
 * (张三 and friends, the manual's strategies, 40 orders in every status), then follows the database
 * outbox (embedded default, both backends) or Redis pub/sub (published by the OutboxRelay).
 */

const actor: Actor = {name: 'feed-test', source: 'cli'}

/** Resolves once `check` holds when the feed says it changed (or, failing that, by the deadline). */
function changeWhere(feed: LiveFeed, check: () => boolean, ms = 2000): Promise<number> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const onChange = () => {
      if (!check()) return
      clearTimeout(timer)
      feed.off('change', onChange)
      resolve(Date.now() - t0)
    }
    const timer = setTimeout(() => {
      feed.off('change', onChange)
      reject(new Error(`no 'change' with the expected model within ${ms} ms`))
    }, ms)
    feed.on('change', onChange)
  })
}

async function expectSampleDesk(feed: LiveFeed, engine: EngineHandle): Promise<void> {
  const m = feed.model
  const users = [...m.users.values()]
  expect(users).toHaveLength(5)
  const zhang = users.find((u) => u.name === '张三')
  expect(zhang).toMatchObject({username: 'trader001', type: 'professional', status: 'active'})
  expect(users.find((u) => u.username === 'trader003')).toMatchObject({name: '王五', status: 'suspended'})
  expect(users.find((u) => u.username === 'trader004')).toMatchObject({name: 'Alice Martin', status: 'locked'})
  const strategies = [...m.strategies.values()]
  expect(strategies.map((s) => s.name).sort()).toEqual(['Mean reversion (stopped)', '动量策略', '套利策略', '网格策略'].sort())
  expect(strategies.find((s) => s.name === '动量策略')).toMatchObject({type: 'momentum', status: 'running', user_id: zhang!.user_id})
  expect(strategies.find((s) => s.name === '套利策略')).toMatchObject({type: 'arbitrage', status: 'paused'})
  // Every order, with the status the database has (the 40 sample orders, and any a test added).
  const db = await engine.store.orders.list({limit: 1000, offset: 0})
  expect(m.orders.size).toBe(db.orders.length)
  expect(m.orders.size).toBeGreaterThanOrEqual(40)
  for (const o of db.orders) expect(m.orders.get(o.order_id), o.order_id).toMatchObject({status: o.status, user_id: o.user_id, symbol: o.symbol, quantity: o.quantity, filled_quantity: o.filled_quantity})
  const statuses = new Set([...m.orders.values()].map((o) => o.status))
  expect([...statuses].sort()).toEqual(['cancelled', 'expired', 'filled', 'partially_filled', 'pending', 'rejected'])
  expect(m.closed).toBe(db.orders.filter((o) => o.status !== 'pending' && o.status !== 'partially_filled').length)
  // The recent history is the activity: the sample users and strategies being created.
  expect(m.activity.some((a) => a.text === `user ${zhang!.user_id} created`)).toBe(true)
  expect(m.activity.some((a) => a.text === `trader001 created strategy ${strategies.find((s) => s.name === '动量策略')!.strategy_id}`)).toBe(true)
  // Newest first.
  for (let i = 1; i < m.activity.length; i++) expect(m.activity[i - 1]!.id).toBeGreaterThan(m.activity[i]!.id)
}

/** A new pending order (a limit buy far below the market) of `username`. */
async function newPendingOrder(engine: EngineHandle, username: string): Promise<string> {
  const user = await engine.store.users.findByUsername(username)
  return (await engine.orders.create({user_id: user!.user_id, symbol: 'AAPL', side: 'buy', quantity: 10, price: 1}, actor)).order.order_id
}

/** A pending sample order of `username` (all seven pending sample orders are trader001's). */
async function pendingOrderOf(engine: EngineHandle, username: string): Promise<string> {
  const user = await engine.store.users.findByUsername(username)
  const list = await engine.store.orders.list({limit: 1000, offset: 0})
  const o = list.orders.find((x) => x.status === 'pending' && x.user_id === user!.user_id)
  expect(o, `a pending order of ${username}`).toBeDefined()
  return o!.order_id
}

describe.each(backendKinds)('LiveFeed following the database outbox on %s', (kind: BackendKind) => {
  let backend: TestBackend
  let engine: EngineHandle
  let feed: LiveFeed
  let setupError: unknown

  beforeAll(async () => {
    try {
      backend = await createBackend(kind)
      engine = await migratedEngine(backend)
      await loadSampleData({store: engine.store, config: backend.loaded.config}, actor)
      feed = new LiveFeed(backend.loaded)
      await feed.start()
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })
  afterAll(async () => {
    await feed?.stop()
    await engine?.close()
    await backend?.cleanup()
  })

  it('loads the users, strategies and orders, and is live on the database', async () => {
    expect(feed.status).toMatchObject({connection: 'live', source: 'database'})
    const fresh = new LiveFeed(backend.loaded)
    try {
      expect(fresh.status.connection).toBe('connecting')
      await fresh.start()
      expect(fresh.status).toMatchObject({connection: 'live', source: 'database'})
      if (kind === 'sqlite') expect(fresh.status.target).toBe(backend.loaded.paths.sqliteFile)
      await expectSampleDesk(fresh, engine)
      // No engine runs: nothing claims it does.
      expect(fresh.model.engine.status).toBe('unknown')
    } finally {
      await fresh.stop()
    }
  })

  it('an order cancelled through the engine library reaches the model and the activity within 2 s, with a change', async () => {
    const orderId = await pendingOrderOf(engine, 'trader001')
    expect(feed.model.orders.get(orderId)!.status).toBe('pending')
    const closed = feed.model.closed
    const seen = changeWhere(feed, () => feed.model.orders.get(orderId)?.status === 'cancelled', 2000)
    await engine.orders.cancel(orderId, actor, 'test cancel')
    const ms = await seen
    expect(ms).toBeLessThan(2000)
    const row = feed.model.orders.get(orderId)!
    expect(row.status).toBe('cancelled')
    expect(row.updated_at).toMatch(/^\d{4}-\d\d-\d\dT/)
    // The newest order comes first in the panel's order (Map in update order).
    expect([...feed.model.orders.keys()].at(-1)).toBe(orderId)
    expect(feed.model.activity[0]).toMatchObject({type: 'order.cancelled', text: `order ${orderId} cancelled (trader001)`, source: 'cli'})
    expect(feed.model.closed).toBe(closed + 1)
    expect(feed.model.events).toBeGreaterThanOrEqual(1)
  })

  it('follows a burst of new orders without losing one', async () => {
    const user = await engine.store.users.findByUsername('trader002')
    const created: string[] = []
    const all = changeWhere(feed, () => created.length === 25 && created.every((id) => feed.model.orders.has(id)), 4000)
    for (let i = 0; i < 25; i++) created.push((await engine.orders.create({user_id: user!.user_id, symbol: 'MSFT', side: 'buy', quantity: 10 + i, price: 300}, actor)).order.order_id)
    await all
    for (const [i, id] of created.entries()) expect(feed.model.orders.get(id)).toMatchObject({status: 'pending', symbol: 'MSFT', side: 'buy', quantity: 10 + i, price: 300})
    expect(feed.model.activity[0]!.text).toBe(`trader002 placed ${created.at(-1)}: buy 34 MSFT @ 300`)
  })

  it('stop() stops following: no more changes, later events are not applied', async () => {
    const second = new LiveFeed(backend.loaded)
    await second.start()
    expect(second.status.connection).toBe('live')
    const orderId = await newPendingOrder(engine, 'trader002')
    await until('the second feed to see the new order', () => second.model.orders.has(orderId), 2000, 20)
    expect(second.model.orders.get(orderId)?.status).toBe('pending')
    await second.stop()
    const after: string[] = []
    second.on('change', () => after.push('change'))
    second.on('status', () => after.push(`status ${second.status.connection} ${second.status.error}`))
    await engine.orders.cancel(orderId, actor)
    // Nothing may happen: a duration, not a condition. Longer than a poll and an engine check.
    await sleep(Math.max(POLL_MS * 3, ENGINE_CHECK_MS + 300))
    expect(after).toEqual([])
    expect(second.model.orders.get(orderId)!.status).toBe('pending')
  })
})

describe('LiveFeed following Redis pub/sub (MariaDB + Redis)', () => {
  const prefix = `${uniqueName('ordermon_panel')}:`
  let backend: TestBackend
  let engine: EngineHandle
  let loaded: LoadedConfig
  let feed: LiveFeed
  let redis: RedisClient
  let plain: Redis
  let relay: OutboxRelay
  let setupError: unknown

  const subscribers = async () => {
    const [, n] = (await plain.pubsub('NUMSUB', channels.all(prefix))) as [string, number]
    return Number(n)
  }

  beforeAll(async () => {
    try {
      backend = await createBackend('mariadb')
      engine = await migratedEngine(backend)
      await loadSampleData({store: engine.store, config: backend.loaded.config}, actor)
      loaded = loadConfig({cwd: backend.dir, env: {...backend.env, ORDERMON_REDIS_URL: REDIS_URL, ORDERMON__REDIS__KEY_PREFIX: prefix}})
      expect(loaded.config.redis.key_prefix).toBe(prefix)
      plain = new Redis(REDIS_URL, {maxRetriesPerRequest: 1})
      plain.on('error', () => {})
      redis = await connectRedis(loaded.config)
      relay = new OutboxRelay(engine.store, redis, {name: uniqueName('panel_relay'), channelPrefix: prefix})
      // The relay starts at the newest event: what follows is what the feed should see.
      await relay.position()
      feed = new LiveFeed(loaded)
      await feed.start()
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })
  afterAll(async () => {
    await feed?.stop()
    redis?.disconnect()
    if (plain) {
      const keys = await plain.keys(`${prefix}*`).catch(() => [])
      if (keys.length) await plain.del(...keys)
      plain.disconnect()
    }
    await engine?.close()
    await backend?.cleanup()
  })

  it('loads the sample desk and is live on Redis, subscribed to the events channel', async () => {
    expect(feed.status).toEqual({connection: 'live', source: 'redis', target: 'redis://127.0.0.1:6379/0', error: undefined})
    const before = await subscribers()
    const fresh = new LiveFeed(loaded)
    try {
      await fresh.start()
      expect(fresh.status).toMatchObject({connection: 'live', source: 'redis'})
      await expectSampleDesk(fresh, engine)
      expect(await subscribers()).toBe(before + 1)
    } finally {
      await fresh.stop()
    }
  })

  it('an event the OutboxRelay publishes reaches the model and the activity', async () => {
    const orderId = await pendingOrderOf(engine, 'trader001')
    const seen = changeWhere(feed, () => feed.model.orders.get(orderId)?.status === 'cancelled', 3000)
    await engine.orders.cancel(orderId, actor)
    expect(feed.model.orders.get(orderId)!.status).toBe('pending')
    expect(await relay.relayOnce()).toBe(1)
    await seen
    expect(feed.model.activity[0]).toMatchObject({type: 'order.cancelled', text: `order ${orderId} cancelled (trader001)`, source: 'cli'})
    expect(feed.status.connection).toBe('live')
  })

  it('a relayed burst arrives whole, in few changes', async () => {
    const user = await engine.store.users.findByUsername('trader002')
    const created: string[] = []
    for (let i = 0; i < 40; i++) created.push((await engine.orders.create({user_id: user!.user_id, symbol: 'GOOGL', side: 'sell', quantity: 1 + i, price: 141}, actor)).order.order_id)
    let changes = 0
    const count = () => void changes++
    feed.on('change', count)
    const all = changeWhere(feed, () => created.every((id) => feed.model.orders.has(id)), 3000)
    expect(await relay.relayOnce()).toBe(40)
    await all
    feed.off('change', count)
    for (const [i, id] of created.entries()) expect(feed.model.orders.get(id)).toMatchObject({status: 'pending', side: 'sell', quantity: 1 + i})
    // One pipeline of 40 events: coalesced, not one change per event.
    expect(changes).toBeLessThan(10)
  })

  it('stop() unsubscribes and closes: later events are not applied', async () => {
    const orderId = await newPendingOrder(engine, 'trader002')
    const seen = changeWhere(feed, () => feed.model.orders.has(orderId), 3000)
    await relay.relayOnce()
    await seen
    const second = new LiveFeed(loaded)
    await second.start()
    expect(second.model.orders.get(orderId)?.status).toBe('pending')
    const listening = await subscribers()
    const after: string[] = []
    await second.stop()
    second.on('change', () => after.push('change'))
    await until('the stopped feed to leave the channel', async () => (await subscribers()) === listening - 1, 3000, 20)
    expect(await subscribers()).toBe(listening - 1)
    await engine.orders.cancel(orderId, actor)
    const cancelled = changeWhere(feed, () => feed.model.orders.get(orderId)?.status === 'cancelled', 3000)
    expect(await relay.relayOnce()).toBe(1)
    await cancelled
    // Nothing may happen to the stopped feed: a duration, not a condition (an engine check would have fired).
    await sleep(ENGINE_CHECK_MS + 300)
    expect(after).toEqual([])
    expect(second.model.orders.get(orderId)!.status).toBe('pending')
  })

  it('a stopped feed does not report itself as reconnecting', async () => {
    const second = new LiveFeed(loaded)
    await second.start()
    const statuses: string[] = []
    second.on('status', () => statuses.push(`${second.status.connection}: ${second.status.error}`))
    await second.stop()
    // Nothing may be reported: a duration, not a condition (a reconnect attempt would have said so by now).
    await sleep(300)
    expect(statuses).toEqual([])
    expect(second.status.connection).not.toBe('reconnecting')
  })
})
