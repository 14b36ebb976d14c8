import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {openEngine} from '../../src/engine/index.js'
import {backendKinds, createBackend, migratedEngine, type TestBackend} from '../helpers/backends.js'
import {runCli, spawnCli, type CliProcess} from '../helpers/cli.js'
import {oneErrorLine} from '../helpers/e2e.js'
import {engineProcesses, fastEngineEnv} from '../helpers/engine-process.js'
import {stopPid, until} from '../helpers/process.js'
import {JWT_SECRET, PASSWORD, cliActor, client, expectError, freePort, uname} from './helpers.js'

/**
 * The API as the built CLI serves it (`npm run build` first): `ordermon api serve` as a process
 * (URL on stderr, /health, a sign-in, SIGTERM → exit 0), its refusal without a signing secret, and
 * `ordermon start` with SERVER_ENABLED=true serving the API beside the engine, end to end: a
 * strategy created and started over HTTP trades in the engine, and its order is cancelled over HTTP.
 * Every process is stopped by its pid in afterAll whatever happened.
 */

/** A trader made through the engine's user service (a real argon2id hash); their username. */
async function createTrader(backend: TestBackend, label: string): Promise<string> {
  const engine = await openEngine({loaded: backend.loaded})
  try {
    return (await engine.users.create({username: uname(label), password: PASSWORD, role: 'trader'}, cliActor)).username
  } finally {
    await engine.close()
  }
}

const URL_RE = /REST API on (https?:\/\/127\.0\.0\.1:(\d+)\/api\/v1)/

describe.each(backendKinds)('ordermon api serve (%s)', (kind) => {
  let backend: TestBackend
  let env: Record<string, string>
  let username = ''
  let setupError: unknown
  const started: CliProcess[] = []

  beforeAll(async () => {
    try {
      backend = await createBackend(kind)
      await (await migratedEngine(backend)).close()
      env = {...backend.env, JWT_SECRET_KEY: JWT_SECRET}
      username = await createTrader(backend, 'serve')
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })
  afterAll(async () => {
    await Promise.all(started.map((p) => stopPid(p.pid)))
    await backend?.cleanup()
  })

  /** Starts `api serve` with `args`, reads its URL from stderr, checks /health and a sign-in, then SIGTERM → exit 0. */
  async function serveAndStop(args: string[], o: {port?: number; env?: Record<string, string>} = {}) {
    const expectPort = o.port
    const proc = spawnCli(['api', 'serve', ...args], {env: {...env, ...o.env}, cwd: backend.dir})
    started.push(proc)
    const line = await proc.waitStderr(URL_RE, 20_000)
    const [, url, port] = URL_RE.exec(line)!
    expect(Number(port)).toBeGreaterThan(0)
    if (expectPort !== undefined) expect(Number(port)).toBe(expectPort)
    const call = client(() => url!)
    const health = await call('GET', '/health')
    expect(health.status, health.text).toBe(200)
    expect(health.body).toMatchObject({code: 200, data: {status: 'ok'}})
    const login = await call('POST', '/auth/login', {body: {username, password: PASSWORD}})
    expect(login.status, login.text).toBe(200)
    expect(login.body.data.user_info.username).toBe(username)
    expect((await call('GET', '/orders', {token: login.body.data.access_token})).status).toBe(200)
    expectError(await call('GET', '/orders'), 401)
    const exit = await proc.stop('SIGTERM', 15_000)
    expect(exit, proc.output()).toEqual({code: 0, signal: null})
    expect(proc.stderr()).toMatch(/API stopped/)
    expect(proc.stderr()).not.toMatch(/\n\s+at /)
    // The port is free again.
    await expect(fetch(`${url}/health`)).rejects.toThrow()
  }

  it('--port 0 (one process, server.workers=1) picks a free port and prints the real URL on stderr; /health and a sign-in work; SIGTERM exits 0', async () => {
    await serveAndStop(['--port', '0'], {env: {ORDERMON__SERVER__WORKERS: '1'}})
  })

  it('--port 0 with the default server.workers prints the real URL; /health and a sign-in work; SIGTERM exits 0', async () => {
    await serveAndStop(['--port', '0'])
  })

  it('--port N listens on N (URL on stderr); /health and a sign-in work; SIGTERM exits 0', async () => {
    const port = await freePort()
    await serveAndStop(['--port', String(port)], {port, env: {ORDERMON__SERVER__WORKERS: '1'}})
  })

  it('without JWT_SECRET_KEY it exits non-zero with one clear error line', async () => {
    const r = await runCli(['api', 'serve', '--port', String(await freePort())], {env: backend.env, cwd: backend.dir, timeoutMs: 20_000})
    expect(r.code, r.stderr).not.toBe(0)
    expect(oneErrorLine(r)).toMatch(/jwt_secret|JWT_SECRET_KEY/)
    expect(r.stdout).toBe('')
  })

  it('with a JWT_SECRET_KEY shorter than 32 characters it exits non-zero with one clear error line', async () => {
    const r = await runCli(['api', 'serve', '--port', String(await freePort())], {env: {...backend.env, JWT_SECRET_KEY: 'short-secret'}, cwd: backend.dir, timeoutMs: 20_000})
    expect(r.code, r.stderr).not.toBe(0)
    expect(oneErrorLine(r)).toMatch(/too short|32/)
  })

  it.each([
    ['one process (server.workers=1)', {ORDERMON__SERVER__WORKERS: '1'}],
    ['the default server.workers', {}],
  ])('a port already in use is refused with one error line, %s', async (_what, extra: Record<string, string>) => {
    const port = await freePort()
    const first = spawnCli(['api', 'serve', '--port', String(port)], {env: {...env, ORDERMON__SERVER__WORKERS: '1'}, cwd: backend.dir})
    started.push(first)
    await first.waitStderr(URL_RE, 20_000)
    const r = await runCli(['api', 'serve', '--port', String(port)], {env: {...env, ...extra}, cwd: backend.dir, timeoutMs: 30_000})
    expect(r.code).not.toBe(0)
    expect(oneErrorLine(r)).toMatch(/already in use/)
    expect((await first.stop('SIGTERM')).code).toBe(0)
  })
})

describe.each(backendKinds)('ordermon start with SERVER_ENABLED=true (%s)', (kind) => {
  let backend: TestBackend
  let env: Record<string, string>
  let port = 0
  let username = ''
  let setupError: unknown
  const engines = engineProcesses(() => ({cwd: backend.dir, env}))

  beforeAll(async () => {
    try {
      backend = await createBackend(kind)
      await (await migratedEngine(backend)).close()
      port = await freePort()
      env = {
        ...backend.env,
        ...fastEngineEnv,
        JWT_SECRET_KEY: JWT_SECRET,
        SERVER_ENABLED: 'true',
        // A known port: with --quiet the engine does not print the API's URL.
        ORDERMON__SERVER__PORT: String(port),
        // Orders stay open: the external venue never fills, so the test can cancel one.
        ORDERMON__ENGINE__VENUE: 'external',
      }
      username = await createTrader(backend, 'e2e')
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })
  afterAll(async () => {
    await engines.stopAll()
    await backend?.cleanup()
  })

  it('serves the API beside the engine: login → create and start a momentum strategy → the engine places an order → DELETE cancels it → history shows cancelled; SIGTERM exits 0', async () => {
    const engine = await engines.start({args: ['start', '--quiet']})
    const call = client(() => `http://127.0.0.1:${port}/api/v1`)
    await until('the API beside the engine to answer /health', async () => (await call('GET', '/health').catch(() => undefined))?.status === 200, 20_000)
    expect(engine.hasExited()).toBe(false)

    const login = await call('POST', '/auth/login', {body: {username, password: PASSWORD}})
    expect(login.status, login.text).toBe(200)
    const token = login.body.data.access_token
    const me = login.body.data.user_info.user_id

    const created = await call('POST', '/strategies', {token, body: {name: uname('动量'), type: 'momentum', parameters: {symbols: ['AAPL', 'MSFT'], threshold: 0.0005, lookback_period: 2, order_quantity: 10}}})
    expect(created.status, created.text).toBe(201)
    const sid = created.body.data.strategy_id
    const start = await call('POST', `/strategies/${sid}/start`, {token})
    expect(start.status, start.text).toBe(200)
    expect(start.body.data.strategy.status).toBe('running')

    // The engine picks the started strategy up and trades; its orders are listed by strategy.
    const open = await until(
      `an order of ${sid} placed by the engine`,
      async () => {
        const r = await call('GET', `/orders?strategy_id=${sid}&status=pending`, {token})
        expect(r.status, r.text).toBe(200)
        return r.body.data.orders[0] as {order_id: string; user_id: string; strategy_id: string; status: string} | undefined
      },
      40_000,
      250,
    )
    expect(open).toMatchObject({user_id: me, strategy_id: sid, status: 'pending'})
    const placedBy = await call('GET', `/orders/${open.order_id}/history`, {token})
    expect(placedBy.body.data.history[0]).toMatchObject({to_status: 'pending', source: 'engine'})

    const cancel = await call('DELETE', `/orders/${open.order_id}`, {token})
    expect(cancel.status, cancel.text).toBe(200)
    expect(cancel.body.data).toMatchObject({order_id: open.order_id, status: 'cancelled'})
    const h = await call('GET', `/orders/${open.order_id}/history`, {token})
    expect(h.status, h.text).toBe(200)
    expect(h.body.data.history.at(-1)).toMatchObject({from_status: 'pending', to_status: 'cancelled', source: 'api'})
    const after = await call('GET', `/orders/${open.order_id}`, {token})
    expect(after.body.data.order.status).toBe('cancelled')

    // The engine stays up; SIGTERM closes the API first and exits 0.
    const stop = await call('POST', `/strategies/${sid}/stop`, {token})
    expect(stop.status, stop.text).toBe(200)
    expect(engine.hasExited()).toBe(false)
    const exit = await engine.sigterm()
    expect(exit, engine.output()).toEqual({code: 0, signal: null})
    await expect(fetch(`http://127.0.0.1:${port}/api/v1/health`)).rejects.toThrow()
  })

  it('without --quiet and with server.port 0 it prints the API URL on stderr, and the API answers there', async () => {
    const engine = engines.spawn({env: {...env, ORDERMON__SERVER__PORT: '0'}, args: ['start']})
    const line = await engine.waitStderr(URL_RE, 30_000)
    const url = URL_RE.exec(line)![1]!
    const health = await client(() => url)('GET', '/health')
    expect(health.status, health.text).toBe(200)
    const exit = await engine.sigterm()
    expect(exit, engine.output()).toEqual({code: 0, signal: null})
  })

  it('refuses to start without JWT_SECRET_KEY when SERVER_ENABLED=true (one error line, no engine)', async () => {
    const {JWT_SECRET_KEY: _s, ...noSecret} = env
    const r = await runCli(['start', '--quiet'], {env: noSecret, cwd: backend.dir, timeoutMs: 20_000})
    expect(r.code).not.toBe(0)
    expect(oneErrorLine(r)).toMatch(/jwt_secret|JWT_SECRET_KEY/)
  })
})
