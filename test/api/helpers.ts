import {createServer} from 'node:net'
import type {Knex} from 'knex'
import {afterAll, beforeAll, beforeEach, expect} from 'vitest'
import {serveApi, type RunningApi} from '../../src/api/serve.js'
import {loadConfig, openEngine, type Engine, type LoadedConfig} from '../../src/engine/index.js'
import type {Actor} from '../../src/engine/domain/context.js'
import {createBackend, migratedEngine, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {openDb, rand} from '../helpers/e2e.js'

/**
 * Helpers of the REST API suites: a throwaway backend with a real API server listening on a free
 * port (serveApi, the code path of `ordermon api serve`), an engine on the same database for
 * setting up users, a knex of the test's own for reading rows, and fetch wrappers.
 */

export const JWT_SECRET = 'api-test-secret-0123456789-abcdefghijklmnop'
export const PASSWORD = 'Passw0rd-123'
export const cliActor: Actor = {name: 'api-test', source: 'cli'}

/** loadConfig on a backend with JWT_SECRET_KEY set and `overrides` (config paths) on top. */
export function apiConfig(backend: TestBackend, overrides: Record<string, unknown> = {}, env: Record<string, string> = {}): LoadedConfig {
  // server.port 0: any free port (serveApi reports the one it got).
  return loadConfig({cwd: backend.dir, env: {...backend.env, JWT_SECRET_KEY: JWT_SECRET, ...env}, overrides: {'server.port': 0, ...overrides}})
}

/** A free TCP port on 127.0.0.1 (for processes that cannot be given port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

export interface Reply<T = any> {
  status: number
  headers: Headers
  text: string
  /** The parsed body, or undefined when it is not JSON. */
  body: T
}

/** A stack trace or a source path in a response body: never allowed. */
export const STACK_RE = /\bat [^\s]+ \(|\bat (?:file:\/\/)?\/[^\s]+:\d+|\/work\/|node_modules|\.ts:\d+|\.js:\d+/

export interface CallOptions {
  token?: string
  body?: unknown
  /** A raw body string (sent as is, with content-type application/json unless headers say otherwise). */
  raw?: string
  headers?: Record<string, string>
}

/** fetch against `base` (`http://127.0.0.1:PORT/api/v1`); every answer is checked for stack traces. */
export function client(base: () => string) {
  return async function call<T = any>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = {...(o.headers ?? {})}
    if (o.token) headers.authorization = `Bearer ${o.token}`
    let body: string | undefined
    if (o.raw !== undefined) body = o.raw
    else if (o.body !== undefined) body = JSON.stringify(o.body)
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
    const r = await fetch(base() + path, {method, headers, body})
    const text = await r.text()
    let parsed: any
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    expect(text, `${method} ${path}: a stack trace or source path in the response`).not.toMatch(STACK_RE)
    return {status: r.status, headers: r.headers, text, body: parsed}
  }
}
export type Call = ReturnType<typeof client>

/** The error envelope of a refusal: status, code repeated, data null, error.kind. */
export function expectError(r: Reply, status: number, kind?: string): void {
  expect(r.status, r.text).toBe(status)
  expect(r.body, r.text).toMatchObject({code: status, data: null})
  expect(typeof r.body.message).toBe('string')
  expect(r.body.message.length).toBeGreaterThan(0)
  expect(typeof r.body.error?.kind).toBe('string')
  if (kind) expect(r.body.error.kind, r.text).toBe(kind)
}

export interface ApiFixture {
  backend: TestBackend
  loaded: LoadedConfig
  api: RunningApi
  /** The engine's services on the same database (setting up users, strategies, orders). */
  engine: Engine
  /** A knex of the test's own on the database. */
  db: Knex
  call: Call
  /** A user made through the engine; password PASSWORD. */
  user(role: 'admin' | 'trader' | 'analyst' | 'guest', extra?: Record<string, unknown>): Promise<{user_id: string; username: string}>
  /** POST auth/login; asserts 200 and returns data. */
  login(username: string, password?: string): Promise<{access_token: string; refresh_token: string; user_info: any; expires_in: number; token_type: string}>
  /** A new user of `role`, signed in: its id, name and access token. */
  signedIn(role: 'admin' | 'trader' | 'analyst' | 'guest', extra?: Record<string, unknown>): Promise<{user_id: string; username: string; token: string}>
  error?: unknown
}

let seq = 0
export const uname = (label: string) => `${label}_${++seq}_${rand()}`

/**
 * One backend and one API server for the enclosing describe (beforeAll/afterAll); `overrides` are
 * config paths (security.lockout.max_attempts ...). A setup failure fails every test with its cause.
 */
export function useApi(kind: BackendKind, overrides: Record<string, unknown> = {}, options: {env?: Record<string, string>; tweak?: (loaded: LoadedConfig, backend: TestBackend) => void} = {}): ApiFixture {
  const f = {} as ApiFixture
  f.call = client(() => f.api.url)
  f.user = async (role, extra = {}) => {
    const u = await f.engine.users.create({username: uname(role), password: PASSWORD, role, ...extra} as never, cliActor)
    return {user_id: u.user_id, username: u.username}
  }
  f.login = async (username, password = PASSWORD) => {
    const r = await f.call('POST', '/auth/login', {body: {username, password}})
    expect(r.status, r.text).toBe(200)
    return r.body.data
  }
  f.signedIn = async (role, extra) => {
    const u = await f.user(role, extra)
    const t = await f.login(u.username)
    return {...u, token: t.access_token}
  }
  beforeAll(async () => {
    try {
      f.backend = await createBackend(kind)
      const h = await migratedEngine(f.backend)
      await h.close()
      f.loaded = apiConfig(f.backend, overrides, options.env)
      options.tweak?.(f.loaded, f.backend)
      f.api = await serveApi({loaded: f.loaded, version: 'test'})
      f.engine = await openEngine({loaded: f.loaded})
      f.db = openDb(f.backend)
    } catch (error) {
      f.error = error
    }
  })
  beforeEach(() => {
    if (f.error) throw f.error
  })
  afterAll(async () => {
    await f.api?.close()
    await f.engine?.close()
    await f.db?.destroy()
    await f.backend?.cleanup()
  })
  return f
}

/** A JSON column as stored (a string on SQLite). */
export const parseJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)
