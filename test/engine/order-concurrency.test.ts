import {rmSync} from 'node:fs'
import type {Knex} from 'knex'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createBackend, migratedEngine, type TestBackend} from '../helpers/backends.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {OrdermonError} from '../../src/engine/errors.js'
import type {Order} from '../../src/engine/store/index.js'

/**
 * Races on one order through the engine's knex pool (parallel connections). Only MariaDB runs
 * writers in parallel; SQLite serialises them, so there is nothing to race there.
 */
const actor: Actor = {name: 'test', source: 'cli'}
const venue: Actor = {name: 'venue', source: 'engine'}
const round8 = (n: number) => Math.round(n * 1e8) / 1e8

describe('OrderService concurrency on mariadb', () => {
  const ctx = {} as {backend: TestBackend; engine: EngineHandle; error?: unknown}
  let engine: EngineHandle
  let knex: Knex
  let userId: string

  beforeAll(async () => {
    try {
      ctx.backend = await createBackend('mariadb')
      ctx.engine = await migratedEngine(ctx.backend)
      engine = ctx.engine
      knex = engine.db.knex
      userId = (await engine.users.create({username: 'racer', password: 'password123'}, actor)).user_id
    } catch (error) {
      ctx.error = error
    }
  })
  beforeEach(() => {
    if (ctx.error) throw ctx.error
  })
  afterAll(async () => {
    await ctx.engine?.close()
    try {
      await ctx.backend?.cleanup()
    } finally {
      if (ctx.backend) rmSync(ctx.backend.dir, {recursive: true, force: true})
    }
  })

  const place = async (over: Record<string, unknown> = {}): Promise<Order> =>
    (await engine.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', quantity: 1000, price: 10, ...over}, actor)).order

  const reason = (r: PromiseSettledResult<unknown>) => (r as PromiseRejectedResult).reason as OrdermonError

  /** The history replays to the row; one log and one event per version; fills add up. */
  async function consistent(orderId: string): Promise<{order: Order; reasons: string[]}> {
    const {order, history, fills} = await engine.orders.query(orderId)
    const events = await engine.store.events.forEntity('order', orderId)
    let status: string | null = null
    let filled = 0
    for (const log of history) {
      expect(log.from_status, `${orderId} log ${log.id}`).toBe(status)
      status = log.to_status
      filled = round8(filled + log.filled_delta)
    }
    expect(status).toBe(order.status)
    expect(filled).toBe(order.filled_quantity)
    expect(round8(fills.reduce((a, f) => a + f.quantity, 0))).toBe(order.filled_quantity)
    expect(history).toHaveLength(order.version)
    expect(events).toHaveLength(order.version)
    // no row written twice: every history row is a distinct change (keyed by the fill total it leads to)
    let running = 0
    const keys = history.map((h) => `${h.from_status}|${h.to_status}|${(running = round8(running + h.filled_delta))}|${h.quantity}|${h.reason}`)
    expect(new Set(keys).size).toBe(keys.length)
    return {order, reasons: history.map((h) => h.reason ?? '')}
  }

  it('modify, fill and cancel racing on 20 orders lose nothing', async () => {
    const orders = await Promise.all(Array.from({length: 20}, () => place()))
    const ops = orders.map((o) => [
      engine.orders.modify(o.order_id, {quantity: 2000}, actor),
      engine.orders.fill(o.order_id, {quantity: 100, price: 10}, venue),
      engine.orders.cancel(o.order_id, actor),
    ])
    const settled = await Promise.all(ops.map((group) => Promise.allSettled(group)))

    for (const [i, o] of orders.entries()) {
      const [modify, fill, cancel] = settled[i]!
      const id = o.order_id
      // a cancel of an open order always goes through; the others may find it cancelled already
      expect(cancel!.status, cancel!.status === 'rejected' ? String(reason(cancel!)) : '').toBe('fulfilled')
      const successes = [modify, fill, cancel].filter((r) => r!.status === 'fulfilled').length
      const {order, reasons} = await consistent(id)
      expect(order.status).toBe('cancelled')
      expect(order.version).toBe(1 + successes)

      if (modify!.status === 'fulfilled') {
        expect(order.quantity).toBe(2000)
        expect(reasons.filter((r) => r === 'modified: quantity 1000 -> 2000')).toHaveLength(1)
      } else {
        const e = reason(modify!)
        expect(e).toBeInstanceOf(OrdermonError)
        expect(e.kind, e.message).toBe('conflict')
        expect(e.message).toBe(`Order ${id} is cancelled; only pending or partially filled orders can be modified.`)
        expect(order.quantity).toBe(1000)
      }

      const fills = await engine.store.orders.fills({order_id: id})
      if (fill!.status === 'fulfilled') {
        expect(fills.map((f) => [f.quantity, f.price])).toEqual([[100, 10]])
        expect(order.filled_quantity).toBe(100)
        expect(order.avg_fill_price).toBe(10)
        expect((fill as PromiseFulfilledResult<Order>).value.filled_quantity).toBe(100)
      } else {
        const e = reason(fill!)
        expect(e).toBeInstanceOf(OrdermonError)
        expect(e.kind, e.message).toBe('conflict')
        expect(e.message).toMatch(new RegExp(`^Order ${id} cannot be partially filled: it is already cancelled, a final state\\.$`))
        expect(fills).toEqual([])
        expect(order.filled_quantity).toBe(0)
      }
    }
  })

  it('parallel fills on one order never overfill and never lose a fill', async () => {
    const o = await place({quantity: 1000})
    const results = await Promise.allSettled(Array.from({length: 12}, () => engine.orders.fill(o.order_id, {quantity: 100, price: 10}, venue)))
    const ok = results.filter((r) => r.status === 'fulfilled').length
    // Changes to one order lock its row and queue, so exactly the 10 fills that fit go through and
    // the other 2 are refused as overfills: nothing lost, nothing half-written.
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect(reason(r)).toBeInstanceOf(OrdermonError)
      expect(reason(r).kind, reason(r).message).toBe('conflict')
      expect(reason(r).message).toBe(`Fill of 100 on ${o.order_id} would exceed its quantity (1000 of 1000 filled).`)
    }
    expect(ok).toBe(10)
    const {order} = await consistent(o.order_id)
    expect(order.filled_quantity).toBe(100 * ok)
    expect(order.version).toBe(1 + ok)
    expect(order.status).toBe(ok === 10 ? 'filled' : 'partially_filled')
    expect(await engine.store.orders.fills({order_id: o.order_id})).toHaveLength(ok)
  })

  it('10 parallel creates with one client_order_id make exactly one order', async () => {
    const params = {user_id: userId, symbol: 'MSFT', side: 'sell', quantity: 50, price: 300, client_order_id: 'race-cid-1'}
    const results = await Promise.allSettled(Array.from({length: 10}, () => engine.orders.create(params, actor)))
    for (const r of results) expect(r.status, r.status === 'rejected' ? String(reason(r)) : '').toBe('fulfilled')
    const values = results.map((r) => (r as PromiseFulfilledResult<{order: Order; duplicate: boolean}>).value)
    const ids = new Set(values.map((v) => v.order.order_id))
    expect(ids.size).toBe(1)
    expect(values.filter((v) => !v.duplicate)).toHaveLength(1)
    expect(values.filter((v) => v.duplicate)).toHaveLength(9)
    const [id] = [...ids]
    expect(Number((await knex('orders').where({user_id: userId, client_order_id: 'race-cid-1'}).count({n: '*'}))[0]!.n)).toBe(1)
    expect(await engine.orders.history(id!)).toHaveLength(1)
    expect(await engine.store.events.forEntity('order', id!)).toHaveLength(1)
    expect(Number((await knex('audit_log').where({target: id, action: 'order.create'}).count({n: '*'}))[0]!.n)).toBe(1)
  })

  it('20 parallel creates get 20 distinct consecutive ids', async () => {
    const results = await Promise.all(Array.from({length: 20}, (_, i) => engine.orders.create({user_id: userId, symbol: 'GOOGL', side: 'buy', quantity: 1 + i, price: 100}, actor)))
    const nums = results.map((r) => Number(r.order.order_id.slice(3))).sort((a, b) => a - b)
    expect(new Set(nums).size).toBe(20)
    expect(nums.at(-1)! - nums[0]!).toBe(19)
  })
})
