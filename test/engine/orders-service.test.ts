import type {Knex} from 'knex'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {OrdermonError, type ErrorKind} from '../../src/engine/errors.js'
import type {CreateOrderOptions} from '../../src/engine/domain/orders/service.js'
import type {BatchProgress} from '../../src/engine/domain/orders/service.js'
import type {NewOrderRow, Order, OrderLog, OrderLogRow} from '../../src/engine/store/index.js'
import {expectKind, useEngine} from '../helpers/suite.js'

const actor: Actor = {name: 'test', source: 'cli'}
const engineActor: Actor = {name: 'venue', source: 'engine'}
const round8 = (n: number) => Math.round(n * 1e8) / 1e8

describe.each(backendKinds)('OrderService on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex

  beforeAll(() => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
  })

  const tables = ['orders', 'order_logs', 'fills', 'events', 'audit_log', 'strategies'] as const
  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await knex(table).where(where).count({n: '*'}))[0]!.n)
  const counts = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const)))
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

  /** Runs a failing operation and proves it wrote nothing anywhere. */
  async function failsCleanly(run: () => Promise<unknown>, kind: ErrorKind, message?: RegExp | string): Promise<OrdermonError> {
    const before = await counts()
    const e = await expectKind(run(), kind, message)
    expect(await counts()).toEqual(before)
    return e
  }

  /** A refused change on an existing order: an error of `kind`, no row anywhere, the order row untouched. */
  async function refused(orderId: string, run: () => Promise<unknown>, kind: ErrorKind, message?: RegExp | string): Promise<OrdermonError> {
    const row = await engine.orders.get(orderId)
    const e = await failsCleanly(run, kind, message)
    expect(await engine.orders.get(orderId)).toEqual(row)
    return e
  }

  let userSeq = 0
  async function newUser(prefix: string, extra: {status?: string} = {}) {
    userSeq++
    return engine.users.create({username: `${prefix}_${userSeq}`, password: 'password123', ...extra}, actor)
  }

  async function place(userId: string, over: Partial<CreateOrderOptions> = {}): Promise<Order> {
    const r = await engine.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', quantity: 1000, price: 150, ...over}, actor)
    expect(r.duplicate).toBe(false)
    return r.order
  }

  const eventTypeFor = (log: OrderLog, i: number) =>
    i === 0 ? 'order.created' : log.filled_delta > 0 ? `order.${log.to_status}` : log.from_status === log.to_status ? 'order.modified' : `order.${log.to_status}`

  /** The invariants every order keeps: its history replays to it, fills add up, one event per change. */
  async function checkHistory(orderId: string): Promise<{order: Order; history: OrderLog[]}> {
    const {order, history, fills} = await engine.orders.query(orderId)
    const events = await engine.store.events.forEntity('order', orderId)
    expect(history[0]).toMatchObject({order_id: orderId, from_status: null, to_status: 'pending', filled_delta: 0, reason: 'created'})
    let status: string | null = null
    let filled = 0
    let quantity = history[0]!.quantity
    let lastId = 0
    for (const log of history) {
      expect(log.id).toBeGreaterThan(lastId)
      lastId = log.id
      expect(log.from_status, `log ${log.id} of ${orderId}`).toBe(status)
      status = log.to_status
      filled = round8(filled + log.filled_delta)
      if (log.quantity !== null) quantity = log.quantity
    }
    expect(status).toBe(order.status)
    expect(filled).toBe(order.filled_quantity)
    expect(quantity).toBe(order.quantity)
    expect(round8(fills.reduce((a, f) => a + f.quantity, 0))).toBe(order.filled_quantity)
    expect(fills.map((f) => f.quantity)).toEqual(history.filter((h) => h.filled_delta > 0).map((h) => h.filled_delta))
    if (fills.length) expect(order.avg_fill_price).toBe(round8(fills.reduce((a, f) => a + f.quantity * f.price, 0) / fills.reduce((a, f) => a + f.quantity, 0)))
    else expect(order.avg_fill_price).toBeNull()
    expect(order.remaining_quantity).toBe(round8(order.quantity - order.filled_quantity))
    // created at version 1, one version per change; one history row and one event per version
    expect(history).toHaveLength(order.version)
    expect(events.map((e) => e.type)).toEqual(history.map(eventTypeFor))
    return {order, history}
  }

  describe('create', () => {
    it('applies the defaults and writes order, one log, one event and one audit row', async () => {
      const u = await newUser('create_default')
      const before = await counts()
      const r = await engine.orders.create({user_id: u.user_id, symbol: ' aapl ', side: 'buy', quantity: '1000', price: '150.50'}, actor)
      expect(r.duplicate).toBe(false)
      const o = r.order
      expect(o.order_id).toMatch(/^ORD\d{6}$/)
      expect(o).toMatchObject({
        client_order_id: null,
        user_id: u.user_id,
        strategy_id: null,
        symbol: 'AAPL',
        side: 'buy',
        order_type: 'limit',
        time_in_force: 'GTC',
        quantity: 1000,
        price: 150.5,
        stop_price: null,
        filled_quantity: 0,
        remaining_quantity: 1000,
        avg_fill_price: null,
        status: 'pending',
        status_reason: null,
        version: 1,
        filled_at: null,
      })
      expect(o.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(Math.abs(Date.parse(o.created_at) - Date.now())).toBeLessThan(60_000)
      expect(await counts()).toEqual({...before, orders: before.orders + 1, order_logs: before.order_logs + 1, events: before.events + 1, audit_log: before.audit_log + 1})

      const logs = await engine.orders.history(o.order_id)
      expect(logs).toHaveLength(1)
      expect(logs[0]).toMatchObject({order_id: o.order_id, from_status: null, to_status: 'pending', filled_delta: 0, quantity: 1000, price: 150.5, reason: 'created', source: 'cli', actor: 'test'})
      const events = await engine.store.events.forEntity('order', o.order_id)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({type: 'order.created', entity_type: 'order', entity_id: o.order_id, user_id: u.user_id, source: 'cli'})
      expect(events[0]!.payload).toEqual({to: 'pending', symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 1000, price: 150.5, strategy_id: null, client_order_id: null})
      const audit = await knex('audit_log').where({target: o.order_id})
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({actor: 'test', action: 'order.create', target_type: 'order', result: 'ok'})
      expect(json(audit[0].details)).toEqual({user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: 1000, price: 150.5})
      await checkHistory(o.order_id)
    })

    it('numbers orders consecutively and keeps explicit terms', async () => {
      const u = await newUser('create_terms')
      const a = await place(u.user_id)
      const b = await place(u.user_id, {symbol: 'BTC/USD', side: 'SELL', order_type: 'market', price: undefined, quantity: '0.5e1', time_in_force: 'ioc'})
      const c = await place(u.user_id, {order_type: 'stop_limit', price: 99.5, stop_price: 100, time_in_force: 'DAY', quantity: '1.12345678'})
      expect(Number(b.order_id.slice(3))).toBe(Number(a.order_id.slice(3)) + 1)
      expect(Number(c.order_id.slice(3))).toBe(Number(a.order_id.slice(3)) + 2)
      expect(b).toMatchObject({symbol: 'BTC/USD', side: 'sell', order_type: 'market', time_in_force: 'IOC', quantity: 5, price: null, stop_price: null})
      expect(c).toMatchObject({order_type: 'stop_limit', time_in_force: 'DAY', quantity: 1.12345678, price: 99.5, stop_price: 100})
      // an engine-made order writes no audit row
      const before = await counts()
      const e = await engine.orders.create({user_id: u.user_id, symbol: 'MSFT', side: 'buy', quantity: 10, price: 300}, engineActor)
      expect(await counts()).toEqual({...before, orders: before.orders + 1, order_logs: before.order_logs + 1, events: before.events + 1})
      expect((await engine.orders.history(e.order.order_id))[0]!.source).toBe('engine')
    })

    it('is idempotent on client_order_id', async () => {
      const u = await newUser('idem')
      const other = await newUser('idem_other')
      const params = {user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150.5, client_order_id: 'cid-0001'}
      const first = await engine.orders.create(params, actor)
      expect(first.duplicate).toBe(false)
      expect(first.order.client_order_id).toBe('cid-0001')

      const before = await counts()
      const again = await engine.orders.create({...params, symbol: 'aapl', quantity: '100.0', price: '150.50'}, actor)
      expect(again.duplicate).toBe(true)
      expect(again.order).toEqual(first.order)
      expect(await counts()).toEqual(before)

      for (const [diff, change] of [
        ['quantity', {quantity: 200}],
        ['price', {price: 151}],
        ['side', {side: 'sell'}],
        ['symbol', {symbol: 'MSFT'}],
      ] as const) {
        const e = await failsCleanly(() => engine.orders.create({...params, ...change}, actor), 'conflict', `Client order id cid-0001 is already used by ${first.order.order_id} with a different ${diff}.`)
        expect(e.exitCode).toBe(5)
      }
      // the key is per user: another user may use the same client order id
      const theirs = await engine.orders.create({...params, user_id: other.user_id}, actor)
      expect(theirs.duplicate).toBe(false)
      expect(theirs.order.order_id).not.toBe(first.order.order_id)
      expect(await count('orders', {client_order_id: 'cid-0001'})).toBe(2)
    })

    it('an idempotent retry that differs in time in force is a conflict too', async () => {
      const u = await newUser('idem_tif')
      const params = {user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150, client_order_id: 'cid-tif'}
      const first = await engine.orders.create(params, actor)
      await failsCleanly(() => engine.orders.create({...params, time_in_force: 'IOC'}, actor), 'conflict', `Client order id cid-tif is already used by ${first.order.order_id} with a different time_in_force.`)
    })

    it('an idempotent retry that differs in strategy is a conflict too', async () => {
      const u = await newUser('idem_strat')
      const s = await engine.strategies.create({config: {name: 'idem', type: 'grid', user_id: u.user_id, parameters: {symbol: 'AAPL', lower_price: 100, upper_price: 200, levels: 5}}}, actor)
      const params = {user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150, client_order_id: 'cid-strat'}
      const first = await engine.orders.create(params, actor)
      expect(first.order.strategy_id).toBeNull()
      await failsCleanly(() => engine.orders.create({...params, strategy_id: s.strategy_id}, actor), 'conflict', `Client order id cid-strat is already used by ${first.order.order_id} with a different strategy_id.`)
    })

    const invalid: Array<[string, Partial<CreateOrderOptions>, RegExp]> = [
      ['negative quantity', {quantity: -5}, /^quantity must be greater than 0 \(got "-5"\)\.$/],
      ['zero quantity', {quantity: '0'}, /^quantity must be greater than 0 \(got "0"\)\.$/],
      ['quantity 1e30', {quantity: '1e30'}, /^quantity "1e30" is above the maximum 1000000 \(order\.validation\.max_quantity\)\.$/],
      ['quantity 1e400', {quantity: '1e400'}, /^quantity "1e400" is too large\.$/],
      ['quantity abc', {quantity: 'abc'}, /^quantity "abc" is not a number\.$/],
      ['quantity NaN', {quantity: 'NaN'}, /^quantity "NaN" is not a number\.$/],
      ['empty quantity', {quantity: ''}, /^quantity must not be empty\.$/],
      ['quantity with 9 decimals', {quantity: '1.123456789'}, /^quantity 1\.123456789 has more than 8 decimal places\.$/],
      ['quantity below min_quantity', {quantity: '0.5'}, /^quantity 0\.5 is below the minimum 1 \(order\.validation\.min_quantity\)\.$/],
      ['quantity above max_quantity', {quantity: 1_000_001}, /^quantity "1000001" is above the maximum 1000000 \(order\.validation\.max_quantity\)\.$/],
      ['price on a market order', {order_type: 'market', price: 150}, /^A market order takes no price; it executes at the market\.$/],
      ['no price on a limit order', {order_type: 'limit', price: undefined}, /^A limit order needs a price\.$/],
      ['price above max_price', {price: '10000.01'}, /^price "10000\.01" is above the maximum 10000 \(order\.validation\.max_price\)\.$/],
      ['price below min_price', {price: '0.001'}, /^price 0\.001 is below the minimum 0\.01 \(order\.validation\.min_price\)\.$/],
      ['negative price', {price: '-1'}, /^price must be greater than 0 \(got "-1"\)\.$/],
      ['price with 9 decimals', {price: '150.123456789'}, /^price 150\.123456789 has more than 8 decimal places\.$/],
      ['stop order without stop price', {order_type: 'stop', price: undefined}, /^A stop order needs a stop price\.$/],
      ['stop price on a limit order', {stop_price: 140}, /^A limit order takes no stop price\.$/],
      ['unknown side', {side: 'hold'}, /^side "hold" is not valid: use one of buy, sell\.$/],
      ['missing side', {side: undefined}, /^side is required \(one of buy, sell\)\.$/],
      ['unknown order type', {order_type: 'iceberg'}, /^order type "iceberg" is not valid: use one of market, limit, stop, stop_limit\.$/],
      ['unknown time in force', {time_in_force: 'GTX'}, /^time in force "GTX" is not valid: use one of GTC, IOC, FOK, DAY\.$/],
      ['SQL in the symbol', {symbol: "AAPL'; DROP TABLE orders;--"}, /^symbol "AAPL'; DROP TABLE orders;--" is not valid: letters, digits and \. _ \/ - \(e\.g\. AAPL, BTC\/USD\)\.$/],
      ['empty symbol', {symbol: ''}, /^symbol must not be empty\.$/],
      ['33-character symbol', {symbol: 'A'.repeat(33)}, /^symbol is too long: 33 characters, at most 32\.$/],
      ['bad client order id', {client_order_id: 'has space'}, /^client order id "has space" is not valid/],
      ['empty user id', {user_id: ' '}, /^user id is required\.$/],
    ]
    it.each(invalid)('refuses %s with invalidInput and writes nothing', async (_label, change, message) => {
      const u = await engine.users.find({username: 'validation_user'}).catch(() => engine.users.create({username: 'validation_user', password: 'password123'}, actor))
      const e = await failsCleanly(() => engine.orders.create({user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150, ...change} as CreateOrderOptions, actor), 'invalidInput', message)
      expect(e.exitCode).toBe(2)
      // the orders table is still there and holds nothing of this user
      expect(await count('orders', {user_id: u.user_id})).toBe(0)
    })

    it('refuses a suspended user (conflict), an unknown user (notFound) and another user\'s strategy (conflict)', async () => {
      const suspended = await newUser('suspended', {status: 'suspended'})
      await failsCleanly(() => place(suspended.user_id), 'conflict', `User ${suspended.username} is suspended; orders need an active user.`)
      await failsCleanly(() => place('U999999'), 'notFound', 'No user id "U999999".')

      const owner = await newUser('strat_owner')
      const intruder = await newUser('strat_intruder')
      const s = await engine.strategies.create({config: {name: 'owned', type: 'grid', user_id: owner.user_id, parameters: {symbol: 'AAPL', lower_price: 100, upper_price: 200, levels: 5}}}, actor)
      await failsCleanly(() => place(intruder.user_id, {strategy_id: s.strategy_id}), 'conflict', `Strategy ${s.strategy_id} belongs to ${owner.user_id}, not ${intruder.user_id}.`)
      await failsCleanly(() => place(owner.user_id, {strategy_id: 'STR999'}), 'notFound', 'No strategy "STR999".')
      const mine = await place(owner.user_id, {strategy_id: s.strategy_id})
      expect(mine.strategy_id).toBe(s.strategy_id)
    })
  })

  describe('createMany', () => {
    it('writes what create writes for each order, in one transaction, and refuses the bad ones alone', async () => {
      const u = await newUser('many_a')
      const other = await newUser('many_b')
      const locked = await newUser('many_locked', {status: 'suspended'})
      const s = await engine.strategies.create({user_id: u.user_id, name: `many_s${userSeq}`, type: 'momentum', config: {parameters: {symbols: ['AAPL'], threshold: 0.02}}}, actor)
      const one = await engine.orders.create({user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150}, engineActor)
      const before = await counts()
      const results = await engine.orders.createMany(
        [
          {user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'aapl', side: 'buy', quantity: 100, price: 150},
          {user_id: locked.user_id, symbol: 'AAPL', side: 'buy', quantity: 100, price: 150},
          {user_id: other.user_id, strategy_id: s.strategy_id, symbol: 'AAPL', side: 'sell', quantity: 5, price: 151},
          {user_id: u.user_id, symbol: 'AAPL', side: 'buy', quantity: -1, price: 150},
          {user_id: other.user_id, symbol: 'MSFT', side: 'sell', order_type: 'market', quantity: 7},
        ],
        engineActor,
      )
      expect(results.map((r) => (r.order ? 'ok' : (r.error as OrdermonError).kind))).toEqual(['ok', 'conflict', 'conflict', 'invalidInput', 'ok'])
      const [a, , , , b] = results.map((r) => r.order!)
      // Consecutive ids after the last one, and the same row, history and event as create() makes.
      expect([a!.order_id, b!.order_id]).toEqual([1, 2].map((k) => `ORD${String(Number(one.order.order_id.slice(3)) + k).padStart(6, '0')}`))
      expect(a).toMatchObject({user_id: u.user_id, strategy_id: s.strategy_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 100, price: 150, status: 'pending', version: 1})
      expect(b).toMatchObject({user_id: other.user_id, strategy_id: null, symbol: 'MSFT', order_type: 'market', price: null})
      expect(Object.keys(a!).sort()).toEqual(Object.keys(one.order).sort())
      expect(await counts()).toEqual({...before, orders: before.orders + 2, order_logs: before.order_logs + 2, events: before.events + 2})
      for (const [o, single] of [[a!, one.order]] as const) {
        const [log] = await engine.orders.history(o.order_id)
        const [singleLog] = await engine.orders.history(single.order_id)
        expect({...log, id: 0, order_id: '', at: ''}).toEqual({...singleLog, id: 0, order_id: '', at: ''})
        const [event] = await engine.store.events.forEntity('order', o.order_id)
        const [singleEvent] = await engine.store.events.forEntity('order', single.order_id)
        expect({...event, id: 0, entity_id: '', created_at: ''}).toEqual({...singleEvent, id: 0, entity_id: '', created_at: ''})
      }
    })
  })

  describe('legal transitions', () => {
    it('pending -> partially_filled -> partially_filled -> filled', async () => {
      const u = await newUser('seq_partial')
      const o = await place(u.user_id, {quantity: 600, price: 15})
      const a = await engine.orders.fill(o.order_id, {quantity: 100, price: 10}, engineActor)
      expect(a).toMatchObject({status: 'partially_filled', filled_quantity: 100, remaining_quantity: 500, avg_fill_price: 10, version: 2, filled_at: null})
      const b = await engine.orders.fill(o.order_id, {quantity: 300, price: 12}, engineActor)
      // (100*10 + 300*12) / 400 = 4600 / 400 = 11.5
      expect(b).toMatchObject({status: 'partially_filled', filled_quantity: 400, remaining_quantity: 200, avg_fill_price: 11.5, version: 3, filled_at: null})
      const c = await engine.orders.fill(o.order_id, {quantity: 200, price: 14, fee: 1.25}, engineActor)
      // (4600 + 200*14) / 600 = 7400 / 600 = 12.333333333... -> 12.33333333 at 8 decimals
      expect(c).toMatchObject({status: 'filled', filled_quantity: 600, remaining_quantity: 0, avg_fill_price: 12.33333333, version: 4, status_reason: 'fill'})
      expect(c.filled_at).toMatch(/Z$/)

      const {history} = await checkHistory(o.order_id)
      expect(history.map((h) => [h.from_status, h.to_status, h.filled_delta, h.price])).toEqual([
        [null, 'pending', 0, 15],
        ['pending', 'partially_filled', 100, 10],
        ['partially_filled', 'partially_filled', 300, 12],
        ['partially_filled', 'filled', 200, 14],
      ])
      const fills = await engine.store.orders.fills({order_id: o.order_id})
      expect(fills.map((f) => [f.quantity, f.price, f.fee, f.side, f.symbol, f.user_id])).toEqual([
        [100, 10, 0, 'buy', 'AAPL', u.user_id],
        [300, 12, 0, 'buy', 'AAPL', u.user_id],
        [200, 14, 1.25, 'buy', 'AAPL', u.user_id],
      ])
      const events = await engine.store.events.forEntity('order', o.order_id)
      expect(events.map((e) => e.type)).toEqual(['order.created', 'order.partially_filled', 'order.partially_filled', 'order.filled'])
      expect(events[3]!.payload).toMatchObject({from: 'partially_filled', to: 'filled', filled_quantity: 600, filled_delta: 200, fill_price: 14, version: 4})
      // fills from a venue write no audit rows
      expect(await count('audit_log', {target: o.order_id})).toBe(1)
    })

    it('decimal fills add up exactly', async () => {
      const u = await newUser('seq_decimal')
      const o = await place(u.user_id, {quantity: '1.5', price: 30})
      await engine.orders.fill(o.order_id, {quantity: 0.1, price: 10}, engineActor)
      expect(await engine.orders.fill(o.order_id, {quantity: 0.2, price: 20}, engineActor)).toMatchObject({status: 'partially_filled', filled_quantity: 0.3, remaining_quantity: 1.2})
      const f = await engine.orders.fill(o.order_id, {quantity: 1.2, price: 30}, engineActor)
      // (0.1*10 + 0.2*20 + 1.2*30) / 1.5 = (1 + 4 + 36) / 1.5 = 27.333333333... -> 27.33333333
      expect(f).toMatchObject({status: 'filled', filled_quantity: 1.5, remaining_quantity: 0, avg_fill_price: 27.33333333, version: 4})
      await checkHistory(o.order_id)
    })

    it('pending -> filled in one fill', async () => {
      const u = await newUser('seq_full')
      const o = await place(u.user_id, {quantity: 250, price: 20})
      const f = await engine.orders.fill(o.order_id, {quantity: 250, price: 19.5}, engineActor)
      expect(f).toMatchObject({status: 'filled', filled_quantity: 250, remaining_quantity: 0, avg_fill_price: 19.5, version: 2})
      const {history} = await checkHistory(o.order_id)
      expect(history.map((h) => [h.from_status, h.to_status, h.filled_delta])).toEqual([
        [null, 'pending', 0],
        ['pending', 'filled', 250],
      ])
    })

    it('pending -> cancelled, with an audit row', async () => {
      const u = await newUser('seq_cancel')
      const o = await place(u.user_id)
      const before = await counts()
      const c = await engine.orders.cancel(o.order_id, actor)
      expect(c).toMatchObject({status: 'cancelled', status_reason: 'cancelled by user', version: 2, filled_quantity: 0})
      expect(await counts()).toEqual({...before, order_logs: before.order_logs + 1, events: before.events + 1, audit_log: before.audit_log + 1})
      const audit = await knex('audit_log').where({target: o.order_id, action: 'order.cancel'})
      expect(audit).toHaveLength(1)
      expect(json(audit[0].details)).toEqual({from: 'pending', reason: 'cancelled by user'})
      const {history} = await checkHistory(o.order_id)
      expect(history.map((h) => [h.from_status, h.to_status, h.reason, h.source, h.actor])).toEqual([
        [null, 'pending', 'created', 'cli', 'test'],
        ['pending', 'cancelled', 'cancelled by user', 'cli', 'test'],
      ])
    })

    it('partially_filled -> cancelled keeps the fill', async () => {
      const u = await newUser('seq_pcancel')
      const o = await place(u.user_id, {quantity: 100})
      await engine.orders.fill(o.order_id, {quantity: 40, price: 149}, engineActor)
      const c = await engine.orders.cancel(o.order_id, actor, 'changed my mind')
      expect(c).toMatchObject({status: 'cancelled', status_reason: 'changed my mind', filled_quantity: 40, remaining_quantity: 60, avg_fill_price: 149, version: 3})
      const {history} = await checkHistory(o.order_id)
      expect(history.map((h) => h.to_status)).toEqual(['pending', 'partially_filled', 'cancelled'])
    })

    it('pending -> expired, partially_filled -> expired, pending -> rejected', async () => {
      const u = await newUser('seq_finish')
      const a = await place(u.user_id)
      expect(await engine.orders.finish(a.order_id, 'expired', 'end of day', engineActor)).toMatchObject({status: 'expired', status_reason: 'end of day', version: 2})
      const b = await place(u.user_id, {quantity: 100})
      await engine.orders.fill(b.order_id, {quantity: 30, price: 150}, engineActor)
      expect(await engine.orders.finish(b.order_id, 'expired', 'IOC remainder', engineActor)).toMatchObject({status: 'expired', filled_quantity: 30, version: 3})
      const c = await place(u.user_id)
      expect(await engine.orders.finish(c.order_id, 'rejected', 'insufficient margin', engineActor)).toMatchObject({status: 'rejected', status_reason: 'insufficient margin', version: 2})
      expect((await checkHistory(a.order_id)).history.map((h) => h.to_status)).toEqual(['pending', 'expired'])
      expect((await checkHistory(b.order_id)).history.map((h) => h.to_status)).toEqual(['pending', 'partially_filled', 'expired'])
      expect((await checkHistory(c.order_id)).history.map((h) => h.to_status)).toEqual(['pending', 'rejected'])
      expect((await engine.store.events.forEntity('order', c.order_id)).map((e) => e.type)).toEqual(['order.created', 'order.rejected'])
      expect((await engine.store.events.forEntity('order', b.order_id)).map((e) => e.type)).toEqual(['order.created', 'order.partially_filled', 'order.expired'])
    })
  })

  describe('illegal transitions', () => {
    it('no change at all from filled, cancelled, rejected or expired', async () => {
      const u = await newUser('terminal')
      const filled = await place(u.user_id, {quantity: 100})
      await engine.orders.fill(filled.order_id, {quantity: 100, price: 150}, engineActor)
      const cancelled = await place(u.user_id, {quantity: 100})
      await engine.orders.cancel(cancelled.order_id, actor)
      const rejected = await place(u.user_id, {quantity: 100})
      await engine.orders.finish(rejected.order_id, 'rejected', 'no', engineActor)
      const expired = await place(u.user_id, {quantity: 100})
      await engine.orders.finish(expired.order_id, 'expired', 'late', engineActor)

      for (const [o, status] of [
        [filled, 'filled'],
        [cancelled, 'cancelled'],
        [rejected, 'rejected'],
        [expired, 'expired'],
      ] as const) {
        const id = o.order_id
        expect((await engine.orders.get(id)).status).toBe(status)
        await refused(id, () => engine.orders.cancel(id, actor), 'conflict', `Order ${id} is already ${status}; it cannot be cancelled.`)
        await refused(id, () => engine.orders.finish(id, 'cancelled', 'x', engineActor), 'conflict', `Order ${id} cannot be cancelled: it is already ${status}, a final state.`)
        await refused(id, () => engine.orders.finish(id, 'rejected', 'x', engineActor), 'conflict', `Order ${id} cannot be rejected: it is already ${status}, a final state.`)
        await refused(id, () => engine.orders.finish(id, 'expired', 'x', engineActor), 'conflict', `Order ${id} cannot be expired: it is already ${status}, a final state.`)
        await refused(id, () => engine.orders.modify(id, {quantity: 500}, actor), 'conflict', `Order ${id} is ${status}; only pending or partially filled orders can be modified.`)
        await refused(id, () => engine.orders.modify(id, {price: 151}, actor), 'conflict', /only pending or partially filled orders can be modified/)
        // a filled order is full: any fill overfills it; the others are final
        await refused(id, () => engine.orders.fill(id, {quantity: 10, price: 150}, engineActor), 'conflict', status === 'filled' ? /would exceed its quantity \(100 of 100 filled\)/ : new RegExp(`cannot be partially filled: it is already ${status}, a final state`))
        await refused(id, () => engine.orders.fill(id, {quantity: 100, price: 150}, engineActor), 'conflict')
        await checkHistory(id)
      }
    })

    it('partially_filled -> rejected is refused', async () => {
      const u = await newUser('prejected')
      const o = await place(u.user_id, {quantity: 100})
      await engine.orders.fill(o.order_id, {quantity: 50, price: 150}, engineActor)
      await refused(o.order_id, () => engine.orders.finish(o.order_id, 'rejected', 'late reject', engineActor), 'conflict', `Order ${o.order_id} cannot be rejected: partially_filled cannot become rejected.`)
      const {order} = await checkHistory(o.order_id)
      expect(order).toMatchObject({status: 'partially_filled', filled_quantity: 50, version: 2})
    })

    it('an overfill is refused, from pending and from partially_filled', async () => {
      const u = await newUser('overfill')
      const o = await place(u.user_id, {quantity: 100})
      await refused(o.order_id, () => engine.orders.fill(o.order_id, {quantity: 101, price: 150}, engineActor), 'conflict', `Fill of 101 on ${o.order_id} would exceed its quantity (0 of 100 filled).`)
      await engine.orders.fill(o.order_id, {quantity: 60, price: 150}, engineActor)
      await refused(o.order_id, () => engine.orders.fill(o.order_id, {quantity: 40.00000001, price: 150}, engineActor), 'conflict', `Fill of 40.00000001 on ${o.order_id} would exceed its quantity (60 of 100 filled).`)
      // bad fills are input errors
      await refused(o.order_id, () => engine.orders.fill(o.order_id, {quantity: 0, price: 150}, engineActor), 'invalidInput', /^fill quantity must be greater than 0/)
      await refused(o.order_id, () => engine.orders.fill(o.order_id, {quantity: 10, price: -1}, engineActor), 'invalidInput', /^fill price must be greater than 0/)
      const done = await engine.orders.fill(o.order_id, {quantity: 40, price: 151}, engineActor)
      // (60*150 + 40*151) / 100 = 15040 / 100 = 150.4
      expect(done).toMatchObject({status: 'filled', filled_quantity: 100, avg_fill_price: 150.4, version: 3})
      await checkHistory(o.order_id)
    })

    it('an unknown order is notFound', async () => {
      await failsCleanly(() => engine.orders.cancel('ORD999999', actor), 'notFound', 'No order "ORD999999".')
      await failsCleanly(() => engine.orders.fill('ORD999999', {quantity: 1, price: 1}, engineActor), 'notFound')
      await failsCleanly(() => engine.orders.modify('ORD999999', {quantity: 5}, actor), 'notFound')
      await expectKind(engine.orders.query('ORD999999'), 'notFound')
    })
  })

  describe('modify', () => {
    it('changes quantity and price, bumps the version and logs from=to', async () => {
      const u = await newUser('modify')
      const o = await place(u.user_id, {quantity: 1000, price: 150})
      const before = await counts()
      const m = await engine.orders.modify(o.order_id, {quantity: '1500', price: '150.50'}, actor)
      expect(m).toMatchObject({status: 'pending', quantity: 1500, price: 150.5, remaining_quantity: 1500, version: 2})
      expect(await counts()).toEqual({...before, order_logs: before.order_logs + 1, events: before.events + 1, audit_log: before.audit_log + 1})
      const {history} = await checkHistory(o.order_id)
      expect(history[1]).toMatchObject({from_status: 'pending', to_status: 'pending', filled_delta: 0, quantity: 1500, price: 150.5, reason: 'modified: quantity 1000 -> 1500, price 150 -> 150.5', source: 'cli', actor: 'test'})
      const events = await engine.store.events.forEntity('order', o.order_id)
      expect(events.at(-1)).toMatchObject({type: 'order.modified'})
      expect(events.at(-1)!.payload).toMatchObject({from: 'pending', to: 'pending', quantity: 1500, price: 150.5, version: 2})
      const audit = await knex('audit_log').where({target: o.order_id, action: 'order.modify'})
      expect(audit).toHaveLength(1)
      expect(json(audit[0].details)).toEqual({from: {quantity: 1000, price: 150}, to: {quantity: 1500, price: 150.5}})

      // price only, then quantity only
      expect(await engine.orders.modify(o.order_id, {price: 149}, actor)).toMatchObject({quantity: 1500, price: 149, version: 3})
      expect(await engine.orders.modify(o.order_id, {quantity: 800}, actor)).toMatchObject({quantity: 800, price: 149, version: 4})
      const h = (await checkHistory(o.order_id)).history
      expect(h.map((x) => x.reason)).toEqual(['created', 'modified: quantity 1000 -> 1500, price 150 -> 150.5', 'modified: price 150.5 -> 149', 'modified: quantity 1500 -> 800'])
    })

    it('a partially filled order can be modified above its filled quantity, not at or below it', async () => {
      const u = await newUser('modify_partial')
      const o = await place(u.user_id, {quantity: 400})
      await engine.orders.fill(o.order_id, {quantity: 100, price: 150}, engineActor)
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: 100}, actor), 'conflict', `Quantity 100 is not above the 100 already filled on ${o.order_id}.`)
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: 50}, actor), 'conflict', `Quantity 50 is not above the 100 already filled on ${o.order_id}.`)
      const m = await engine.orders.modify(o.order_id, {quantity: 150}, actor)
      expect(m).toMatchObject({status: 'partially_filled', quantity: 150, filled_quantity: 100, remaining_quantity: 50, version: 3})
      const {history} = await checkHistory(o.order_id)
      expect(history.at(-1)).toMatchObject({from_status: 'partially_filled', to_status: 'partially_filled', filled_delta: 0, quantity: 150})
      // the rest fills it
      expect(await engine.orders.fill(o.order_id, {quantity: 50, price: 150}, engineActor)).toMatchObject({status: 'filled', filled_quantity: 150, version: 4})
      await checkHistory(o.order_id)
    })

    it('refuses a filled order, a price on a market order, no-op and bad input', async () => {
      const u = await newUser('modify_bad')
      const filled = await place(u.user_id, {quantity: 10})
      await engine.orders.fill(filled.order_id, {quantity: 10, price: 150}, engineActor)
      await refused(filled.order_id, () => engine.orders.modify(filled.order_id, {quantity: 20}, actor), 'conflict', `Order ${filled.order_id} is filled; only pending or partially filled orders can be modified.`)

      const market = await place(u.user_id, {order_type: 'market', price: undefined})
      await refused(market.order_id, () => engine.orders.modify(market.order_id, {price: 150}, actor), 'invalidInput', `Order ${market.order_id} is a market order; it has no price to modify.`)
      expect(await engine.orders.modify(market.order_id, {quantity: 2000}, actor)).toMatchObject({quantity: 2000, price: null, version: 2})

      const o = await place(u.user_id, {quantity: 1000, price: 150})
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: 1000, price: 150}, actor), 'invalidInput', `Order ${o.order_id} already has quantity 1000 and price 150; nothing to modify.`)
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: '1000.0'}, actor), 'invalidInput', /nothing to modify/)
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {}, actor), 'invalidInput', 'Nothing to modify.')
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: 'abc'}, actor), 'invalidInput', 'quantity "abc" is not a number.')
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: 0}, actor), 'invalidInput', /quantity must be greater than 0/)
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {price: 20_000}, actor), 'invalidInput', /above the maximum 10000/)
      await refused(o.order_id, () => engine.orders.modify(o.order_id, {quantity: 2_000_000}, actor), 'invalidInput', /above the maximum 1000000/)
      const {order} = await checkHistory(o.order_id)
      expect(order.version).toBe(1)
    })
  })

  describe('list', () => {
    it('filters by user, status, symbol, strategy, since; pages newest first', async () => {
      const u = await newUser('lister')
      const other = await newUser('lister_other')
      const s = await engine.strategies.create({config: {name: 'list', type: 'grid', user_id: u.user_id, parameters: {symbol: 'AAPL', lower_price: 100, upper_price: 200, levels: 5}}}, actor)
      const a = await place(u.user_id, {symbol: 'AAPL'})
      const b = await place(u.user_id, {symbol: 'msft', strategy_id: s.strategy_id})
      const c = await place(u.user_id, {symbol: 'AAPL', quantity: 10})
      await engine.orders.fill(c.order_id, {quantity: 10, price: 150}, engineActor)
      const d = await place(u.user_id, {symbol: 'GOOGL', strategy_id: s.strategy_id})
      await engine.orders.cancel(d.order_id, actor)
      const e = await place(u.user_id, {symbol: 'AAPL', quantity: 10})
      await engine.orders.fill(e.order_id, {quantity: 5, price: 150}, engineActor)
      await place(other.user_id, {symbol: 'AAPL'})
      // a is an old order
      await knex('orders').where({order_id: a.order_id}).update({created_at: engine.db.dialect.toDb(new Date('2020-01-01T00:00:00.000Z'))})
      expect((await engine.orders.get(a.order_id)).created_at).toBe('2020-01-01T00:00:00.000Z')

      const ids = async (opts: Parameters<EngineHandle['orders']['list']>[0]) => {
        const r = await engine.orders.list({user_id: u.user_id, ...opts})
        return {total: r.total, ids: r.orders.map((o) => o.order_id)}
      }
      const all = await engine.orders.list({user_id: u.user_id})
      expect(all).toMatchObject({total: 5, page: 1, size: 20})
      expect(all.orders.map((o) => o.order_id)).toEqual([e, d, c, b, a].map((o) => o.order_id))
      expect(all.orders.every((o) => o.user_id === u.user_id)).toBe(true)
      expect(await ids({status: ['pending', 'partially_filled']})).toEqual({total: 3, ids: [e, b, a].map((o) => o.order_id)})
      expect(await ids({status: 'filled'})).toEqual({total: 1, ids: [c.order_id]})
      expect(await ids({status: 'Cancelled'})).toEqual({total: 1, ids: [d.order_id]})
      expect(await ids({status: 'expired'})).toEqual({total: 0, ids: []})
      expect(await ids({symbol: 'aapl'})).toEqual({total: 3, ids: [e, c, a].map((o) => o.order_id)})
      expect(await ids({symbol: 'MSFT'})).toEqual({total: 1, ids: [b.order_id]})
      expect(await ids({strategy_id: s.strategy_id})).toEqual({total: 2, ids: [d, b].map((o) => o.order_id)})
      expect(await ids({symbol: 'AAPL', status: 'pending'})).toEqual({total: 1, ids: [a.order_id]})
      expect(await ids({since: '24h'})).toEqual({total: 4, ids: [e, d, c, b].map((o) => o.order_id)})
      expect(await ids({since: '2020-01-01'})).toEqual({total: 5, ids: [e, d, c, b, a].map((o) => o.order_id)})
      expect(await ids({since: '2020-01-01T00:00:00.001Z'})).toEqual({total: 4, ids: [e, d, c, b].map((o) => o.order_id)})
      expect(await ids({since: '2021-06-01'})).toEqual({total: 4, ids: [e, d, c, b].map((o) => o.order_id)})
      expect(await ids({since: '2999-01-01'})).toEqual({total: 0, ids: []})

      expect(await engine.orders.list({user_id: u.user_id, size: 2})).toMatchObject({total: 5, page: 1, size: 2})
      expect(await ids({size: 2, page: 1})).toEqual({total: 5, ids: [e, d].map((o) => o.order_id)})
      expect(await ids({size: 2, page: 2})).toEqual({total: 5, ids: [c, b].map((o) => o.order_id)})
      expect(await ids({size: 2, page: 3})).toEqual({total: 5, ids: [a.order_id]})
      expect(await ids({size: 2, page: 4})).toEqual({total: 5, ids: []})

      expect((await engine.orders.list({user_id: other.user_id})).total).toBe(1)
      const everyone = await engine.orders.list({size: 1000})
      expect(everyone.total).toBe(await count('orders'))

      await expectKind(engine.orders.list({status: 'done'}), 'invalidInput', /status "done" is not valid/)
      await expectKind(engine.orders.list({size: 0}), 'invalidInput', /size "0" is not valid/)
      await expectKind(engine.orders.list({size: 1001}), 'invalidInput', /size "1001" is not valid/)
      await expectKind(engine.orders.list({page: 0}), 'invalidInput', /page "0" is not valid/)
      await expectKind(engine.orders.list({since: 'yesterday'}), 'invalidInput', /since "yesterday" is not a date/)
      await expectKind(engine.orders.list({symbol: "x' OR 1=1 --"}), 'invalidInput', /symbol/)
    })
  })

  describe('cancelBatch', () => {
    it('cancels 1,200 orders in batches of 500, stops on abort and resumes', async () => {
      const u = await newUser('batch')
      const bystander = await newUser('batch_bystander')
      const theirs = [await place(bystander.user_id), await place(bystander.user_id)]
      const filledOne = await place(u.user_id, {quantity: 10})
      await engine.orders.fill(filledOne.order_id, {quantity: 10, price: 150}, engineActor)

      const N = 1200
      const ids = Array.from({length: N}, (_, i) => `ORDB${String(i + 1).padStart(6, '0')}`)
      await engine.store.transaction(async (tx) => {
        for (let i = 0; i < N; i += 200) {
          const chunk = ids.slice(i, i + 200)
          await tx.orders.insert(chunk.map((order_id): NewOrderRow => ({order_id, user_id: u.user_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', time_in_force: 'GTC', quantity: 10, price: 100, status: 'pending'})))
          await tx.orders.insertLogs(chunk.map((order_id): OrderLogRow => ({order_id, from_status: null, to_status: 'pending', quantity: 10, price: 100, reason: 'created', source: 'cli', actor: 'test'})))
          await tx.events.append(chunk.map((order_id) => ({type: 'order.created', entity_type: 'order' as const, entity_id: order_id, user_id: u.user_id, source: 'cli' as const, payload: {to: 'pending'}})))
        }
      })
      expect(await engine.orders.countForBatch({user_id: u.user_id})).toBe(N)

      // closed statuses are refused before anything happens
      await failsCleanly(() => engine.orders.cancelBatch({user_id: u.user_id, status: 'filled'}, actor), 'invalidInput', 'Only open orders can be cancelled; filled orders are final.')
      await failsCleanly(() => engine.orders.cancelBatch({user_id: u.user_id, status: ['pending', 'cancelled']}, actor), 'invalidInput', /cancelled orders are final/)
      await failsCleanly(() => engine.orders.cancelBatch({user_id: 'U999999'}, actor), 'notFound')

      const cancelledLogs = async () =>
        (await knex('order_logs').whereIn('order_id', ids).andWhere({to_status: 'cancelled'}).select('order_id', 'from_status')) as Array<{order_id: string; from_status: string}>
      const byStatus = async () => Object.fromEntries(((await knex('orders').where({user_id: u.user_id}).select('status').count({n: '*'}).groupBy('status')) as Array<{status: string; n: number}>).map((r) => [r.status, Number(r.n)]))

      // First run: stopped after the first batch.
      const controller = new AbortController()
      const progress1: BatchProgress[] = []
      const before1 = await counts()
      const r1 = await engine.orders.cancelBatch({user_id: u.user_id, status: 'pending'}, actor, {
        signal: controller.signal,
        onProgress: (p) => {
          progress1.push(p)
          if (p.done >= 500) controller.abort()
        },
      })
      expect(r1).toEqual({matched: N, cancelled: 500, skipped: 0, interrupted: true})
      expect(progress1).toEqual([
        {total: N, done: 0},
        {total: N, done: 500},
      ])
      expect(await byStatus()).toEqual({pending: 700, cancelled: 500, filled: 1})
      const logs1 = await cancelledLogs()
      expect(logs1).toHaveLength(500)
      expect(new Set(logs1.map((l) => l.order_id)).size).toBe(500)
      expect(logs1.every((l) => l.from_status === 'pending')).toBe(true)
      // the oldest 500 went first
      const cancelledIds = (await knex('orders').where({user_id: u.user_id, status: 'cancelled'}).orderBy('id').pluck('order_id')) as string[]
      expect(cancelledIds).toEqual(ids.slice(0, 500))
      expect(new Set(logs1.map((l) => l.order_id))).toEqual(new Set(ids.slice(0, 500)))
      // one order_logs and one events row per cancelled order, one audit row for the batch
      expect(await counts()).toEqual({...before1, order_logs: before1.order_logs + 500, events: before1.events + 500, audit_log: before1.audit_log + 1})
      const sample = await engine.orders.get(ids[0]!)
      expect(sample).toMatchObject({status: 'cancelled', status_reason: 'cancelled by batch', version: 2})
      expect((await engine.orders.get(ids[500]!))).toMatchObject({status: 'pending', version: 1})

      // Second run finishes the rest.
      const progress2: BatchProgress[] = []
      const r2 = await engine.orders.cancelBatch({user_id: u.user_id}, actor, {onProgress: (p) => progress2.push(p)})
      expect(r2).toEqual({matched: 700, cancelled: 700, skipped: 0, interrupted: false})
      expect(progress2).toEqual([
        {total: 700, done: 0},
        {total: 700, done: 500},
        {total: 700, done: 700},
      ])
      expect(await byStatus()).toEqual({cancelled: N, filled: 1})
      const logs2 = await cancelledLogs()
      expect(logs2).toHaveLength(N)
      expect(new Set(logs2.map((l) => l.order_id)).size).toBe(N)
      const events = await knex('events').whereIn('entity_id', ids).andWhere('type', '!=', 'order.created').select('type')
      expect(events).toHaveLength(N)
      expect(events.every((e: {type: string}) => e.type === 'order.cancelled')).toBe(true)
      expect(await knex('audit_log').where({action: 'order.cancel_batch', target: u.user_id}).count({n: '*'}).then((r) => Number(r[0]!.n))).toBe(3)
      await checkHistory(ids[0]!)
      await checkHistory(ids[N - 1]!)

      // other users' orders and the filled order are untouched
      for (const o of theirs) expect(await engine.orders.get(o.order_id)).toMatchObject({status: 'pending', version: 1})
      expect(await engine.orders.get(filledOne.order_id)).toMatchObject({status: 'filled', version: 2})

      // nothing left: a third run matches nothing and writes nothing
      const before3 = await counts()
      expect(await engine.orders.cancelBatch({user_id: u.user_id}, actor)).toEqual({matched: 0, cancelled: 0, skipped: 0, interrupted: false})
      expect(await counts()).toEqual(before3)
    })

    it('honours the symbol filter', async () => {
      const u = await newUser('batch_symbol')
      const aapl = [await place(u.user_id, {symbol: 'AAPL'}), await place(u.user_id, {symbol: 'AAPL', quantity: 100})]
      await engine.orders.fill(aapl[1]!.order_id, {quantity: 50, price: 150}, engineActor)
      const msft = await place(u.user_id, {symbol: 'MSFT'})
      const r = await engine.orders.cancelBatch({user_id: u.user_id, symbol: 'aapl'}, actor)
      expect(r).toEqual({matched: 2, cancelled: 2, skipped: 0, interrupted: false})
      for (const o of aapl) expect((await checkHistory(o.order_id)).order.status).toBe('cancelled')
      expect((await engine.orders.get(msft.order_id)).status).toBe('pending')
    })
  })
})
