import {rmSync} from 'node:fs'
import {Redis} from 'ioredis'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {REDIS_URL, backendKinds, createBackend, migratedEngine, uniqueName, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {channels, type EventMessage} from '../../src/engine/bus/channels.js'
import {OutboxRelay} from '../../src/engine/bus/outbox-relay.js'
import {connectRedis, type RedisClient} from '../../src/engine/bus/redis.js'
import {loadConfig} from '../../src/engine/config/index.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import type {StoredEvent} from '../../src/engine/store/index.js'

/**
 * The transactional outbox relay on a real database and a real Redis: every `events` row is published
 * once, in id order, to `<prefix>events` and `<prefix>events.<entity_type>`; relay_offsets records how
 * far it got, so a restart publishes nothing twice, and a reset offset republishes (subscribers dedupe by id).
 */

const cli: Actor = {name: 'test', source: 'cli'}
const messageKeys = ['created_at', 'entity_id', 'entity_type', 'id', 'payload', 'source', 'type', 'user_id']

interface Received {
  channel: string
  message: EventMessage
  raw: string
}

describe.each(backendKinds)('OutboxRelay on %s + Redis', (kind: BackendKind) => {
  const prefix = `${uniqueName('ordermon_relay')}:`
  const all = channels.all(prefix)
  const orderChannel = channels.entity(prefix, 'order')
  let backend: TestBackend
  let engine: EngineHandle
  let redis: RedisClient
  let sub: Redis
  let setupError: unknown
  const received: Received[] = []

  beforeAll(async () => {
    try {
      backend = await createBackend(kind)
      engine = await migratedEngine(backend)
      const loaded = loadConfig({cwd: backend.dir, env: {...backend.env, ORDERMON_REDIS_URL: REDIS_URL, ORDERMON__REDIS__KEY_PREFIX: prefix}})
      expect(loaded.config.redis.key_prefix).toBe(prefix)
      redis = await connectRedis(loaded.config)
      sub = new Redis(REDIS_URL, {lazyConnect: true, maxRetriesPerRequest: 1})
      sub.on('error', () => {})
      await sub.connect()
      sub.on('message', (channel: string, raw: string) => received.push({channel, raw, message: JSON.parse(raw) as EventMessage}))
      await sub.subscribe(all, orderChannel)
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })

  afterAll(async () => {
    sub?.disconnect()
    redis?.disconnect()
    if (!setupError) {
      // Pub/sub leaves no keys; make sure nothing under this run's prefix is left either way.
      const plain = new Redis(REDIS_URL, {maxRetriesPerRequest: 1})
      try {
        const keys = await plain.keys(`${prefix}*`)
        if (keys.length) await plain.del(...keys)
        expect(await plain.keys(`${prefix}*`)).toEqual([])
      } finally {
        await plain.quit()
      }
    }
    await engine?.close()
    try {
      await backend?.cleanup()
    } finally {
      if (backend) rmSync(backend.dir, {recursive: true, force: true})
    }
  })

  let seq = 0
  /** Some history through the services: user, strategy and order events. */
  async function makeEvents(): Promise<void> {
    const u = await engine.users.create({username: `relay_${++seq}`, password: 'password123'}, cli)
    const s = await engine.strategies.create({user_id: u.user_id, name: `s${seq}`, type: 'grid', config: {parameters: {symbol: 'MSFT', lower_price: 300, upper_price: 340, levels: 5}}}, cli)
    await engine.strategies.start(s.strategy_id, cli)
    const o = (await engine.orders.create({user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150}, cli)).order
    await engine.orders.fill(o.order_id, {quantity: 40, price: 149.5, fee: 0}, {name: 'venue', source: 'engine'})
    await engine.orders.cancel(o.order_id, cli)
  }

  /** A new event the subscriber can wait for: everything published before it has arrived when it does. */
  async function marker(): Promise<string> {
    const u = await engine.users.create({username: `marker_${++seq}`, password: 'password123'}, cli)
    return u.user_id
  }

  async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${received.length}: ${received.map((r) => `${r.channel} ${r.message.id} ${r.message.type}`).join(', ')}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  const onAll = (fromId: number) => received.filter((r) => r.channel === all && r.message.id > fromId)
  const onOrder = (fromId: number) => received.filter((r) => r.channel === orderChannel && r.message.id > fromId)
  const offsetRow = async (name: string) => Number((await engine.db.knex('relay_offsets').where({name}).first('last_event_id'))?.last_event_id ?? -1)

  /** A relay named for this test that starts after every event already in the outbox. */
  async function freshRelay(options: {batchSize?: number} = {}): Promise<{relay: OutboxRelay; name: string; start: number}> {
    const name = uniqueName('relay')
    const start = await engine.store.events.maxId()
    await engine.store.events.setOffset(name, start)
    return {relay: new OutboxRelay(engine.store, redis, {name, channelPrefix: prefix, ...options}), name, start}
  }

  it('publishes each event once, in id order, as the outbox row in JSON, on both channels', async () => {
    const {relay, name, start} = await freshRelay()
    await makeEvents()
    const events: StoredEvent[] = await engine.store.events.after(start, 1000)
    expect(events.map((e) => e.type)).toEqual(['user.created', 'strategy.created', 'strategy.started', 'order.created', 'order.partially_filled', 'order.cancelled'])
    const seen: EventMessage[] = []
    expect(await relay.relayOnce((m) => seen.push(m))).toBe(events.length)
    expect(seen.map((m) => m.id)).toEqual(events.map((e) => e.id))
    expect(relay.published).toBe(events.length)
    const lastOrder = events.filter((e) => e.entity_type === 'order').at(-1)!
    await waitFor(() => onAll(start).length >= events.length && onOrder(start).some((r) => r.message.id === lastOrder.id), 'the published events')

    const got = onAll(start)
    expect(got.map((r) => r.message.id)).toEqual(events.map((e) => e.id))
    for (const [i, r] of got.entries()) {
      const e = events[i]!
      expect(Object.keys(JSON.parse(r.raw)).sort()).toEqual(messageKeys)
      expect(r.message).toEqual({id: e.id, type: e.type, entity_type: e.entity_type, entity_id: e.entity_id, user_id: e.user_id, source: e.source, created_at: e.created_at, payload: e.payload})
      expect(Number.isNaN(Date.parse(r.message.created_at))).toBe(false)
      expect(r.message.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/)
    }
    expect(got.find((r) => r.message.type === 'order.partially_filled')!.message).toMatchObject({source: 'engine', payload: expect.objectContaining({filled_delta: 40})})
    // The order channel carries exactly the order events, in order.
    expect(onOrder(start).map((r) => r.message.id)).toEqual(events.filter((e) => e.entity_type === 'order').map((e) => e.id))
    // How far it got is recorded.
    expect(await offsetRow(name)).toBe(events.at(-1)!.id)
    expect(await relay.position()).toBe(events.at(-1)!.id)

    // Caught up: nothing more goes out, not even again.
    expect(await relay.relayOnce()).toBe(0)
    const m = await marker()
    expect(await relay.relayOnce()).toBe(1)
    await waitFor(() => onAll(start).some((r) => r.message.entity_id === m), 'the marker')
    const after = onAll(start)
    expect(after.slice(0, -1).map((r) => r.message.id)).toEqual(events.map((e) => e.id))
    expect(after.at(-1)!.message).toMatchObject({type: 'user.created', entity_id: m})
  })

  it('a new relay with the same name publishes nothing old (exactly once across restarts)', async () => {
    const {relay, name, start} = await freshRelay()
    await makeEvents()
    const first = await relay.relayOnce()
    expect(first).toBeGreaterThan(0)
    const last = await offsetRow(name)

    // The engine restarts: a new relay object, the same name.
    const restarted = new OutboxRelay(engine.store, redis, {name, channelPrefix: prefix})
    expect(await restarted.position()).toBe(last)
    expect(await restarted.relayOnce()).toBe(0)
    const m = await marker()
    expect(await restarted.relayOnce()).toBe(1)
    await waitFor(() => onAll(start).some((r) => r.message.entity_id === m), 'the marker')
    const ids = onAll(start).map((r) => r.message.id)
    expect(ids).toHaveLength(first + 1)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(await offsetRow(name)).toBe(ids.at(-1))
  })

  it('a relay whose offset is reset republishes (at-least-once); the ids let subscribers dedupe', async () => {
    const {relay, name, start} = await freshRelay()
    await makeEvents()
    const n = await relay.relayOnce()
    const lastId = await offsetRow(name)
    await waitFor(() => onAll(start).length >= n, 'the first round')

    // As after a crash between publishing and recording the offset.
    await engine.store.events.setOffset(name, start)
    const again = new OutboxRelay(engine.store, redis, {name, channelPrefix: prefix})
    expect(await again.relayOnce()).toBe(n)
    await waitFor(() => onAll(start).length >= 2 * n, 'the second round')
    const got = onAll(start)
    expect(got).toHaveLength(2 * n)
    const firstRound = got.slice(0, n).map((r) => r.raw)
    expect(got.slice(n).map((r) => r.raw)).toEqual(firstRound)
    const deduped = new Map(got.map((r) => [r.message.id, r.message]))
    expect([...deduped.keys()]).toEqual(got.slice(0, n).map((r) => r.message.id))
    expect(await offsetRow(name)).toBe(lastId)
  })

  it('a relay that has never run starts at the newest event: it floods nobody with history', async () => {
    await makeEvents()
    const start = await engine.store.events.maxId()
    const name = uniqueName('relay_new')
    const relay = new OutboxRelay(engine.store, redis, {name, channelPrefix: prefix})
    expect(await relay.relayOnce()).toBe(0)
    expect(await offsetRow(name)).toBe(start)
    const m = await marker()
    expect(await relay.relayOnce()).toBe(1)
    await waitFor(() => onAll(start).some((r) => r.message.entity_id === m), 'the marker')
    expect(onAll(start).map((r) => r.message.entity_id)).toEqual([m])
    // Restarted, it goes on from its offset, not from the newest event again.
    await makeEvents()
    const restarted = new OutboxRelay(engine.store, redis, {name, channelPrefix: prefix})
    expect(await restarted.relayOnce()).toBe(6)
  })

  it('publishes the same messages, in the same order, through its script and through plain commands; a lost script is loaded again', async () => {
    const script = await freshRelay()
    const name = uniqueName('relay_cmd')
    await engine.store.events.setOffset(name, script.start)
    const commands = new OutboxRelay(engine.store, redis, {name, channelPrefix: prefix, publish: 'commands'})
    await makeEvents()
    const events = await engine.store.events.after(script.start, 1000)
    expect(await script.relay.relayOnce()).toBe(events.length)
    await waitFor(() => onAll(script.start).length >= events.length, 'the script round')
    expect(await commands.relayOnce()).toBe(events.length)
    await waitFor(() => onAll(script.start).length >= 2 * events.length, 'the commands round')
    const got = onAll(script.start)
    const rounds = [got.slice(0, events.length), got.slice(events.length)]
    expect(rounds[0]!.map((r) => r.message.id)).toEqual(events.map((e) => e.id))
    expect(rounds[1]!.map((r) => r.raw)).toEqual(rounds[0]!.map((r) => r.raw))
    const orders = onOrder(script.start)
    expect(orders.map((r) => r.raw)).toEqual([...orders.slice(0, orders.length / 2), ...orders.slice(0, orders.length / 2)].map((r) => r.raw))

    // Redis restarted or SCRIPT FLUSH: the script is loaded again and the batch goes out once. (The
    // relay is made to hold an unknown script id rather than flushing the cache of a shared server.)
    ;(script.relay as unknown as {scriptSha: string}).scriptSha = '0'.repeat(40)
    const m = await marker()
    expect(await script.relay.relayOnce()).toBe(1)
    await waitFor(() => onAll(script.start).some((r) => r.message.entity_id === m), 'the marker after SCRIPT FLUSH')
    expect(onAll(script.start).filter((r) => r.message.entity_id === m)).toHaveLength(1)
  })

  it('publishes in batches of batchSize, in order, until caught up', async () => {
    const {relay, name, start} = await freshRelay({batchSize: 4})
    await makeEvents()
    await makeEvents()
    const events = await engine.store.events.after(start, 1000)
    expect(events.length).toBe(12)
    const sizes: number[] = []
    for (let n = await relay.relayOnce(); n > 0; n = await relay.relayOnce()) sizes.push(n)
    expect(sizes).toEqual([4, 4, 4])
    await waitFor(() => onAll(start).length >= 12, 'all batches')
    expect(onAll(start).map((r) => r.message.id)).toEqual(events.map((e) => e.id))
    expect(await offsetRow(name)).toBe(events.at(-1)!.id)
  })

  // Only MySQL/MariaDB has concurrent writers (SQLite serialises them on one connection): an event whose
  // transaction took its id first but commits after a later one must not be skipped by the relay.
  if (kind === 'mariadb')
    it('loses no event whose transaction commits after a later event’s (concurrent writers)', async () => {
      const {relay, start} = await freshRelay()
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      let inserted!: () => void
      const insertedP = new Promise<void>((r) => (inserted = r))
      const slowId = `slow_${++seq}`
      // A writer that has inserted its event but not committed yet (a long order transaction).
      const slow = engine.store.transaction(async (tx) => {
        await tx.events.append({type: 'system.test', entity_type: 'system', entity_id: slowId, source: 'engine'})
        inserted()
        await gate
      })
      try {
        await insertedP
        // Meanwhile another writer commits a later event, and the relay runs.
        const fast = await marker()
        await relay.relayOnce()
        await waitFor(() => onAll(start).some((r) => r.message.entity_id === fast), 'the later event')
      } finally {
        release()
        await slow
      }
      // The slow transaction has committed: its event must still go out.
      for (let i = 0; i < 5; i++) await relay.relayOnce()
      const m = await marker()
      await relay.relayOnce()
      await waitFor(() => onAll(start).some((r) => r.message.entity_id === m), 'the marker')
      expect(
        onAll(start).map((r) => r.message.entity_id),
        'the event committed late was never published: the relay moved its offset past an id that was not yet visible',
      ).toContain(slowId)
    })

  it('two relays with different names each publish everything once', async () => {
    const a = await freshRelay()
    const nameB = uniqueName('relay_b')
    await engine.store.events.setOffset(nameB, a.start)
    const b = new OutboxRelay(engine.store, redis, {name: nameB, channelPrefix: prefix})
    await makeEvents()
    const na = await a.relay.relayOnce()
    const nb = await b.relayOnce()
    expect(nb).toBe(na)
    await waitFor(() => onAll(a.start).length >= 2 * na, 'both relays')
    const counts = new Map<number, number>()
    for (const r of onAll(a.start)) counts.set(r.message.id, (counts.get(r.message.id) ?? 0) + 1)
    expect([...counts.values()].every((c) => c === 2)).toBe(true)
    expect(counts.size).toBe(na)
  })
})
