import type {Knex} from 'knex'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {ChangeDetector, type DetectedChange} from '../../src/engine/runtime/change-detector.js'
import type {Order, StoredEvent, Strategy, User} from '../../src/engine/store/index.js'
import {useEngine} from '../helpers/suite.js'

/**
 * DB-driven control: a status changed by raw SQL from outside ordermon is found by the ChangeDetector
 * and turned into the events (and order_logs) the CLI would have written; changes made through the
 * services are never reported again; watermarks survive a restart; the cost of a poll does not grow
 * with the number of users.
 */

const cli: Actor = {name: 'test', source: 'cli'}
const engineActor: Actor = {name: 'venue', source: 'engine'}
const nextMillisecond = () => new Promise((r) => setTimeout(r, 2))

describe.each(backendKinds)('ChangeDetector on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex

  beforeAll(() => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
  })

  let seq = 0
  const newUser = (label: string): Promise<User> => engine.users.create({username: `${label}_${++seq}`, password: 'password123'}, cli)

  async function newStrategy(userId: string): Promise<Strategy> {
    const s = await engine.strategies.create({user_id: userId, name: `s${++seq}`, type: 'momentum', config: {parameters: {symbols: ['AAPL'], threshold: 0.02}}}, cli)
    return (await engine.strategies.start(s.strategy_id, cli)).strategy
  }

  async function newOrder(userId: string, quantity = 100): Promise<Order> {
    return (await engine.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', quantity, price: 150}, cli)).order
  }

  /** A detector that starts from the persisted watermarks, after a first poll has settled what other tests left. */
  async function detector(): Promise<ChangeDetector> {
    const d = new ChangeDetector(engine.store)
    await d.poll()
    return d
  }

  /**
   * A change made from outside, by raw SQL. It waits for the next millisecond first: a raw change in the
   * very millisecond of an ordermon write to the same row is a separate case, tested on its own below.
   */
  const raw = async (sql: string, bindings: unknown[]) => {
    await nextMillisecond()
    return knex.raw(sql, bindings as Knex.RawBinding[])
  }
  const rawNow = (sql: string, bindings: unknown[]) => knex.raw(sql, bindings as Knex.RawBinding[])
  const sqlEvents = async (entityType: string, id: string): Promise<StoredEvent[]> => (await engine.store.events.forEntity(entityType, id)).filter((e) => e.source === 'sql')
  const brief = (changes: DetectedChange[]) => changes.map((c) => `${c.table}:${c.id}:${c.from}->${c.to}`).sort()

  it('finds nothing after changes made through the services', async () => {
    const d = new ChangeDetector(engine.store)
    const u = await newUser('svc')
    const s = await newStrategy(u.user_id)
    const o = await newOrder(u.user_id)
    await engine.orders.modify(o.order_id, {quantity: 120}, cli)
    expect(await d.poll()).toEqual([])
    expect(await d.poll()).toEqual([])
    for (const [type, id] of [['user', u.user_id], ['strategy', s.strategy_id], ['order', o.order_id]] as const) expect(await sqlEvents(type, id)).toEqual([])
  })

  it('turns UPDATE users SET status=... into one user.status_changed event with source sql', async () => {
    const u = await newUser('rawuser')
    const d = await detector()
    await raw("UPDATE users SET status='suspended' WHERE user_id=?", [u.user_id])
    const found = await d.poll()
    expect(found).toEqual([{table: 'users', id: u.user_id, user_id: u.user_id, from: 'active', to: 'suspended'}])
    const events = await sqlEvents('user', u.user_id)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({type: 'user.status_changed', entity_type: 'user', entity_id: u.user_id, user_id: u.user_id, source: 'sql'})
    expect(events[0]!.payload).toMatchObject({from: 'active', to: 'suspended'})
    // No duplicates on the next polls, nor from a new detector on the same database (a restart).
    expect(await d.poll()).toEqual([])
    const restarted = new ChangeDetector(engine.store)
    expect(await restarted.poll()).toEqual([])
    expect(await sqlEvents('user', u.user_id)).toHaveLength(1)
    // The service sees the new state and continues from it.
    const back = await engine.users.setStatus({user_id: u.user_id}, 'active', cli)
    expect(back).toMatchObject({previous: 'suspended', changed: true})
    expect(await d.poll()).toEqual([])
  })

  it('turns UPDATE strategies SET status=... into strategy.paused with source sql', async () => {
    const u = await newUser('rawstrat')
    const s = await newStrategy(u.user_id)
    const d = await detector()
    await raw("UPDATE strategies SET status='paused' WHERE strategy_id=?", [s.strategy_id])
    expect(await d.poll()).toEqual([{table: 'strategies', id: s.strategy_id, user_id: u.user_id, from: 'running', to: 'paused'}])
    const events = await sqlEvents('strategy', s.strategy_id)
    expect(events.map((e) => [e.type, e.user_id, e.payload.from, e.payload.to])).toEqual([['strategy.paused', u.user_id, 'running', 'paused']])
    await raw("UPDATE strategies SET status='error' WHERE strategy_id=?", [s.strategy_id])
    expect(brief(await d.poll())).toEqual([`strategies:${s.strategy_id}:paused->error`])
    expect((await sqlEvents('strategy', s.strategy_id)).map((e) => e.type)).toEqual(['strategy.paused', 'strategy.failed'])
    expect(await d.poll()).toEqual([])
  })

  it('turns UPDATE orders SET status=\'cancelled\' into an order_logs row and an order.cancelled event, source sql', async () => {
    const u = await newUser('rawcancel')
    const o = await newOrder(u.user_id)
    const d = await detector()
    await raw("UPDATE orders SET status='cancelled' WHERE order_id=?", [o.order_id])
    const found = await d.poll()
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({table: 'orders', id: o.order_id, user_id: u.user_id, from: 'pending', to: 'cancelled'})
    const history = await engine.orders.history(o.order_id)
    expect(history).toHaveLength(2)
    expect(history[1]).toMatchObject({order_id: o.order_id, from_status: 'pending', to_status: 'cancelled', filled_delta: 0, source: 'sql'})
    const events = await sqlEvents('order', o.order_id)
    expect(events.map((e) => [e.type, e.user_id, e.payload.from, e.payload.to])).toEqual([['order.cancelled', u.user_id, 'pending', 'cancelled']])
    expect(await d.poll()).toEqual([])
    expect(await engine.orders.history(o.order_id)).toHaveLength(2)
  })

  it('turns UPDATE orders SET status=\'filled\', filled_quantity=quantity into a history row with the filled delta', async () => {
    const u = await newUser('rawfill')
    const o = await newOrder(u.user_id, 250)
    const d = await detector()
    await raw("UPDATE orders SET status='filled', filled_quantity=quantity WHERE order_id=?", [o.order_id])
    expect(brief(await d.poll())).toEqual([`orders:${o.order_id}:pending->filled`])
    const history = await engine.orders.history(o.order_id)
    expect(history.at(-1)).toMatchObject({from_status: 'pending', to_status: 'filled', filled_delta: 250, source: 'sql'})
    const events = await sqlEvents('order', o.order_id)
    expect(events.map((e) => [e.type, e.payload.filled_delta])).toEqual([['order.filled', 250]])
    // The history adds up to the row: nothing more to report, now or after a restart.
    expect(await d.poll()).toEqual([])
    const restarted = new ChangeDetector(engine.store)
    expect(await restarted.poll()).toEqual([])
  })

  it('reports several raw changes of one poll once each, across the three tables', async () => {
    const u1 = await newUser('multi')
    const u2 = await newUser('multi')
    const s = await newStrategy(u1.user_id)
    const o1 = await newOrder(u1.user_id)
    const o2 = await newOrder(u2.user_id, 40)
    const d = await detector()
    await raw("UPDATE users SET status='locked' WHERE user_id=?", [u2.user_id])
    await raw("UPDATE strategies SET status='stopped' WHERE strategy_id=?", [s.strategy_id])
    await raw("UPDATE orders SET status='cancelled' WHERE order_id=?", [o1.order_id])
    await raw("UPDATE orders SET status='partially_filled', filled_quantity=15 WHERE order_id=?", [o2.order_id])
    const found = await d.poll()
    expect(brief(found)).toEqual(
      [
        `users:${u2.user_id}:active->locked`,
        `strategies:${s.strategy_id}:running->stopped`,
        `orders:${o1.order_id}:pending->cancelled`,
        `orders:${o2.order_id}:pending->partially_filled`,
      ].sort(),
    )
    expect(found.find((c) => c.id === o2.order_id)!.filled_delta).toBe(15)
    expect((await sqlEvents('strategy', s.strategy_id)).map((e) => e.type)).toEqual(['strategy.stopped'])
    // A further raw fill of the same order is a new change with its own delta.
    await raw("UPDATE orders SET status='filled', filled_quantity=40 WHERE order_id=?", [o2.order_id])
    const more = await d.poll()
    expect(more).toEqual([expect.objectContaining({id: o2.order_id, from: 'partially_filled', to: 'filled', filled_delta: 25})])
    expect((await engine.orders.history(o2.order_id)).map((h) => [h.to_status, h.filled_delta])).toEqual([
      ['pending', 0],
      ['partially_filled', 15],
      ['filled', 25],
    ])
    expect(await d.poll()).toEqual([])
  })

  it('finds a change made while no detector was running, from the persisted watermarks', async () => {
    const u = await newUser('offline')
    const o = await newOrder(u.user_id)
    // The engine runs, sees everything up to now, and stops.
    await detector()
    // While it is down, someone changes rows by hand.
    await raw("UPDATE users SET status='suspended' WHERE user_id=?", [u.user_id])
    await raw("UPDATE orders SET status='cancelled' WHERE order_id=?", [o.order_id])
    // The next engine finds both after init().
    const next = new ChangeDetector(engine.store)
    expect(brief(await next.poll())).toEqual([`orders:${o.order_id}:pending->cancelled`, `users:${u.user_id}:active->suspended`].sort())
    expect(await next.poll()).toEqual([])
    expect(await sqlEvents('user', u.user_id)).toHaveLength(1)
    expect(await sqlEvents('order', o.order_id)).toHaveLength(1)
  })

  it('finds a change made long before the detector starts: the database keeps the mark, not a time window', async () => {
    const u = await newUser('outage')
    const d = await detector()
    await raw("UPDATE users SET status='locked' WHERE user_id=?", [u.user_id])
    // A detector started any time later finds it: nothing depends on when it starts.
    const later = new ChangeDetector(engine.store)
    expect(brief(await later.poll())).toEqual([`users:${u.user_id}:active->locked`])
    expect(await d.poll()).toEqual([])
  })

  it('finds every row of a bulk raw UPDATE larger than one batch, over a few polls', async () => {
    const users: User[] = await Promise.all(Array.from({length: 25}, () => newUser('batch')))
    await detector()
    const d = new ChangeDetector(engine.store, {batchSize: 10})
    expect(await d.poll()).toEqual([])
    const ids = users.map((u) => u.user_id)
    // One statement: on MySQL every row gets the same updated_at.
    await raw(`UPDATE users SET status='suspended' WHERE user_id IN (${ids.map(() => '?').join(',')})`, ids)
    const found: DetectedChange[] = []
    for (let i = 0; i < 10; i++) found.push(...(await d.poll()))
    expect(found.map((c) => c.id).sort()).toEqual([...ids].sort())
    expect(new Set(found.map((c) => c.id)).size).toBe(found.length)
  })

  it('ignores raw updates of other columns, and they do not hold back later status changes', async () => {
    const users: User[] = await Promise.all(Array.from({length: 25}, () => newUser('other')))
    const target = await newUser('target')
    await detector()
    const d = new ChangeDetector(engine.store, {batchSize: 10})
    expect(await d.poll()).toEqual([])
    const ids = users.map((u) => u.user_id)
    // A bulk edit of a column the engine does not act on: nothing to report.
    await raw(`UPDATE users SET name='renamed by hand' WHERE user_id IN (${ids.map(() => '?').join(',')})`, ids)
    expect(await d.poll()).toEqual([])
    // A status change made afterwards must still be found within a few polls.
    await raw("UPDATE users SET status='suspended' WHERE user_id=?", [target.user_id])
    const found: DetectedChange[] = []
    for (let i = 0; i < 10 && found.length === 0; i++) found.push(...(await d.poll()))
    expect(brief(found), 'the rows edited by hand (more than one batch) keep the detector from ever reaching the later change').toEqual([`users:${target.user_id}:active->suspended`])
    expect(ids.some((id) => found.some((c) => c.id === id))).toBe(false)
  })

  it('finds a raw change made in the same millisecond as an ordermon write to the row', async () => {
    const u = await newUser('samems')
    const d = await detector()
    const missed: string[] = []
    for (let i = 0; i < 30; i++) {
      const to = i % 2 === 0 ? 'suspended' : 'active'
      // ordermon writes the row (updated_at = synced_at = now), and right away someone changes it by hand.
      await engine.users.update({user_id: u.user_id}, {name: `name ${i}`}, cli)
      await rawNow('UPDATE users SET status=? WHERE user_id=?', [to, u.user_id])
      const found = await d.poll()
      if (!found.some((c) => c.id === u.user_id && c.to === to)) missed.push(`#${i} -> ${to}`)
      await nextMillisecond()
    }
    expect(missed, 'raw status changes that were never reported (updated_at stayed equal to synced_at)').toEqual([])
  })

  it('never reports changes made through the services as sql changes, even while polling concurrently', async () => {
    const u = await newUser('cliuser')
    const o1 = await newOrder(u.user_id)
    const o2 = await newOrder(u.user_id, 300)
    const s = await newStrategy(u.user_id)
    const d = await detector()
    await engine.users.setStatus({user_id: u.user_id}, 'suspended', cli, 'review')
    await engine.orders.cancel(o1.order_id, cli)
    await engine.orders.fill(o2.order_id, {quantity: 100, price: 150, fee: 0}, engineActor)
    await engine.strategies.stop(s.strategy_id, cli, {pause: true})
    expect(await d.poll()).toEqual([])

    // Status changes racing with polls: the detector re-checks under lock, so none is mistaken for raw SQL.
    const found: DetectedChange[] = []
    let done = false
    const poller = (async () => {
      while (!done) found.push(...(await d.poll()))
    })()
    try {
      for (let i = 0; i < 12; i++) {
        await engine.users.setStatus({user_id: u.user_id}, i % 2 === 0 ? 'active' : 'suspended', cli)
        if (i < 4) await engine.orders.fill(o2.order_id, {quantity: 50, price: 151, fee: 0}, engineActor)
      }
    } finally {
      done = true
      await poller
    }
    found.push(...(await d.poll()))
    expect(found).toEqual([])
    for (const [type, id] of [['user', u.user_id], ['strategy', s.strategy_id], ['order', o1.order_id], ['order', o2.order_id]] as const) expect(await sqlEvents(type, id)).toEqual([])
    expect((await engine.orders.get(o2.order_id)).status).toBe('filled')
  })
})

// On a database of its own: what other tests leave behind must not change what one poll costs.
describe.each(backendKinds)('ChangeDetector cost on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex

  beforeAll(() => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
  })

  let seq = 0
  const newUser = (label: string): Promise<User> => engine.users.create({username: `${label}_${++seq}`, password: 'password123'}, cli)
  const raw = async (sql: string, bindings: unknown[]) => {
    await nextMillisecond()
    return knex.raw(sql, bindings as Knex.RawBinding[])
  }
  const sqlEvents = async (entityType: string, id: string): Promise<StoredEvent[]> => (await engine.store.events.forEntity(entityType, id)).filter((e) => e.source === 'sql')
  async function newStrategy(userId: string): Promise<Strategy> {
    const s = await engine.strategies.create({user_id: userId, name: `s${++seq}`, type: 'momentum', config: {parameters: {symbols: ['AAPL'], threshold: 0.02}}}, cli)
    return (await engine.strategies.start(s.strategy_id, cli)).strategy
  }
  async function newOrder(userId: string, quantity = 100): Promise<Order> {
    return (await engine.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', quantity, price: 150}, cli)).order
  }
  async function detector(): Promise<ChangeDetector> {
    const d = new ChangeDetector(engine.store)
    await d.poll()
    return d
  }

  it('makes a constant number of queries per poll, whatever the number of users and changes', async () => {
    // A few users, a strategy and an order exist; measure an idle poll with few users.
    const first = await newUser('few')
    await newStrategy(first.user_id)
    await newOrder(first.user_id)
    const d = await detector()
    const counted = async <T>(work: () => Promise<T>): Promise<{n: number; result: T; sql: string[]}> => {
      const sql: string[] = []
      const listener = (q: {sql: string}) => sql.push(q.sql)
      knex.on('query', listener)
      try {
        const result = await work()
        return {n: sql.length, result, sql}
      } finally {
        knex.removeListener('query', listener)
      }
    }
    const idleFew = await counted(() => d.poll())
    expect(idleFew.result).toEqual([])

    // 200 more users (created through the service, a few at a time: argon2 takes a while each).
    const many: User[] = []
    for (let i = 0; i < 200; i += 20) many.push(...(await Promise.all(Array.from({length: 20}, () => newUser('bulk')))))
    expect(await d.poll()).toEqual([])
    const idleMany = await counted(() => d.poll())
    expect(idleMany.result).toEqual([])

    // 5 raw changes, then 50.
    const ids = many.map((u) => u.user_id)
    await raw(`UPDATE users SET status='suspended' WHERE user_id IN (${ids.slice(0, 5).map(() => '?').join(',')})`, ids.slice(0, 5))
    const few = await counted(() => d.poll())
    expect(few.result).toHaveLength(5)
    await raw(`UPDATE users SET status='locked' WHERE user_id IN (${ids.slice(100, 150).map(() => '?').join(',')})`, ids.slice(100, 150))
    const fifty = await counted(() => d.poll())
    expect(fifty.result).toHaveLength(50)
    expect(new Set(fifty.result.map((c) => c.id))).toEqual(new Set(ids.slice(100, 150)))
    const idleAfter = await counted(() => d.poll())
    expect(idleAfter.result).toEqual([])

    const report = `idle(few)=${idleFew.n} idle(200)=${idleMany.n} idle(after)=${idleAfter.n} 5 changes=${few.n} 50 changes=${fifty.n}\n${fifty.sql.map((q) => q.slice(0, 120)).join('\n')}`
    expect(idleMany.n, report).toBe(idleFew.n)
    expect(idleAfter.n, report).toBe(idleFew.n)
    expect(fifty.n, report).toBe(few.n)
    expect(idleMany.n, report).toBeLessThanOrEqual(10)
    // Counting BEGIN and COMMIT of the one transaction that records the changes.
    expect(fifty.n, report).toBeLessThanOrEqual(12)
    expect(await sqlEvents('user', ids[120]!)).toHaveLength(1)
  }, 120_000)
})
