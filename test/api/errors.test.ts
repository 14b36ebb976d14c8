import {connect, createServer as createNetServer, type Socket} from 'node:net'
import {describe, expect, it, beforeAll} from 'vitest'
import {buildApiServer} from '../../src/api/server.js'
import {openApiServices, type LoadedConfig} from '../../src/engine/index.js'
import {backendKinds, createBackend, migratedEngine} from '../helpers/backends.js'
import {PASSWORD, STACK_RE, apiConfig, client, expectError, uname, useApi} from './helpers.js'

/**
 * Refusals over real HTTP: unknown ids and routes (404), bad bodies naming their field (400), sizes,
 * depth, syntax and content types (413/400/415), hostile strings (never a 500), path traversal in
 * ids, rate limits (429 with Retry-After), health, and a database that is gone (503). Every answer
 * of every test is checked for stack traces and source paths (helpers.ts, client()).
 */

const order = (over: Record<string, unknown> = {}) => ({symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 10, price: 1, ...over})

describe.each(backendKinds)('API errors (%s)', (kind) => {
  const f = useApi(kind, {'server.body_limit': 4096})
  let admin: {user_id: string; username: string; token: string}
  let trader: {user_id: string; username: string; token: string}

  beforeAll(async () => {
    if (f.error) return
    admin = await f.signedIn('admin')
    trader = await f.signedIn('trader')
  })

  it('404 for unknown ids, with the error envelope', async () => {
    for (const path of ['/orders/ORD99999999', '/orders/ORD99999999/history', '/strategies/STR99999', '/strategies/STR99999/performance', '/users/U99999999']) {
      const r = await f.call('GET', path, {token: admin.token})
      expectError(r, 404, 'notFound')
    }
    expectError(await f.call('DELETE', '/orders/ORD99999999', {token: admin.token}), 404, 'notFound')
    expectError(await f.call('PUT', '/orders/ORD99999999', {token: admin.token, body: {quantity: 5}}), 404, 'notFound')
    expectError(await f.call('POST', '/strategies/STR99999/start', {token: admin.token}), 404, 'notFound')
    expectError(await f.call('DELETE', '/users/U99999999', {token: admin.token}), 404, 'notFound')
  })

  it('404 for unknown routes and methods', async () => {
    expectError(await f.call('GET', '/nothing-here', {token: admin.token}), 404, 'notFound')
    expectError(await f.call('GET', '/nothing-here'), 404, 'notFound')
    expectError(await f.call('PATCH', '/orders', {token: admin.token, body: {}}), 404, 'notFound')
    const outside = await fetch(f.api.url.replace('/api/v1', '/api/v2/orders'))
    expect(outside.status).toBe(404)
    expect(await outside.text()).not.toMatch(STACK_RE)
  })

  it.each([
    ['quantity "abc"', {quantity: 'abc'}, 'quantity'],
    ['quantity negative', {quantity: -5}, 'quantity'],
    ['quantity zero', {quantity: 0}, 'quantity'],
    ['quantity a boolean', {quantity: true}, 'quantity'],
    ['price "cheap"', {price: 'cheap'}, 'price'],
    ['price negative', {price: -1}, 'price'],
    ['side "hold"', {side: 'hold'}, 'side'],
    ['order_type "magic"', {order_type: 'magic'}, 'order_type'],
    ['an unknown field', {colour: 'red'}, 'colour'],
    ['symbol a number', {symbol: 42}, 'symbol'],
  ])('POST /orders with %s → 400 naming the field', async (_what, over, field) => {
    const before = await f.db('orders').count({n: '*'})
    const r = await f.call('POST', '/orders', {token: trader.token, body: order(over)})
    expectError(r, 400, 'invalidInput')
    expect(r.body.error.field, r.text).toBe(field)
    expect(await f.db('orders').count({n: '*'})).toEqual(before)
  })

  it('a missing required field is 400 naming it', async () => {
    const {side: _side, ...rest} = order()
    const r = await f.call('POST', '/orders', {token: trader.token, body: rest})
    expectError(r, 400, 'invalidInput')
    expect(r.body.error.field).toBe('side')
    const login = await f.call('POST', '/auth/login', {body: {username: 'someone'}})
    expectError(login, 400, 'invalidInput')
    expect(login.body.error.field).toBe('password')
  })

  describe('PUT /orders/:id', () => {
    let id = ''
    let before: unknown
    beforeAll(async () => {
      if (f.error) return
      const placed = await f.call('POST', '/orders', {token: trader.token, body: order()})
      expect(placed.status, placed.text).toBe(201)
      id = placed.body.data.order_id
      before = await f.db('orders').where({order_id: id}).first()
    })

    it.each([
      ['quantity "abc"', {quantity: 'abc'}, 'quantity'],
      ['quantity negative', {quantity: -3}, 'quantity'],
      ['an unknown field (status)', {status: 'filled'}, 'status'],
      ['price an object', {price: {}}, 'price'],
    ])('with %s → 400 naming the field, order unchanged', async (_what, body, field) => {
      const r = await f.call('PUT', `/orders/${id}`, {token: trader.token, body})
      expectError(r, 400, 'invalidInput')
      expect(r.body.error.field, r.text).toBe(field)
      expect(await f.db('orders').where({order_id: id}).first()).toEqual(before)
    })

    it('with an empty body → 400, order unchanged', async () => {
      expectError(await f.call('PUT', `/orders/${id}`, {token: trader.token, body: {}}), 400, 'invalidInput')
      expect(await f.db('orders').where({order_id: id}).first()).toEqual(before)
    })
  })

  it('a bad query parameter is 400 naming it', async () => {
    const r = await f.call('GET', '/orders?page=0', {token: trader.token})
    expectError(r, 400, 'invalidInput')
    expect(r.body.error.field).toMatch(/page/)
    const size = await f.call('GET', '/users?size=abc', {token: admin.token})
    expectError(size, 400, 'invalidInput')
    expect(size.body.error.field).toMatch(/size/)
    const date = await f.call('GET', '/strategies/STR1/performance?start_date=yesterday', {token: admin.token})
    expectError(date, 400, 'invalidInput')
    expect(date.body.error.field).toMatch(/start_date/)
  })

  it('a body over server.body_limit is 413', async () => {
    const r = await f.call('POST', '/orders', {token: trader.token, raw: JSON.stringify({...order(), client_order_id: 'x'.repeat(10_000)})})
    expectError(r, 413)
    const login = await f.call('POST', '/auth/login', {raw: JSON.stringify({username: 'a', password: 'p'.repeat(8000)})})
    expectError(login, 413)
  })

  it('JSON nested 100 deep is 400 (objects and arrays)', async () => {
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100)
    expectError(await f.call('POST', '/orders', {token: trader.token, raw: deep}), 400, 'invalidInput')
    const arrays = '['.repeat(100) + ']'.repeat(100)
    expectError(await f.call('POST', '/auth/login', {raw: arrays}), 400, 'invalidInput')
  })

  it.each(['{"symbol": "AAPL",', '{symbol: AAPL}', "{'a': 1}", '{"a":1}}', 'nul'])('malformed JSON %j is 400', async (raw) => {
    const r = await f.call('POST', '/orders', {token: trader.token, raw})
    expectError(r, 400, 'invalidInput')
    expect(r.body.message).toMatch(/JSON/)
  })

  it.each([
    ['text/plain', '/orders', 'symbol=AAPL&side=buy'],
    ['text/plain', '/auth/login', '{"username":"a","password":"b"}'],
    ['application/x-www-form-urlencoded', '/auth/login', 'username=a&password=b'],
    ['application/xml', '/orders', '<order/>'],
  ])('a body sent as %s (to %s) is 415', async (type, path, raw) => {
    const before = await f.db('orders').count({n: '*'})
    const r = await f.call('POST', path, {token: trader.token, raw, headers: {'content-type': type}})
    expectError(r, 415)
    expect(await f.db('orders').count({n: '*'})).toEqual(before)
  })

  it("SQL-like and unicode strings are refused with 4xx or stored literally, never 500", async () => {
    const sql = "'; DROP TABLE users; --"
    const login = await f.call('POST', '/auth/login', {body: {username: sql, password: "' OR '1'='1"}})
    expectError(login, 401, 'unauthorized')
    const create = await f.call('POST', '/users', {token: admin.token, body: {username: sql, password: PASSWORD}})
    expect(create.status, create.text).toBeGreaterThanOrEqual(400)
    expect(create.status).toBeLessThan(500)
    // A name is free text: stored as given.
    const name = "Robert'); DROP TABLE orders;-- 株式会社 🚀"
    const named = await f.call('POST', '/users', {token: admin.token, body: {username: uname('bobby'), password: PASSWORD, name}})
    expect(named.status, named.text).toBe(201)
    expect(named.body.data.name).toBe(name)
    expect((await f.db('users').where({user_id: named.body.data.user_id}).first()).name).toBe(name)
    const search = await f.call('GET', `/users?search=${encodeURIComponent("' OR 1=1 --")}`, {token: admin.token})
    expect(search.status, search.text).toBe(200)
    expect(search.body.data.total).toBe(0)
    for (const symbol of ['株式', "AAPL'--", 'A;DROP']) {
      const r = await f.call('POST', '/orders', {token: trader.token, body: order({symbol})})
      expect(r.status, r.text).toBeLessThan(500)
      if (r.status === 201) expect(r.body.data.symbol).toBe(symbol)
      else expectError(r, r.status)
    }
    const q = await f.call('GET', `/orders?symbol=${encodeURIComponent("x' OR '1'='1")}`, {token: admin.token})
    expect(q.status, q.text).toBeLessThan(500)
    if (q.status === 200) expect(q.body.data.total).toBe(0)
    // The tables are all still there.
    for (const t of ['users', 'orders', 'strategies']) expect(await f.db.schema.hasTable(t)).toBe(true)
  })

  // Hostile or odd values anywhere: a 4xx naming the problem, never a 500.
  it.each([
    ['POST', '/orders', {raw: '{"symbol":"AAPL","side":"buy","order_type":"limit","quantity":1e309,"price":1}'}],
    ['POST', '/orders', {body: order({quantity: '1e400'})}],
    ['POST', '/orders', {body: order({quantity: 1.5e15})}],
    ['POST', '/orders', {body: order({price: 1e-320})}],
    ['POST', '/orders', {body: order({symbol: ''})}],
    ['POST', '/orders', {body: order({symbol: 'AA\u0000PL'})}],
    ['POST', '/orders', {body: order({time_in_force: 'NEVER'})}],
    ['POST', '/orders', {body: order({order_type: 'stop', stop_price: 'x'})}],
    ['POST', '/orders', {body: [order()]}],
    ['POST', '/orders', {raw: '"just a string"'}],
    ['POST', '/orders', {raw: 'null'}],
    ['POST', '/users', {body: {username: uname('u'), password: PASSWORD, email: "a@b.c'--"}}],
    ['POST', '/users', {body: {username: uname('u'), password: PASSWORD, phone: "'; DROP TABLE users"}}],
    ['POST', '/users', {body: {username: uname('u'), password: PASSWORD, permissions: ['root']}}],
    ['POST', '/users', {body: {username: uname('u'), password: 'short'}}],
    ['POST', '/users', {body: {username: 'ab', password: PASSWORD}}],
    ['POST', '/users', {body: {username: uname('u'), password: PASSWORD, role: 'superuser'}}],
    ['POST', '/strategies', {body: {name: uname('s'), type: 'momentum', parameters: {symbols: 'AAPL', threshold: 0.02}}}],
    ['POST', '/strategies', {body: {name: uname('s'), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}, risk_management: {max_drawdown: 'x'}}}],
    ['POST', '/strategies', {body: {name: uname('s'), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}, schedule: {foo: 1}}}],
    ['POST', '/strategies', {body: {name: 'x'.repeat(129), type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}}}],
    ['POST', '/strategies', {body: {name: uname('s'), type: 'momentum', parameters: []}}],
    ['GET', '/orders?since=not-a-date', {}],
    ['GET', '/orders?status=pending,bogus', {}],
    ['GET', '/orders?page=100000000', {}],
    ['GET', '/strategies?status=flying', {}],
    ['GET', '/strategies/STR1/performance?start_date=2024-02-30&end_date=2024-03-01', {}],
    ['GET', '/monitor/metrics?start_time=2024-13-45T99:99:99Z&end_time=2024-01-15T23:59:59Z', {}],
    ['GET', '/monitor/alerts?status=bogus', {}],
  ])('%s %s with a bad value is a 4xx in the envelope, never a 500 (#%#)', async (method, path, o: Record<string, unknown>) => {
    const r = await f.call(method, path, {token: admin.token, ...o})
    expect(r.status, r.text).toBeGreaterThanOrEqual(400)
    expect(r.status, r.text).toBeLessThan(500)
    expect(r.body, r.text).toMatchObject({code: r.status, data: null, error: {kind: expect.any(String)}})
  })

  it('two refreshes racing with the same refresh token: at most one succeeds', async () => {
    const t = await f.login(trader.username)
    const results = await Promise.all([0, 1, 2].map(() => f.call('POST', '/auth/refresh', {token: t.refresh_token})))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).toBeLessThanOrEqual(1)
    for (const r of results) expect([200, 401], r.text).toContain(r.status)
  })

  it.each(['/orders/..%2F..%2Fetc', '/orders/..%2F..%2Fetc%2Fpasswd/history', '/users/1%3BDROP%20TABLE%20users', '/strategies/%2e%2e%2f%2e%2e%2fetc', '/orders/%00', '/orders/ORD1%27%20OR%20%271%27%3D%271'])(
    'path traversal / injection in an id (%s) is 400 or 404 in the envelope, never the file or a 500',
    async (path) => {
      const r = await f.call('GET', path, {token: admin.token})
      expect([400, 404], `${path}: ${r.text}`).toContain(r.status)
      expect(r.body).toMatchObject({code: r.status, data: null, error: {kind: expect.any(String)}})
      expect(r.text).not.toMatch(/root:/)
    },
  )

  it('an unencoded ../ path is normalised by the client and still finds no file', async () => {
    const raw = await fetch(`${f.api.url}/orders/../../../../etc/passwd`, {headers: {authorization: `Bearer ${admin.token}`}})
    expect([400, 401, 404]).toContain(raw.status)
    expect(await raw.text()).not.toMatch(/root:|\n\s+at /)
  })

  it('an id longer than the router allows is refused (4xx) in the error envelope', async () => {
    const r = await f.call('GET', `/orders/${'A'.repeat(300)}`, {token: admin.token})
    expect([400, 404, 414], r.text).toContain(r.status)
    expect(r.body, r.text).toMatchObject({code: r.status, data: null, error: {kind: expect.any(String)}})
  })

  it('health is 200 and public', async () => {
    const r = await f.call('GET', '/health')
    expect(r.status, r.text).toBe(200)
    expect(r.body).toMatchObject({code: 200, data: {status: 'ok', version: 'test'}})
  })
})

describe.each(backendKinds)('API rate limits (%s)', (kind) => {
  // A one-hour window, so the fixed window does not turn during the test.
  const f = useApi(kind, {'server.rate_limit.window_s': 3600, 'server.rate_limit.per_user': 5, 'server.rate_limit.per_address': 40})

  it('a user over per_user gets 429 with Retry-After; another user is not affected', async () => {
    const u = await f.signedIn('trader')
    for (let i = 0; i < 5; i++) expect((await f.call('GET', `/users/${u.user_id}`, {token: u.token})).status).toBe(200)
    const r = await f.call('GET', `/users/${u.user_id}`, {token: u.token})
    expectError(r, 429)
    const retry = Number(r.headers.get('retry-after'))
    expect(Number.isInteger(retry), `Retry-After: ${r.headers.get('retry-after')}`).toBe(true)
    expect(retry).toBeGreaterThanOrEqual(1)
    expect(retry).toBeLessThanOrEqual(3600)
    const other = await f.signedIn('trader')
    expect((await f.call('GET', `/users/${other.user_id}`, {token: other.token})).status).toBe(200)
  })

  it('a client address over per_address gets 429 with Retry-After, even on public routes', async () => {
    let last = await f.call('GET', '/health')
    for (let i = 0; i < 40 && last.status !== 429; i++) last = await f.call('GET', '/health')
    expectError(last, 429)
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expectError(await f.call('POST', '/auth/login', {body: {username: 'x', password: 'y'}}), 429)
  })
})

/** A server of the test's own over its own services (so the test can break them), and an admin signed in. */
async function signedInServer(loaded: LoadedConfig) {
  const services = await openApiServices({loaded})
  const app = await buildApiServer({services, config: loaded.config, version: 'test'})
  await app.listen({host: '127.0.0.1', port: 0})
  const addr = app.server.address()
  const call = client(() => `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/v1`)
  const user = await services.engine.users.create({username: uname('down'), password: PASSWORD, role: 'admin'}, {name: 'test', source: 'cli'})
  const login = await call('POST', '/auth/login', {body: {username: user.username, password: PASSWORD}})
  expect(login.status, login.text).toBe(200)
  expect((await call('GET', '/health')).status).toBe(200)
  return {services, app, call, user, token: login.body.data.access_token as string}
}

describe.each(backendKinds)('API with the database gone (%s)', (kind) => {
  it('a server whose database connection pool was destroyed answers 503 (health, login, authenticated routes), no stack trace', async () => {
    const backend = await createBackend(kind)
    try {
      await (await migratedEngine(backend)).close()
      const {services, app, call, user, token} = await signedInServer(apiConfig(backend))
      try {

        // The database goes away under the running server: its connection pool is destroyed.
        await services.close()

        const health = await call('GET', '/health')
        expect(health.status, health.text).toBe(503)
        expect(health.body).toMatchObject({code: 503})
        const again = await call('POST', '/auth/login', {body: {username: user.username, password: PASSWORD}})
        expectError(again, 503, 'databaseUnavailable')
        const list = await call('GET', '/orders', {token})
        expectError(list, 503, 'databaseUnavailable')
        expect(list.headers.get('retry-after')).toBeTruthy()
      } finally {
        await app.close()
      }
    } finally {
      await backend.cleanup()
    }
  })

  if (kind === 'mariadb')
    it('a server reaching MariaDB through a TCP proxy that goes down answers 503 (health, login, authenticated routes)', async () => {
      const backend = await createBackend(kind)
      const sockets = new Set<Socket>()
      const proxy = createNetServer((inbound) => {
        const outbound = connect(3306, '127.0.0.1')
        for (const s of [inbound, outbound]) {
          sockets.add(s)
          s.on('error', () => {})
          s.on('close', () => sockets.delete(s))
        }
        inbound.pipe(outbound).pipe(inbound)
      })
      try {
        await (await migratedEngine(backend)).close()
        await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
        const proxyPort = (proxy.address() as {port: number}).port
        const url = new URL(backend.env.ORDERMON_DATABASE_URL!)
        url.host = `127.0.0.1:${proxyPort}`
        const {services, app, call, user, token} = await signedInServer(apiConfig(backend, {'database.connect_timeout_ms': 1000, 'database.pool.timeout': 2}, {ORDERMON_DATABASE_URL: url.toString()}))
        try {

          // The database server "goes down": the proxy stops accepting and drops every connection.
          await new Promise<void>((resolve) => {
            proxy.close(() => resolve())
            for (const s of sockets) s.destroy()
          })

          const t0 = Date.now()
          const health = await call('GET', '/health')
          expect(health.status, health.text).toBe(503)
          expectError(await call('POST', '/auth/login', {body: {username: user.username, password: PASSWORD}}), 503, 'databaseUnavailable')
          const list = await call('GET', '/orders', {token})
          expectError(list, 503, 'databaseUnavailable')
          expect(list.headers.get('retry-after')).toBeTruthy()
          expect(Date.now() - t0, 'the 503s came without a long wait').toBeLessThan(20_000)
        } finally {
          await app.close()
          await services.close()
        }
      } finally {
        for (const s of sockets) s.destroy()
        if (proxy.listening) proxy.close()
        await backend.cleanup()
      }
    })
})
