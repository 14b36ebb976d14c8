import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import {PASSWORD, parseJson, uname, useApi} from './helpers.js'

/**
 * Every endpoint of the manual's "API文档" over real HTTP, with the manual's example bodies and
 * response shapes, and what each change leaves behind: audit_log rows naming the API user, events
 * with source 'api', order_logs.
 */

const USER_KEYS = ['user_id', 'username', 'name', 'email', 'type', 'status', 'created_at', 'last_login']

describe.each(backendKinds)('API endpoints (%s)', (kind) => {
  const f = useApi(kind)
  type Who = {user_id: string; username: string; token: string}
  let admin: Who
  let trader: Who
  const lastAudit = (target: string, action: string) => f.db('audit_log').where({target, action}).orderBy('id', 'desc').first()
  const lastEvent = (entityId: string, type: string) => f.db('events').where({entity_id: entityId, type}).orderBy('id', 'desc').first()
  const at = (d: Date) => (kind === 'sqlite' ? d.toISOString().replace('T', ' ').replace('Z', '') : d)

  beforeAll(async () => {
    if (f.error) return
    admin = await f.signedIn('admin')
    trader = await f.signedIn('trader')
  })

  describe('users', () => {
    it('GET /users?page&size&status pages with {total, page, size, users} in the manual\'s fields, never a hash', async () => {
      for (let i = 0; i < 3; i++) await f.user('trader')
      await f.user('guest', {status: 'suspended'})
      const active = Number((await f.db('users').where({status: 'active'}).count({n: '*'}))[0]!.n)
      const p1 = await f.call('GET', '/users?page=1&size=2&status=active', {token: admin.token})
      expect(p1.status, p1.text).toBe(200)
      expect(p1.body).toMatchObject({code: 200, message: expect.any(String)})
      expect(p1.body.data).toMatchObject({total: active, page: 1, size: 2})
      expect(p1.body.data.users).toHaveLength(2)
      for (const u of p1.body.data.users) {
        for (const k of USER_KEYS) expect(u, k).toHaveProperty(k)
        expect(u.status).toBe('active')
        expect(Object.keys(u).join(',')).not.toMatch(/password|hash/)
      }
      const p2 = await f.call('GET', '/users?page=2&size=2&status=active', {token: admin.token})
      expect(p2.body.data.page).toBe(2)
      const ids1 = p1.body.data.users.map((u: any) => u.user_id)
      for (const u of p2.body.data.users) expect(ids1).not.toContain(u.user_id)
      const all = await f.call('GET', '/users?size=1000', {token: admin.token})
      expect(all.body.data.total).toBe(Number((await f.db('users').count({n: '*'}))[0]!.n))
      expect(all.text).not.toMatch(/password_hash|\$argon2/)
      // Defaults: page 1, size 20.
      const d = await f.call('GET', '/users', {token: admin.token})
      expect(d.body.data).toMatchObject({page: 1, size: 20})
    })

    it('POST /users with the manual\'s example body: 201, audit row by the API user, event with source api', async () => {
      const username = uname('trader002')
      const r = await f.call('POST', '/users', {
        token: admin.token,
        body: {username, password: 'password123', name: '李四', email: `${username}@example.com`, type: 'institutional', permissions: ['order_create', 'order_query']},
      })
      expect(r.status, r.text).toBe(201)
      expect(r.body.code).toBe(201)
      const u = r.body.data
      expect(u).toMatchObject({username, name: '李四', email: `${username}@example.com`, type: 'institutional', permissions: ['order_create', 'order_query'], status: 'active', last_login: null})
      expect(r.text).not.toMatch(/password/)
      expect(await lastAudit(u.user_id, 'user.create')).toMatchObject({actor: admin.username, target_type: 'user'})
      expect(await lastEvent(u.user_id, 'user.created')).toMatchObject({source: 'api'})
      // The new user can sign in with that password.
      expect((await f.login(username, 'password123')).user_info.user_id).toBe(u.user_id)
      // GET /users/:id answers the same record.
      const one = await f.call('GET', `/users/${u.user_id}`, {token: admin.token})
      expect(one.status).toBe(200)
      expect(one.body.data).toMatchObject({user_id: u.user_id, username, name: '李四'})
    })

    it('POST /users with a taken username is 409', async () => {
      const r = await f.call('POST', '/users', {token: admin.token, body: {username: trader.username, password: PASSWORD}})
      expect(r.status, r.text).toBe(409)
      expect(r.body).toMatchObject({code: 409, data: null})
    })

    it('PUT /users/:id with the manual\'s body changes name and email (audit user.update by the API user); a status change is audited too', async () => {
      const target = await f.user('trader')
      const email = `${target.username}_new@example.com`
      const r = await f.call('PUT', `/users/${target.user_id}`, {token: admin.token, body: {name: '李四四', email, status: 'active'}})
      expect(r.status, r.text).toBe(200)
      expect(r.body.data).toMatchObject({user_id: target.user_id, name: '李四四', email, status: 'active'})
      expect(await f.db('users').where({user_id: target.user_id}).first()).toMatchObject({name: '李四四', email})
      const audit = await lastAudit(target.user_id, 'user.update')
      expect(audit).toMatchObject({actor: admin.username})
      expect(JSON.stringify(parseJson(audit.details))).toMatch(/name/)
      expect(await lastEvent(target.user_id, 'user.updated')).toMatchObject({source: 'api'})

      const s = await f.call('PUT', `/users/${target.user_id}`, {token: admin.token, body: {status: 'suspended'}})
      expect(s.status, s.text).toBe(200)
      expect(s.body.data.status).toBe('suspended')
      expect(parseJson((await lastAudit(target.user_id, 'user.status')).details)).toMatchObject({from: 'active', to: 'suspended'})
      expect(await lastAudit(target.user_id, 'user.status')).toMatchObject({actor: admin.username})
      expect(await lastEvent(target.user_id, 'user.status_changed')).toMatchObject({source: 'api'})
    })

    it('DELETE /users/:id removes the user (audit user.delete by the API user, event source api); deleting yourself is 409', async () => {
      const target = await f.user('trader')
      const r = await f.call('DELETE', `/users/${target.user_id}`, {token: admin.token})
      expect(r.status, r.text).toBe(200)
      expect(r.body.data).toMatchObject({user: {user_id: target.user_id, username: target.username}, removed: {strategies: 0, orders: 0}})
      expect(await f.db('users').where({user_id: target.user_id}).first()).toBeUndefined()
      expect(await lastAudit(target.user_id, 'user.delete')).toMatchObject({actor: admin.username})
      expect(await lastEvent(target.user_id, 'user.deleted')).toMatchObject({source: 'api'})
      expect((await f.call('GET', `/users/${target.user_id}`, {token: admin.token})).status).toBe(404)
      const self = await f.call('DELETE', `/users/${admin.user_id}`, {token: admin.token})
      expect(self.status, self.text).toBe(409)
      expect(await f.db('users').where({user_id: admin.user_id}).first()).toBeDefined()
    })

    it('DELETE /users/:id of a user with open orders needs ?force=true', async () => {
      const target = await f.user('trader')
      await f.engine.orders.create({user_id: target.user_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 1, price: 1} as never, {name: 'test', source: 'cli'})
      const refused = await f.call('DELETE', `/users/${target.user_id}`, {token: admin.token})
      expect(refused.status, refused.text).toBeGreaterThanOrEqual(400)
      expect(refused.status).toBeLessThan(500)
      expect(await f.db('users').where({user_id: target.user_id}).first()).toBeDefined()
      const forced = await f.call('DELETE', `/users/${target.user_id}?force=true`, {token: admin.token})
      expect(forced.status, forced.text).toBe(200)
      expect(forced.body.data.removed).toMatchObject({orders: 1, open_orders: 1})
    })
  })

  describe('strategies and orders', () => {
    let strategyId = ''
    let orderId = ''

    it('POST /strategies with the manual\'s example body: 201, stopped, parameters and risk kept; audit by the API user', async () => {
      const r = await f.call('POST', '/strategies', {
        token: trader.token,
        body: {
          name: '新动量策略',
          type: 'momentum',
          user_id: trader.user_id,
          parameters: {symbols: ['AAPL', 'GOOGL'], timeframe: '5m', threshold: 0.02},
          risk_management: {max_daily_loss: 1000, max_drawdown: 0.15},
        },
      })
      expect(r.status, r.text).toBe(201)
      expect(r.body.code).toBe(201)
      const s = r.body.data
      expect(s).toMatchObject({name: '新动量策略', type: 'momentum', user_id: trader.user_id, status: 'stopped', parameters: {symbols: ['AAPL', 'GOOGL'], timeframe: '5m', threshold: 0.02}, risk_management: {max_daily_loss: 1000, max_drawdown: 0.15}})
      expect(s.strategy_id).toMatch(/^STR\d+$/)
      strategyId = s.strategy_id
      expect(await lastAudit(strategyId, 'strategy.create')).toMatchObject({actor: trader.username})
      expect(await lastEvent(strategyId, 'strategy.created')).toMatchObject({source: 'api'})
      const one = await f.call('GET', `/strategies/${strategyId}`, {token: trader.token})
      expect(one.status).toBe(200)
      expect(one.body.data).toMatchObject({strategy_id: strategyId, name: '新动量策略'})
    })

    it('a bad strategy body is 400 (unknown parameter, threshold out of range)', async () => {
      const bad = await f.call('POST', '/strategies', {token: trader.token, body: {name: uname('b'), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 5}}})
      expect(bad.status, bad.text).toBe(400)
      const unknown = await f.call('POST', '/strategies', {token: trader.token, body: {name: uname('b'), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.1, turbo: true}}})
      expect(unknown.status, unknown.text).toBe(400)
    })

    it('POST /strategies/:id/start and /stop change the status (audited), a repeat says unchanged; status=active lists running ones', async () => {
      const list0 = await f.call('GET', `/strategies?user_id=${trader.user_id}&status=active`, {token: trader.token})
      expect(list0.status, list0.text).toBe(200)
      expect(list0.body.data.strategies).toEqual([])
      const start = await f.call('POST', `/strategies/${strategyId}/start`, {token: trader.token})
      expect(start.status, start.text).toBe(200)
      expect(start.body.data).toMatchObject({strategy: {strategy_id: strategyId, status: 'running'}, previous: 'stopped', changed: true})
      expect(start.body.data.strategy.started_at).toEqual(expect.any(String))
      expect(await lastAudit(strategyId, 'strategy.start')).toMatchObject({actor: trader.username})
      const again = await f.call('POST', `/strategies/${strategyId}/start`, {token: trader.token})
      expect(again.body.data).toMatchObject({previous: 'running', changed: false})
      const list1 = await f.call('GET', `/strategies?user_id=${trader.user_id}&status=active`, {token: trader.token})
      expect(list1.body.data.strategies.map((s: any) => s.strategy_id)).toEqual([strategyId])
      const stop = await f.call('POST', `/strategies/${strategyId}/stop`, {token: trader.token})
      expect(stop.status, stop.text).toBe(200)
      expect(stop.body.data).toMatchObject({strategy: {status: 'stopped'}, previous: 'running', changed: true})
      expect(await lastAudit(strategyId, 'strategy.stop')).toMatchObject({actor: trader.username})
      expect((await f.db('strategies').where({strategy_id: strategyId}).first()).status).toBe('stopped')
    })

    it('POST /orders with the manual\'s example body: 201 with the order, pending; order_logs and audit name the API user', async () => {
      const r = await f.call('POST', '/orders', {
        token: trader.token,
        body: {user_id: trader.user_id, strategy_id: strategyId, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 1000, price: 150.5, time_in_force: 'GTC'},
      })
      expect(r.status, r.text).toBe(201)
      expect(r.body.code).toBe(201)
      const o = r.body.data
      expect(o).toMatchObject({user_id: trader.user_id, strategy_id: strategyId, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 1000, price: 150.5, filled_quantity: 0, remaining_quantity: 1000, status: 'pending', time_in_force: 'GTC', version: expect.any(Number)})
      expect(o.order_id).toMatch(/^ORD\d+$/)
      expect(o.created_at).toEqual(expect.any(String))
      orderId = o.order_id
      const log = await f.db('order_logs').where({order_id: orderId}).orderBy('id').first()
      expect(log).toMatchObject({to_status: 'pending', source: 'api', actor: trader.username})
      expect(await lastEvent(orderId, 'order.created')).toMatchObject({source: 'api'})
    })

    it('POST /orders without user_id places it for the caller; the same client_order_id twice answers 200 with the first order', async () => {
      const body = {symbol: 'MSFT', side: 'sell', order_type: 'limit', quantity: 5, price: 9000, client_order_id: uname('coid')}
      const first = await f.call('POST', '/orders', {token: trader.token, body})
      expect(first.status, first.text).toBe(201)
      expect(first.body.data.user_id).toBe(trader.user_id)
      const second = await f.call('POST', '/orders', {token: trader.token, body})
      expect(second.status, second.text).toBe(200)
      expect(second.body.data.order_id).toBe(first.body.data.order_id)
      expect(Number((await f.db('orders').where({client_order_id: body.client_order_id}).count({n: '*'}))[0]!.n)).toBe(1)
    })

    it('GET /orders filters by user, strategy, status, symbol and pages with {total, page, size, orders}', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await f.call('POST', '/orders', {token: trader.token, body: {symbol: 'TSLA', side: 'buy', order_type: 'limit', quantity: 1 + i, price: 1}})
        expect(r.status, r.text).toBe(201)
      }
      const mine = Number((await f.db('orders').where({user_id: trader.user_id}).count({n: '*'}))[0]!.n)
      const all = await f.call('GET', `/orders?user_id=${trader.user_id}&status=pending&page=1&size=50`, {token: trader.token})
      expect(all.status, all.text).toBe(200)
      expect(all.body.data).toMatchObject({total: mine, page: 1, size: 50})
      expect(all.body.data.orders.every((o: any) => o.status === 'pending' && o.user_id === trader.user_id)).toBe(true)
      for (const o of all.body.data.orders) for (const k of ['order_id', 'user_id', 'strategy_id', 'symbol', 'side', 'order_type', 'quantity', 'price', 'filled_quantity', 'status', 'created_at', 'updated_at']) expect(o, k).toHaveProperty(k)
      const tsla = await f.call('GET', '/orders?symbol=TSLA', {token: trader.token})
      expect(tsla.body.data.total).toBe(3)
      expect(tsla.body.data.orders.map((o: any) => o.quantity)).toEqual([3, 2, 1]) // newest first
      const byStrategy = await f.call('GET', `/orders?strategy_id=${strategyId}`, {token: trader.token})
      expect(byStrategy.body.data.orders.map((o: any) => o.order_id)).toEqual([orderId])
      const page2 = await f.call('GET', '/orders?symbol=TSLA&size=2&page=2', {token: trader.token})
      expect(page2.body.data).toMatchObject({total: 3, page: 2, size: 2})
      expect(page2.body.data.orders.map((o: any) => o.quantity)).toEqual([1])
      const none = await f.call('GET', '/orders?status=cancelled', {token: trader.token})
      expect(none.body.data.total).toBe(0)
      // Default size is 50 (the manual's example).
      expect((await f.call('GET', '/orders', {token: trader.token})).body.data.size).toBe(50)
    })

    it('GET /orders/:id answers the order with its history and fills', async () => {
      const r = await f.call('GET', `/orders/${orderId}`, {token: trader.token})
      expect(r.status, r.text).toBe(200)
      expect(r.body.data.order).toMatchObject({order_id: orderId, status: 'pending', quantity: 1000})
      expect(r.body.data.history).toHaveLength(1)
      expect(r.body.data.fills).toEqual([])
    })

    it('PUT /orders/:id with the manual\'s body changes quantity and price (audit order.modify by the API user)', async () => {
      const before = await f.db('orders').where({order_id: orderId}).first()
      const r = await f.call('PUT', `/orders/${orderId}`, {token: trader.token, body: {quantity: 1500, price: 151.0}})
      expect(r.status, r.text).toBe(200)
      expect(r.body.data).toMatchObject({order_id: orderId, quantity: 1500, price: 151, remaining_quantity: 1500, status: 'pending'})
      expect(r.body.data.version).toBeGreaterThan(Number(before.version))
      const row = await f.db('orders').where({order_id: orderId}).first()
      expect([Number(row.quantity), Number(row.price)]).toEqual([1500, 151])
      expect(await lastAudit(orderId, 'order.modify')).toMatchObject({actor: trader.username})
      const only = await f.call('PUT', `/orders/${orderId}`, {token: trader.token, body: {price: '151.25'}})
      expect(only.status, only.text).toBe(200)
      expect(only.body.data).toMatchObject({quantity: 1500, price: 151.25})
    })

    it('DELETE /orders/:id cancels (audit order.cancel); a second cancel is 409; GET history shows every change oldest first', async () => {
      const r = await f.call('DELETE', `/orders/${orderId}`, {token: trader.token})
      expect(r.status, r.text).toBe(200)
      expect(r.body.data).toMatchObject({order_id: orderId, status: 'cancelled'})
      expect((await f.db('orders').where({order_id: orderId}).first()).status).toBe('cancelled')
      expect(await lastAudit(orderId, 'order.cancel')).toMatchObject({actor: trader.username})
      const again = await f.call('DELETE', `/orders/${orderId}`, {token: trader.token})
      expect(again.status, again.text).toBe(409)
      expect((await f.call('PUT', `/orders/${orderId}`, {token: trader.token, body: {quantity: 5}})).status).toBe(409)

      const h = await f.call('GET', `/orders/${orderId}/history`, {token: trader.token})
      expect(h.status, h.text).toBe(200)
      expect(h.body.data.order_id).toBe(orderId)
      const history = h.body.data.history
      expect(history.length).toBeGreaterThanOrEqual(3)
      expect(history[0]).toMatchObject({from_status: null, to_status: 'pending', source: 'api'})
      expect(history.at(-1)).toMatchObject({from_status: 'pending', to_status: 'cancelled', source: 'api', actor: trader.username})
    })

    it('GET /strategies lists with performance {total_orders, success_rate, profit_loss}; /performance takes start_date and end_date', async () => {
      const list = await f.call('GET', '/strategies', {token: trader.token})
      expect(list.status, list.text).toBe(200)
      expect(list.body.data).toMatchObject({total: 1, page: 1})
      const s = list.body.data.strategies[0]
      expect(s).toMatchObject({strategy_id: strategyId, name: '新动量策略', type: 'momentum', status: 'stopped', user_id: trader.user_id, created_at: expect.any(String)})
      expect(s.performance).toEqual({total_orders: 1, success_rate: expect.anything(), profit_loss: 0})
      expect(s.performance.success_rate === null || typeof s.performance.success_rate === 'number').toBe(true)

      const today = new Date().toISOString().slice(0, 10)
      const perf = await f.call('GET', `/strategies/${strategyId}/performance?start_date=${today}&end_date=${today}`, {token: trader.token})
      expect(perf.status, perf.text).toBe(200)
      expect(perf.body.data).toMatchObject({strategy_id: strategyId, total_orders: 1, cancelled_orders: 1, filled_orders: 0, open_orders: 0})
      expect(perf.body.data.period.start).toMatch(new RegExp(`^${today}`))
      // A range before the order: nothing in it.
      const past = await f.call('GET', `/strategies/${strategyId}/performance?start_date=2024-01-01&end_date=2024-01-31`, {token: trader.token})
      expect(past.status, past.text).toBe(200)
      expect(past.body.data).toMatchObject({strategy_id: strategyId, total_orders: 0})
      const reversed = await f.call('GET', `/strategies/${strategyId}/performance?start_date=2024-02-01&end_date=2024-01-01`, {token: trader.token})
      expect(reversed.status, reversed.text).toBe(400)
    })
  })

  describe('monitor', () => {
    it('GET /monitor/system/status answers {system_status, uptime, performance, business_metrics} of the manual', async () => {
      const r = await f.call('GET', '/monitor/system/status', {token: trader.token})
      expect(r.status, r.text).toBe(200)
      const d = r.body.data
      expect(['healthy', 'degraded', 'down']).toContain(d.system_status)
      expect(typeof d.uptime).toBe('number')
      expect(d.uptime).toBe(0) // no engine runs on this database
      expect(Object.keys(d.performance).sort()).toEqual(['cpu_usage', 'disk_usage', 'memory_usage', 'network_io'])
      expect(Object.keys(d.business_metrics).sort()).toEqual(['active_users', 'average_latency', 'daily_trades', 'pending_orders', 'running_strategies', 'system_tps'])
      for (const v of [...Object.values(d.performance), ...Object.values(d.business_metrics)]) expect(v === null || typeof v === 'number', String(v)).toBe(true)
    })

    it('GET /monitor/metrics?start_time&end_time answers the samples in that range', async () => {
      const base = new Date('2024-01-15T10:00:00Z')
      await f.db('metrics').insert([
        {name: 'tps', value: 156.7, at: at(base), step_s: 0},
        {name: 'tps', value: 160, at: at(new Date(base.getTime() + 60_000)), step_s: 0},
        {name: 'tps', value: 999, at: at(new Date('2024-01-16T10:00:00Z')), step_s: 0},
        {name: 'cpu_usage', value: 45.2, at: at(base), step_s: 0},
      ])
      const r = await f.call('GET', '/monitor/metrics?start_time=2024-01-15T00:00:00Z&end_time=2024-01-15T23:59:59Z', {token: trader.token})
      expect(r.status, r.text).toBe(200)
      expect(r.body.data).toMatchObject({start_time: '2024-01-15T00:00:00.000Z', end_time: '2024-01-15T23:59:59.000Z', truncated: false})
      expect(r.body.data.metrics.tps.map((p: any) => p.value)).toEqual([156.7, 160])
      expect(r.body.data.metrics.tps[0].at).toMatch(/^2024-01-15T10:00:00/)
      expect(r.body.data.metrics.cpu_usage.map((p: any) => p.value)).toEqual([45.2])
      const named = await f.call('GET', '/monitor/metrics?start_time=2024-01-15T00:00:00Z&end_time=2024-01-15T23:59:59Z&names=tps', {token: trader.token})
      expect(Object.keys(named.body.data.metrics)).toEqual(['tps'])
      const missing = await f.call('GET', '/monitor/metrics?end_time=2024-01-15T23:59:59Z', {token: trader.token})
      expect(missing.status).toBe(400)
      expect(missing.body.error.field).toBe('start_time')
      const long = await f.call('GET', '/monitor/metrics?start_time=2024-01-01T00:00:00Z&end_time=2024-03-01T00:00:00Z', {token: trader.token})
      expect(long.status).toBe(400)
      const bogus = await f.call('GET', '/monitor/metrics?start_time=2024-01-15T00:00:00Z&end_time=2024-01-15T23:59:59Z&names=tps,bogus', {token: trader.token})
      expect(bogus.status).toBe(400)
      expect(bogus.body.error.field).toBe('names')
    })

    it('GET /monitor/alerts?level&page&size pages the alerts at or above the level, newest first', async () => {
      const t0 = Date.now() - 60_000
      await f.db('alerts').insert([
        {rule: 'r_info', level: 'info', category: 'system', message: 'info alert', status: 'active', created_at: at(new Date(t0)), updated_at: at(new Date(t0))},
        {rule: 'r_warn', level: 'warning', category: 'performance', message: 'warning alert', status: 'active', created_at: at(new Date(t0 + 1000)), updated_at: at(new Date(t0 + 1000))},
        {rule: 'r_crit', level: 'critical', category: 'database', message: 'critical alert', status: 'resolved', created_at: at(new Date(t0 + 2000)), updated_at: at(new Date(t0 + 2000))},
      ])
      const p1 = await f.call('GET', '/monitor/alerts?level=warning&page=1&size=1', {token: trader.token})
      expect(p1.status, p1.text).toBe(200)
      expect(p1.body.data).toMatchObject({total: 2, page: 1, size: 1})
      expect(p1.body.data.alerts.map((a: any) => a.rule)).toEqual(['r_crit'])
      const p2 = await f.call('GET', '/monitor/alerts?level=warning&page=2&size=1', {token: trader.token})
      expect(p2.body.data.alerts.map((a: any) => a.rule)).toEqual(['r_warn'])
      const all = await f.call('GET', '/monitor/alerts', {token: trader.token})
      expect(all.body.data).toMatchObject({total: 3, page: 1, size: 20})
      const active = await f.call('GET', '/monitor/alerts?status=active', {token: trader.token})
      expect(active.body.data.total).toBe(2)
      expect((await f.call('GET', '/monitor/alerts?level=loud', {token: trader.token})).status).toBe(400)
    })
  })

  it('GET /openapi.json (public) lists every path and method of the API', async () => {
    const r = await f.call('GET', '/openapi.json')
    expect(r.status, r.text).toBe(200)
    expect(r.body.openapi).toMatch(/^3\./)
    const paths = r.body.paths as Record<string, Record<string, unknown>>
    const expected: Record<string, string[]> = {
      '/api/v1/health': ['get'],
      '/api/v1/auth/login': ['post'],
      '/api/v1/auth/refresh': ['post'],
      '/api/v1/auth/logout': ['post'],
      '/api/v1/users': ['get', 'post'],
      '/api/v1/users/{user_id}': ['get', 'put', 'delete'],
      '/api/v1/strategies': ['get', 'post'],
      '/api/v1/strategies/{strategy_id}': ['get'],
      '/api/v1/strategies/{strategy_id}/start': ['post'],
      '/api/v1/strategies/{strategy_id}/stop': ['post'],
      '/api/v1/strategies/{strategy_id}/performance': ['get'],
      '/api/v1/orders': ['get', 'post'],
      '/api/v1/orders/{order_id}': ['get', 'put', 'delete'],
      '/api/v1/orders/{order_id}/history': ['get'],
      '/api/v1/monitor/system/status': ['get'],
      '/api/v1/monitor/metrics': ['get'],
      '/api/v1/monitor/alerts': ['get'],
    }
    for (const [path, methods] of Object.entries(expected)) {
      expect(paths, `missing ${path}`).toHaveProperty([path])
      expect(Object.keys(paths[path]!).filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m)).sort(), path).toEqual([...methods].sort())
    }
    expect(r.body.components.securitySchemes.bearer).toMatchObject({type: 'http', scheme: 'bearer'})
    const docs = await fetch(f.api.url.replace('/api/v1', '/docs'), {redirect: 'manual'})
    expect([301, 302, 303, 307, 308]).toContain(docs.status)
  })
})
