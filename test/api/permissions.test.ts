import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import {cliActor, expectError, uname, useApi} from './helpers.js'

/**
 * The permission matrix over real HTTP: a trader acts only on their own orders and strategies
 * (another's is 403 and stays unchanged), cannot manage users; analysts and guests cannot place
 * orders; an admin can do all of it; custom strategies only by an admin, their module_path confined
 * to engine.strategies_dir.
 */

const MODULE = 'export default class { onTick() { return [] } }\n'

describe.each(backendKinds)('API permissions (%s)', (kind) => {
  const f = useApi(
    kind,
    {},
    {
      tweak: (loaded, backend) => {
        const dir = join(backend.dir, 'strategies')
        mkdirSync(join(dir, 'sub'), {recursive: true})
        writeFileSync(join(dir, 'ok-strategy.js'), MODULE)
        writeFileSync(join(dir, 'sub', 'nested.js'), MODULE)
        writeFileSync(join(backend.dir, 'outside.js'), MODULE)
        symlinkSync(join(backend.dir, 'outside.js'), join(dir, 'escape.js'))
        // engine.strategies_dir (config/engine.yaml: engine.strategies_dir)
        loaded.config.engine.strategies_dir = dir
      },
    },
  )
  type Who = {user_id: string; username: string; token: string}
  let admin: Who, a: Who, b: Who, analyst: Who, guest: Who
  let orderB: string, orderA: string, strategyB: string, strategyA: string

  const orderRow = async (id: string) => {
    const r = await f.db('orders').where({order_id: id}).first()
    return {status: r.status, quantity: Number(r.quantity), price: Number(r.price), version: Number(r.version), user_id: r.user_id}
  }
  const newOrder = async (userId: string) =>
    (await f.engine.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 10, price: 1} as never, cliActor)).order.order_id
  const newStrategy = async (userId: string) =>
    (await f.engine.strategies.create({user_id: userId, name: uname('s'), config: {type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}}}, cliActor)).strategy_id

  beforeAll(async () => {
    if (f.error) return
    admin = await f.signedIn('admin')
    a = await f.signedIn('trader')
    b = await f.signedIn('trader')
    analyst = await f.signedIn('analyst')
    guest = await f.signedIn('guest')
    orderA = await newOrder(a.user_id)
    orderB = await newOrder(b.user_id)
    strategyA = await newStrategy(a.user_id)
    strategyB = await newStrategy(b.user_id)
  })

  it("trader A reading, modifying, cancelling or listing the history of trader B's order gets 403, and the order is unchanged", async () => {
    const before = await orderRow(orderB)
    expectError(await f.call('GET', `/orders/${orderB}`, {token: a.token}), 403, 'forbidden')
    expectError(await f.call('GET', `/orders/${orderB}/history`, {token: a.token}), 403, 'forbidden')
    expectError(await f.call('PUT', `/orders/${orderB}`, {token: a.token, body: {quantity: 20, price: 2}}), 403, 'forbidden')
    expectError(await f.call('DELETE', `/orders/${orderB}`, {token: a.token}), 403, 'forbidden')
    expect(await orderRow(orderB)).toEqual(before)
    expect(before).toMatchObject({status: 'pending', quantity: 10, price: 1, user_id: b.user_id})
    // A's own order is fine.
    const own = await f.call('GET', `/orders/${orderA}`, {token: a.token})
    expect(own.status, own.text).toBe(200)
  })

  it("a trader lists only their own orders and strategies; asking for another user's is 403", async () => {
    const orders = await f.call('GET', '/orders', {token: a.token})
    expect(orders.status, orders.text).toBe(200)
    expect(orders.body.data.total).toBe(1)
    expect(orders.body.data.orders.map((o: any) => o.order_id)).toEqual([orderA])
    expectError(await f.call('GET', `/orders?user_id=${b.user_id}`, {token: a.token}), 403, 'forbidden')
    expect((await f.call('GET', `/orders?user_id=${a.user_id}`, {token: a.token})).body.data.total).toBe(1)

    const strategies = await f.call('GET', '/strategies', {token: a.token})
    expect(strategies.status, strategies.text).toBe(200)
    expect(strategies.body.data.strategies.map((s: any) => s.strategy_id)).toEqual([strategyA])
    expectError(await f.call('GET', `/strategies?user_id=${b.user_id}`, {token: a.token}), 403, 'forbidden')
    expectError(await f.call('GET', `/strategies/${strategyB}`, {token: a.token}), 403, 'forbidden')
    expectError(await f.call('GET', `/strategies/${strategyB}/performance`, {token: a.token}), 403, 'forbidden')
    expectError(await f.call('POST', `/strategies/${strategyB}/start`, {token: a.token}), 403, 'forbidden')
    expect((await f.db('strategies').where({strategy_id: strategyB}).first()).status).toBe('stopped')
  })

  it("a trader cannot place an order or create a strategy for another user", async () => {
    const before = await f.db('orders').where({user_id: b.user_id}).count({n: '*'})
    expectError(await f.call('POST', '/orders', {token: a.token, body: {user_id: b.user_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 5, price: 1}}), 403, 'forbidden')
    expect(await f.db('orders').where({user_id: b.user_id}).count({n: '*'})).toEqual(before)
    expectError(await f.call('POST', '/strategies', {token: a.token, body: {name: uname('x'), type: 'momentum', user_id: b.user_id, parameters: {symbols: ['AAPL'], threshold: 0.02}}}), 403, 'forbidden')
  })

  it('a trader cannot list, create, change or delete users (403), but may read their own record', async () => {
    expectError(await f.call('GET', '/users', {token: a.token}), 403, 'forbidden')
    const name = uname('new')
    expectError(await f.call('POST', '/users', {token: a.token, body: {username: name, password: 'Secret-pass-1'}}), 403, 'forbidden')
    expect(await f.db('users').where({username: name}).first()).toBeUndefined()
    expectError(await f.call('GET', `/users/${b.user_id}`, {token: a.token}), 403, 'forbidden')
    expectError(await f.call('PUT', `/users/${a.user_id}`, {token: a.token, body: {role: 'admin'}}), 403, 'forbidden')
    expectError(await f.call('DELETE', `/users/${b.user_id}`, {token: a.token}), 403, 'forbidden')
    expect((await f.db('users').where({user_id: a.user_id}).first()).role).toBe('trader')
    expect(await f.db('users').where({user_id: b.user_id}).first()).toBeDefined()
    const me = await f.call('GET', `/users/${a.user_id}`, {token: a.token})
    expect(me.status, me.text).toBe(200)
  })

  it('analyst and guest lack order_create (403); guest lacks monitor_view; analyst has it', async () => {
    for (const who of [analyst, guest]) {
      const r = await f.call('POST', '/orders', {token: who.token, body: {symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 5, price: 1}})
      expectError(r, 403, 'forbidden')
      expect(r.body.message).toMatch(/order_create/)
      expect(await f.db('orders').where({user_id: who.user_id}).count({n: '*'})).toEqual([{n: 0}])
      // Both may query (their own: none).
      const list = await f.call('GET', '/orders', {token: who.token})
      expect(list.status, list.text).toBe(200)
      expect(list.body.data.total).toBe(0)
      expectError(await f.call('POST', '/strategies', {token: who.token, body: {name: uname('x'), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}}}), 403, 'forbidden')
    }
    expect((await f.call('GET', '/monitor/alerts', {token: analyst.token})).status).toBe(200)
    expectError(await f.call('GET', '/monitor/alerts', {token: guest.token}), 403, 'forbidden')
    expectError(await f.call('GET', '/monitor/system/status', {token: guest.token}), 403, 'forbidden')
  })

  it('a permission taken away is refused on the next request with the same token', async () => {
    const c = await f.signedIn('trader')
    const place = () => f.call('POST', '/orders', {token: c.token, body: {symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 5, price: 1}})
    expect((await place()).status).toBe(201)
    const changed = await f.call('PUT', `/users/${c.user_id}`, {token: admin.token, body: {permissions: ['order_query']}})
    expect(changed.status, changed.text).toBe(200)
    expect(changed.body.data.permissions).toEqual(['order_query'])
    expectError(await place(), 403, 'forbidden')
  })

  it("an admin can read, list, modify and cancel anyone's orders and manage users", async () => {
    const id = await newOrder(b.user_id)
    expect((await f.call('GET', `/orders/${id}`, {token: admin.token})).status).toBe(200)
    const listB = await f.call('GET', `/orders?user_id=${b.user_id}`, {token: admin.token})
    expect(listB.status).toBe(200)
    expect(listB.body.data.orders.every((o: any) => o.user_id === b.user_id)).toBe(true)
    expect(listB.body.data.total).toBeGreaterThanOrEqual(2)
    const all = await f.call('GET', '/orders?size=1000', {token: admin.token})
    expect(new Set(all.body.data.orders.map((o: any) => o.user_id))).toEqual(new Set([a.user_id, b.user_id, ...(await f.db('orders').distinct('user_id')).map((r: any) => r.user_id)]))
    const mod = await f.call('PUT', `/orders/${id}`, {token: admin.token, body: {quantity: 15}})
    expect(mod.status, mod.text).toBe(200)
    expect(mod.body.data.quantity).toBe(15)
    const del = await f.call('DELETE', `/orders/${id}`, {token: admin.token})
    expect(del.status, del.text).toBe(200)
    expect(del.body.data.status).toBe('cancelled')
    const placed = await f.call('POST', '/orders', {token: admin.token, body: {user_id: b.user_id, symbol: 'MSFT', side: 'sell', order_type: 'limit', quantity: 3, price: 9000}})
    expect(placed.status, placed.text).toBe(201)
    expect(placed.body.data.user_id).toBe(b.user_id)
    expect((await f.call('GET', `/strategies/${strategyB}`, {token: admin.token})).status).toBe(200)
    expect((await f.call('GET', '/users', {token: admin.token})).status).toBe(200)
    const created = await f.call('POST', '/users', {token: admin.token, body: {username: uname('byadmin'), password: 'Secret-pass-1', role: 'guest'}})
    expect(created.status, created.text).toBe(201)
  })

  describe('custom strategies', () => {
    const custom = (over: Record<string, unknown>) => ({name: uname('custom'), type: 'custom', ...over})

    it('a non-admin creating a custom strategy (or any module_path) gets 403 and nothing is stored', async () => {
      const before = await f.db('strategies').count({n: '*'})
      expectError(await f.call('POST', '/strategies', {token: a.token, body: custom({module_path: 'ok-strategy.js'})}), 403, 'forbidden')
      expectError(await f.call('POST', '/strategies', {token: a.token, body: {name: uname('m'), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}, module_path: 'ok-strategy.js'}}), 403, 'forbidden')
      expect(await f.db('strategies').count({n: '*'})).toEqual(before)
    })

    it.each([
      ['../x.js'],
      ['../../etc/passwd'],
      ['sub/../../outside.js'],
      ['/etc/passwd'],
      ['escape.js'],
      ['missing.js'],
    ])('an admin with module_path %j gets 400 naming module_path', async (modulePath) => {
      const before = await f.db('strategies').count({n: '*'})
      const r = await f.call('POST', '/strategies', {token: admin.token, body: custom({module_path: modulePath})})
      expectError(r, 400, 'invalidInput')
      expect(r.body.error.field).toBe('module_path')
      expect(await f.db('strategies').count({n: '*'})).toEqual(before)
    })

    it('an admin with a custom strategy and no module_path gets 400 naming module_path', async () => {
      const r = await f.call('POST', '/strategies', {token: admin.token, body: custom({})})
      expectError(r, 400, 'invalidInput')
      expect(r.body.error.field).toBe('module_path')
    })

    it.each([['ok-strategy.js'], ['sub/nested.js']])('an admin with module_path %j inside engine.strategies_dir gets 201', async (modulePath) => {
      const r = await f.call('POST', '/strategies', {token: admin.token, body: custom({module_path: modulePath})})
      expect(r.status, r.text).toBe(201)
      expect(r.body.data).toMatchObject({type: 'custom', module_path: modulePath, user_id: admin.user_id, status: 'stopped'})
      const row = await f.db('strategies').where({strategy_id: r.body.data.strategy_id}).first()
      expect(row).toMatchObject({module_path: modulePath, module_origin: 'api'})
    })
  })
})
