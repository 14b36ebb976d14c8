import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {backendKinds, createBackend, migratedEngine, type TestBackend} from '../helpers/backends.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {TransitionBatcher} from '../../src/engine/domain/orders/batcher.js'
import {ChangeDetector} from '../../src/engine/runtime/change-detector.js'

const actor: Actor = {name: 'test', source: 'cli'}

describe.each(backendKinds)('TransitionBatcher on %s', (kind) => {
  let backend: TestBackend
  let engine: EngineHandle
  let userId: string

  beforeAll(async () => {
    backend = await createBackend(kind)
    engine = await migratedEngine(backend)
    userId = (await engine.users.create({username: 'batcher1', password: 'password123'}, actor)).user_id
  })
  afterAll(async () => {
    await engine?.close()
    await backend?.cleanup()
  })

  const place = async (quantity: number) =>
    (await engine.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity, price: 10}, actor)).order

  it('applies many fills and cancels in one transaction with the same rules as single changes', async () => {
    const a = await place(300)
    const b = await place(100)
    const c = await place(100)
    const batcher = new TransitionBatcher(engine.store, {source: 'engine', actor: 'venue', maxDelayMs: 1000})
    const detector = new ChangeDetector(engine.store)
    const results = await Promise.all([
      batcher.submit({order_id: a.order_id, fill: {quantity: 100, price: 10}}),
      batcher.submit({order_id: a.order_id, fill: {quantity: 100, price: 13}}),
      batcher.submit({order_id: b.order_id, fill: {quantity: 100, price: 9}}),
      // b is filled by the request before: a second fill would overfill and is refused alone.
      batcher.submit({order_id: b.order_id, fill: {quantity: 1, price: 9}}),
      batcher.submit({order_id: c.order_id, to: 'cancelled', reason: 'IOC'}),
      batcher.submit({order_id: 'ORD-NOPE', to: 'cancelled'}),
    ])
    expect(batcher.stats).toEqual({batches: 1, transitions: 4, refused: 2})
    expect(results.map((r) => r?.status ?? null)).toEqual(['partially_filled', 'partially_filled', 'filled', null, 'cancelled', null])

    const a2 = await engine.orders.get(a.order_id)
    expect(a2).toMatchObject({status: 'partially_filled', filled_quantity: 200, avg_fill_price: 11.5, version: 3})
    expect((await engine.orders.get(b.order_id)).status).toBe('filled')
    expect((await engine.orders.get(c.order_id))).toMatchObject({status: 'cancelled', status_reason: 'IOC', version: 2})

    const history = await engine.orders.history(a.order_id)
    expect(history.map((h) => [h.from_status, h.to_status, h.filled_delta, h.source])).toEqual([
      [null, 'pending', 0, 'cli'],
      ['pending', 'partially_filled', 100, 'engine'],
      ['partially_filled', 'partially_filled', 100, 'engine'],
    ])
    expect((await engine.store.orders.fills({order_id: a.order_id})).map((f) => f.price)).toEqual([10, 13])
    const events = await engine.store.events.forEntity('order', a.order_id)
    expect(events.map((e) => [e.type, e.payload.version])).toEqual([
      ['order.created', undefined],
      ['order.partially_filled', 2],
      ['order.partially_filled', 3],
    ])
    // Written as ordermon writes: the change detector does not mistake them for raw SQL.
    expect(await detector.poll()).toEqual([])
  })

  it('a failed transaction rejects every request of the batch and writes nothing', async () => {
    const a = await place(100)
    const batcher = new TransitionBatcher(engine.store, {source: 'engine', actor: 'venue'})
    await engine.db.knex.schema.renameTable('fills', 'fills_away')
    try {
      await expect(batcher.submit({order_id: a.order_id, fill: {quantity: 50, price: 10}})).rejects.toThrow()
    } finally {
      await engine.db.knex.schema.renameTable('fills_away', 'fills')
    }
    expect(await engine.orders.get(a.order_id)).toMatchObject({status: 'pending', filled_quantity: 0, version: 1})
    expect(await engine.orders.history(a.order_id)).toHaveLength(1)
  })
})
