import {SignJWT} from 'jose'
import {describe, expect, it} from 'vitest'
import {serveApi} from '../../src/api/serve.js'
import {backendKinds} from '../helpers/backends.js'
import {sleep} from '../helpers/process.js'
import {JWT_SECRET, PASSWORD, cliActor, client, expectError, uname, useApi} from './helpers.js'

/**
 * Sign-in over real HTTP: tokens and their shape, login_history, refusals that do not tell which
 * usernames exist, lockout after repeated failures, refresh-token rotation with replay detection,
 * logout seen by a second API process on the same database, expired and forged tokens.
 */

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const partsOf = (token: string) => {
  const [h, p, s] = token.split('.')
  return {header: JSON.parse(Buffer.from(h!, 'base64url').toString()), payload: JSON.parse(Buffer.from(p!, 'base64url').toString()), signature: s!}
}

/** Repeats `request` until it is refused (4xx other than 429), up to `limitMs`: the status and how long it took. */
async function refusedWithin(request: () => Promise<{status: number}>, limitMs: number): Promise<{status: number; ms: number}> {
  const t0 = Date.now()
  for (;;) {
    const r = await request()
    if (r.status === 401 || r.status === 403) return {status: r.status, ms: Date.now() - t0}
    if (Date.now() - t0 > limitMs) throw new Error(`still answered ${r.status} after ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe.each(backendKinds)('API sign-in (%s)', (kind) => {
  const f = useApi(kind, {'security.lockout.max_attempts': 3, 'security.lockout.window_minutes': 15})
  const history = (userId: string) => f.db('login_history').where({user_id: userId}).orderBy('id')
  const statusOf = async (userId: string) => (await f.db('users').where({user_id: userId}).first()).status as string

  it('login answers the manual\'s shape: Bearer tokens, expires_in 3600, user_info without any password hash', async () => {
    const u = await f.user('trader', {name: '张三', type: 'professional'})
    const r = await f.call('POST', '/auth/login', {body: {username: u.username, password: PASSWORD}})
    expect(r.status, r.text).toBe(200)
    expect(r.body).toMatchObject({code: 200, message: expect.any(String)})
    const d = r.body.data
    expect(Object.keys(d).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user_info'])
    expect(d.token_type).toBe('Bearer')
    expect(d.expires_in).toBe(3600)
    expect(d.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(d.refresh_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(d.refresh_token).not.toBe(d.access_token)
    const access = partsOf(d.access_token)
    expect(access.header.alg).toBe('HS256')
    expect(access.payload.sub).toBe(u.user_id)
    expect(access.payload.exp - access.payload.iat).toBe(3600)
    expect(d.user_info).toEqual({
      user_id: u.user_id,
      username: u.username,
      name: '张三',
      type: 'professional',
      role: 'trader',
      permissions: ['order_create', 'order_query', 'order_modify', 'order_cancel', 'strategy_create', 'strategy_query', 'strategy_manage', 'monitor_view'],
    })
    expect(r.text).not.toMatch(/password|argon2|\$argon/i)
    // The token works, and the user's last login is set.
    const me = await f.call('GET', `/users/${u.user_id}`, {token: d.access_token})
    expect(me.status, me.text).toBe(200)
    expect(me.body.data.username).toBe(u.username)
    expect(me.body.data.last_login).toEqual(expect.any(String))
    expect(me.text).not.toMatch(/password|argon2/i)
  })

  it('records a login_history row for a success and for a failure (with address, agent, reason)', async () => {
    const u = await f.user('trader')
    await f.login(u.username)
    const bad = await f.call('POST', '/auth/login', {body: {username: u.username, password: 'not-the-password'}, headers: {'user-agent': 'api-test-agent/1.0'}})
    expectError(bad, 401, 'unauthorized')
    const rows = await history(u.user_id)
    expect(rows).toHaveLength(2)
    expect(Boolean(rows[0].success)).toBe(true)
    expect(rows[0].reason).toBeNull()
    expect(Boolean(rows[1].success)).toBe(false)
    expect(rows[1].reason).toBe('wrong password')
    expect(rows[1].device).toBe('api-test-agent/1.0')
    for (const row of rows) expect(String(row.ip)).toMatch(/127\.0\.0\.1|::1/)
    // The same rows through the engine's `user show`.
    const shown = await f.engine.users.show({user_id: u.user_id}, {history: 10})
    expect(shown.login_history.map((l) => l.success).sort()).toEqual([false, true])
  })

  it('a wrong password and an unknown username are both 401 with the same message', async () => {
    const u = await f.user('trader')
    const wrong = await f.call('POST', '/auth/login', {body: {username: u.username, password: 'wrong-password-1'}})
    const unknown = await f.call('POST', '/auth/login', {body: {username: `nobody_${uname('x')}`, password: 'wrong-password-1'}})
    expectError(wrong, 401, 'unauthorized')
    expectError(unknown, 401, 'unauthorized')
    expect(unknown.body.message).toBe(wrong.body.message)
    expect(wrong.body.data).toBeNull()
    expect(wrong.text).not.toMatch(/access_token/)
  })

  it(`locks the account after max_attempts (3) failures within the window; then even the right password is refused`, async () => {
    const u = await f.user('trader')
    const auditBefore = await f.db('audit_log').where({target: u.user_id, action: 'user.status'})
    expect(auditBefore).toHaveLength(0)
    for (let i = 1; i <= 2; i++) expectError(await f.call('POST', '/auth/login', {body: {username: u.username, password: `bad-${i}-password`}}), 401, 'unauthorized')
    expect(await statusOf(u.user_id)).toBe('active')
    const third = await f.call('POST', '/auth/login', {body: {username: u.username, password: 'bad-3-password'}})
    expect([401, 403], third.text).toContain(third.status)
    expect(await statusOf(u.user_id)).toBe('locked')
    const right = await f.call('POST', '/auth/login', {body: {username: u.username, password: PASSWORD}})
    expect([401, 403], right.text).toContain(right.status)
    expect(right.body.data).toBeNull()
    expect(right.text).not.toMatch(/access_token/)
    // The lock is audited and its event says it came from the API.
    const audit = await f.db('audit_log').where({target: u.user_id, action: 'user.status'})
    expect(audit).toHaveLength(1)
    const event = await f.db('events').where({entity_id: u.user_id, type: 'user.status_changed'}).first()
    expect(event).toMatchObject({source: 'api'})
    const rows = await history(u.user_id)
    expect(rows.map((r: any) => Boolean(r.success))).toEqual([false, false, false, false])
  })

  it("a locked user's live token is refused; an admin's unlock (PUT status active) lets them in and starts the count afresh", async () => {
    const admin = await f.signedIn('admin')
    const u = await f.user('trader')
    const live = await f.login(u.username)
    for (let i = 1; i <= 3; i++) await f.call('POST', '/auth/login', {body: {username: u.username, password: `bad-${i}-password`}})
    expect(await statusOf(u.user_id)).toBe('locked')
    const refused = await f.call('GET', `/users/${u.user_id}`, {token: live.access_token})
    expect([401, 403], refused.text).toContain(refused.status)
    const unlock = await f.call('PUT', `/users/${u.user_id}`, {token: admin.token, body: {status: 'active'}})
    expect(unlock.status, unlock.text).toBe(200)
    expect(unlock.body.data.status).toBe('active')
    // One more typo after the unlock does not lock the account again.
    expectError(await f.call('POST', '/auth/login', {body: {username: u.username, password: 'typo-password'}}), 401, 'unauthorized')
    expect(await statusOf(u.user_id)).toBe('active')
    expect((await f.login(u.username)).user_info.user_id).toBe(u.user_id)
  })

  it('counts only failures within the window and since the last success', async () => {
    const u = await f.user('trader')
    // Two failures 20 minutes ago (outside the 15-minute window) do not count.
    const old = new Date(Date.now() - 20 * 60_000)
    // As the store writes it (Dialect.toDb): 'YYYY-MM-DD HH:MM:SS.mmm' UTC text on SQLite, a DATETIME on MariaDB.
    const at = kind === 'sqlite' ? old.toISOString().replace('T', ' ').replace('Z', '') : old
    await f.db('login_history').insert([1, 2].map(() => ({user_id: u.user_id, at, ip: '10.0.0.1', device: 'old', success: false, reason: 'wrong password'})))
    expectError(await f.call('POST', '/auth/login', {body: {username: u.username, password: 'bad-password-1'}}), 401)
    expectError(await f.call('POST', '/auth/login', {body: {username: u.username, password: 'bad-password-2'}}), 401)
    expect(await statusOf(u.user_id)).toBe('active')
    // A success starts the count afresh.
    await f.login(u.username)
    expectError(await f.call('POST', '/auth/login', {body: {username: u.username, password: 'bad-password-3'}}), 401)
    expectError(await f.call('POST', '/auth/login', {body: {username: u.username, password: 'bad-password-4'}}), 401)
    expect(await statusOf(u.user_id)).toBe('active')
    await f.login(u.username)
  })

  it('refuses a suspended user (right password), and a signed-in user once suspended', async () => {
    const s = await f.user('trader', {status: 'suspended'})
    const r = await f.call('POST', '/auth/login', {body: {username: s.username, password: PASSWORD}})
    expect([401, 403], r.text).toContain(r.status)
    expect(r.body).toMatchObject({code: r.status, data: null})
    const rows = await history(s.user_id)
    expect(rows).toHaveLength(1)
    expect(Boolean(rows[0].success)).toBe(false)

    const u = await f.signedIn('trader')
    expect((await f.call('GET', `/users/${u.user_id}`, {token: u.token})).status).toBe(200)
    // Suspended from elsewhere (the CLI's service): refused once this server's view of the sign-in
    // is older than security.session_cache_ms (1 s), never later.
    await f.engine.users.setStatus({user_id: u.user_id}, 'suspended', cliActor, 'test')
    const {status, ms} = await refusedWithin(() => f.call('GET', `/users/${u.user_id}`, {token: u.token}), 3000)
    expect([401, 403]).toContain(status)
    expect(ms).toBeLessThan(f.loaded.config.security.session_cache_ms + 700)

    // Suspended through this API server: its next request is refused at once.
    const v = await f.signedIn('trader')
    const admin = await f.signedIn('admin')
    expect((await f.call('GET', `/users/${v.user_id}`, {token: v.token})).status).toBe(200)
    expect((await f.call('PUT', `/users/${v.user_id}`, {token: admin.token, body: {status: 'suspended'}})).status).toBe(200)
    expect([401, 403]).toContain((await f.call('GET', `/users/${v.user_id}`, {token: v.token})).status)
  })

  it('refresh also takes {"refresh_token"} in a JSON body; an access token there is refused', async () => {
    const u = await f.user('trader')
    const first = await f.login(u.username)
    const r = await f.call('POST', '/auth/refresh', {body: {refresh_token: first.refresh_token}})
    expect(r.status, r.text).toBe(200)
    expect(r.body.data.refresh_token).not.toBe(first.refresh_token)
    expectError(await f.call('POST', '/auth/refresh', {body: {refresh_token: r.body.data.access_token}}), 401, 'unauthorized')
    expectError(await f.call('POST', '/auth/refresh', {body: {refresh_token: 42}}), 400, 'invalidInput')
    expectError(await f.call('POST', '/auth/refresh', {body: {refresh: first.refresh_token}}), 400, 'invalidInput')
  })

  it('refresh (Bearer refresh token) gives new tokens; the old refresh token replayed is refused and ends the sign-in', async () => {
    const u = await f.user('trader')
    const first = await f.login(u.username)
    const r = await f.call('POST', '/auth/refresh', {token: first.refresh_token})
    expect(r.status, r.text).toBe(200)
    const next = r.body.data
    expect(next).toMatchObject({token_type: 'Bearer', expires_in: 3600, user_info: {user_id: u.user_id}})
    expect(next.access_token).not.toBe(first.access_token)
    expect(next.refresh_token).not.toBe(first.refresh_token)
    expect((await f.call('GET', `/users/${u.user_id}`, {token: next.access_token})).status).toBe(200)

    // An access token is not a refresh token.
    expectError(await f.call('POST', '/auth/refresh', {token: next.access_token}), 401, 'unauthorized')
    expectError(await f.call('POST', '/auth/refresh'), 401, 'unauthorized')

    const replay = await f.call('POST', '/auth/refresh', {token: first.refresh_token})
    expectError(replay, 401, 'unauthorized')
    // The whole sign-in ended: the rotated tokens are refused too.
    expectError(await f.call('POST', '/auth/refresh', {token: next.refresh_token}), 401)
    expectError(await f.call('GET', `/users/${u.user_id}`, {token: next.access_token}), 401)
    const session = await f.db('api_sessions').where({user_id: u.user_id}).first()
    expect(session.revoked_at).not.toBeNull()
    expect(session.revoked_reason).toBe('refresh token reused')
  })

  it('an API server without an engine prunes expired sign-ins itself (on a login), and keeps live ones', async () => {
    const u = await f.user('trader')
    const t = await f.login(u.username)
    const old = new Date(Date.now() - 3_600_000)
    const stamp = f.loaded.config.database.client === 'mysql' ? old : old.toISOString().replace('T', ' ').replace('Z', '')
    await f.db('api_sessions').insert({session_id: `expired-${u.user_id}`, user_id: u.user_id, refresh_jti: 'x', expires_at: stamp})
    // A fresh server (its first login prunes); the fixture's own has pruned within the minute already.
    const fresh = await serveApi({loaded: f.loaded, version: 'test'})
    try {
      const r = await client(() => fresh.url)('POST', '/auth/login', {body: {username: u.username, password: PASSWORD}})
      expect(r.status, r.text).toBe(200)
    } finally {
      await fresh.close()
    }
    expect(await f.db('api_sessions').where({session_id: `expired-${u.user_id}`}).first()).toBeUndefined()
    expect((await f.call('GET', `/users/${u.user_id}`, {token: t.access_token})).status).toBe(200)
  })

  it('logout refuses the access token afterwards, also on a second API server over the same database', async () => {
    const second = await serveApi({loaded: f.loaded, version: 'test'})
    try {
      const call2 = client(() => second.url)
      const u = await f.user('trader')
      const t = await f.login(u.username)
      expect((await call2('GET', `/users/${u.user_id}`, {token: t.access_token})).status).toBe(200)
      const out = await f.call('POST', '/auth/logout', {token: t.access_token})
      expect(out.status, out.text).toBe(200)
      expect(out.body).toMatchObject({code: 200, data: null})
      // Refused at once by the server that logged it out; by the other once its view of the sign-in
      // is older than security.session_cache_ms.
      expectError(await f.call('GET', `/users/${u.user_id}`, {token: t.access_token}), 401, 'unauthorized')
      const {ms} = await refusedWithin(() => call2('GET', `/users/${u.user_id}`, {token: t.access_token}), 3000)
      expect(ms).toBeLessThan(f.loaded.config.security.session_cache_ms + 700)
      expectError(await call2('GET', `/users/${u.user_id}`, {token: t.access_token}), 401, 'unauthorized')
      expectError(await call2('POST', '/auth/refresh', {token: t.refresh_token}), 401, 'unauthorized')
      expectError(await f.call('POST', '/auth/logout', {token: t.access_token}), 401)
      const session = await f.db('api_sessions').where({user_id: u.user_id}).first()
      expect(session.revoked_reason).toBe('logged out')
      // Another sign-in of the same user is unaffected by the logout.
      const again = await f.login(u.username)
      expect((await call2('GET', `/users/${u.user_id}`, {token: again.access_token})).status).toBe(200)
    } finally {
      await second.close()
    }
  })

  it('refuses missing, malformed, tampered, alg-none and wrongly signed tokens with 401', async () => {
    const victim = await f.user('admin')
    const u = await f.user('trader')
    const t = await f.login(u.username)
    const path = `/users/${u.user_id}`
    expectError(await f.call('GET', path), 401, 'unauthorized')
    expectError(await f.call('GET', path, {headers: {authorization: `Basic ${Buffer.from(`${u.username}:${PASSWORD}`).toString('base64')}`}}), 401)
    expectError(await f.call('GET', path, {token: 'not-a-jwt'}), 401, 'unauthorized')
    expectError(await f.call('GET', path, {headers: {authorization: t.access_token}}), 401)

    const {header, payload, signature} = partsOf(t.access_token)
    // Payload changed to another (admin) user, signature kept.
    const tampered = `${b64(header)}.${b64({...payload, sub: victim.user_id})}.${signature}`
    expectError(await f.call('GET', `/users`, {token: tampered}), 401, 'unauthorized')
    // alg none, no signature.
    const none = `${b64({alg: 'none', typ: 'JWT'})}.${b64(payload)}.`
    expectError(await f.call('GET', path, {token: none}), 401, 'unauthorized')
    expectError(await f.call('GET', path, {token: none.slice(0, -1)}), 401)
    // Signed with another secret.
    const forged = await new SignJWT({...payload}).setProtectedHeader({alg: 'HS256', typ: 'JWT'}).sign(new TextEncoder().encode('another-secret-another-secret-another-secret'))
    expectError(await f.call('GET', path, {token: forged}), 401, 'unauthorized')
    // A refresh token is no access token.
    expectError(await f.call('GET', path, {token: t.refresh_token}), 401, 'unauthorized')
    // A correctly signed token for a session that does not exist.
    const ghost = await new SignJWT({...payload, sid: '00000000-0000-4000-8000-000000000000'}).setProtectedHeader({alg: 'HS256', typ: 'JWT'}).sign(new TextEncoder().encode(JWT_SECRET))
    expectError(await f.call('GET', path, {token: ghost}), 401, 'unauthorized')
    // The genuine one still works.
    expect((await f.call('GET', path, {token: t.access_token})).status).toBe(200)
  })

  it('refuses an expired access token (signed with the server secret, exp in the past) with 401', async () => {
    const u = await f.user('trader')
    const t = await f.login(u.username)
    const {payload} = partsOf(t.access_token)
    const now = Math.floor(Date.now() / 1000)
    const expired = await new SignJWT({...payload, iat: now - 120, exp: now - 60}).setProtectedHeader({alg: 'HS256', typ: 'JWT'}).sign(new TextEncoder().encode(JWT_SECRET))
    const r = await f.call('GET', `/users/${u.user_id}`, {token: expired})
    expectError(r, 401, 'unauthorized')
    expect(r.body.message).toMatch(/expired/i)
  })
})

describe.each(backendKinds)('API sign-in with a 1-second access token (%s)', (kind) => {
  // security.access_token_ttl_s is at least 60 in the configuration schema; the loaded value is set
  // to 1 here so a token expires within the test.
  const f = useApi(kind, {}, {tweak: (loaded) => (loaded.config.security.access_token_ttl_s = 1)})

  it('expires_in says 1 and the access token is refused (401, expired) once it is older; refresh still works', async () => {
    const u = await f.user('trader')
    const t = await f.login(u.username)
    expect(t.expires_in).toBe(1)
    await sleep(2200)
    const r = await f.call('GET', `/users/${u.user_id}`, {token: t.access_token})
    expectError(r, 401, 'unauthorized')
    expect(r.body.message).toMatch(/expired/i)
    const refreshed = await f.call('POST', '/auth/refresh', {token: t.refresh_token})
    expect(refreshed.status, refreshed.text).toBe(200)
    expect((await f.call('GET', `/users/${u.user_id}`, {token: refreshed.body.data.access_token})).status).toBe(200)
  })
})
