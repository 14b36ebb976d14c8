import {randomUUID} from 'node:crypto'
import type {OrdermonConfig} from '../../config/index.js'
import {forbidden, invalidInput, unauthorized} from '../../errors.js'
import type {Store, User} from '../../store/index.js'
import {hashPassword, verifyPassword} from '../users/password.js'
import type {UserService} from '../users/service.js'
import {principalOf, type Principal} from './access.js'
import {TokenSigner} from './tokens.js'

/**
 * Signing in to the API, and checking a token on every request. A sign-in is a row of api_sessions;
 * both of its tokens name it, so logging out, a suspended or locked account, or a replayed refresh
 * token end it for every API process on the database at once. Failed attempts are counted from
 * login_history: `security.lockout.max_attempts` within `window_minutes` lock the account (status
 * locked, with audit and event), and an admin clears it with `ordermon user status --status active`.
 */

export interface ClientInfo {
  ip: string | null
  agent: string | null
}

export interface SignedIn {
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  expires_in: number
  user_info: {user_id: string; username: string; name: string | null; type: User['type']; role: User['role']; permissions: string[]}
}

export const MIN_SECRET_LENGTH = 32

/** Refuses to serve the API without a usable signing secret. */
export function requireJwtSecret(config: OrdermonConfig): string {
  const secret = config.security.jwt_secret
  if (!secret) throw invalidInput('security.jwt_secret is not set: the API cannot sign tokens without it.', 'Set JWT_SECRET_KEY in the environment or .env, or jwt_secret in config/security.yaml (32+ random characters).')
  if (secret.length < MIN_SECRET_LENGTH) throw invalidInput(`security.jwt_secret is too short (${secret.length} characters; at least ${MIN_SECRET_LENGTH}).`, 'Use a long random string, e.g. `openssl rand -base64 48`.')
  return secret
}

const WRONG_PASSWORD = 'wrong password'

const clip = (v: string | null, n: number) => (v === null ? null : v.slice(0, n))

type Session = NonNullable<Awaited<ReturnType<Store['sessions']['withUser']>>>

/** Sign-ins remembered at most (each a session row with its user). */
const SESSIONS_MAX = 10_000
/** An API served without an engine prunes expired sign-ins itself, at most this often (on a login). */
const PRUNE_EVERY_MS = 60_000
const PRUNE_BATCH = 500

export class AuthService {
  private readonly signer: TokenSigner
  private dummyHash?: Promise<string>
  private prunedAt = 0
  // The session row (and its user) as last read, for security.session_cache_ms: it was one query on
  // every request, half of the database round trips of a page of orders.
  private readonly sessions = new Map<string, {session: Session; at: number}>()

  constructor(private readonly deps: {store: Store; config: OrdermonConfig; users: UserService}) {
    this.signer = new TokenSigner(requireJwtSecret(deps.config))
  }

  private get security() {
    return this.deps.config.security
  }

  async login(username: unknown, password: unknown, client: ClientInfo): Promise<SignedIn> {
    if (typeof username !== 'string' || username.trim() === '') throw invalidInput('username is required.', undefined, {field: 'username'})
    if (typeof password !== 'string' || password === '') throw invalidInput('password is required.', undefined, {field: 'password'})
    const {store} = this.deps
    const user = username.length <= 64 ? await store.users.findByUsername(username.trim().toLowerCase()) : undefined
    const meta = {ip: clip(client.ip, 64), device: clip(client.agent, 255)}
    if (!user) {
      // Same work as a real check, so response times do not tell which usernames exist.
      this.dummyHash ??= hashPassword(randomUUID())
      await verifyPassword(await this.dummyHash, password)
      throw unauthorized('Wrong username or password.')
    }
    if (user.status !== 'active') {
      await store.users.recordLogin(user.user_id, {...meta, success: false, reason: `account ${user.status}`})
      throw forbidden(`The account is ${user.status}.`, user.status === 'locked' ? 'An administrator can unlock it (`ordermon user status --status active`).' : undefined)
    }
    const hash = await store.users.passwordHash(user.user_id)
    if (!hash || !(await verifyPassword(hash, password))) {
      await store.users.recordLogin(user.user_id, {...meta, success: false, reason: WRONG_PASSWORD})
      const {max_attempts, window_minutes} = this.security.lockout
      // Counted from the later of the window's start and the account's last change, so an admin's
      // unlock (or a successful sign-in) starts the count afresh; refusals of a locked account
      // are recorded but not counted.
      const since = Math.max(Date.now() - window_minutes * 60_000, Date.parse(user.updated_at) || 0)
      const failures = await store.users.recentFailures(user.user_id, new Date(since), WRONG_PASSWORD)
      if (failures >= max_attempts) {
        await this.deps.users.setStatus({user_id: user.user_id}, 'locked', {name: 'ordermon-api', source: 'api'}, `${failures} failed sign-ins within ${window_minutes} minutes`)
        this.forgetUser(user.user_id)
        throw forbidden(`Too many failed sign-ins: the account is now locked.`, 'An administrator can unlock it (`ordermon user status --status active`).')
      }
      throw unauthorized('Wrong username or password.')
    }
    await store.users.recordLogin(user.user_id, {...meta, success: true, reason: null})
    // Housekeeping prunes expired sign-ins in the engine; `api serve` alone must not let them pile up.
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = Date.now()
      await store.sessions.pruneExpired(new Date(), PRUNE_BATCH)
    }
    const sid = randomUUID()
    const refresh = await this.signer.sign('refresh', user.user_id, sid, this.security.refresh_token_ttl_s)
    await store.sessions.insert({session_id: sid, user_id: user.user_id, refresh_jti: refresh.jti, expires_at: refresh.expires, ip: meta.ip, agent: meta.device})
    return this.signedIn(user, sid, refresh.token)
  }

  private async signedIn(user: User, sid: string, refreshToken: string): Promise<SignedIn> {
    const access = await this.signer.sign('access', user.user_id, sid, this.security.access_token_ttl_s)
    return {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.security.access_token_ttl_s,
      user_info: {user_id: user.user_id, username: user.username, name: user.name, type: user.type, role: user.role, permissions: [...user.permissions]},
    }
  }

  /** A new access token and a new refresh token; the one presented can never be used again. */
  async refresh(refreshToken: string | undefined): Promise<SignedIn> {
    if (!refreshToken) throw unauthorized('Send the refresh token as `Authorization: Bearer <refresh_token>`.')
    const claims = await this.signer.verify(refreshToken, 'refresh')
    const session = await this.live(claims.sid, claims.sub)
    if (session.refresh_jti !== claims.jti) {
      // A refresh token used twice: one of the two holders is not the user. End the sign-in for both.
      await this.deps.store.sessions.revoke(session.session_id, 'refresh token reused')
      this.sessions.delete(session.session_id)
      throw unauthorized('This refresh token was already used; the sign-in has been ended.', 'Sign in again.')
    }
    const next = await this.signer.sign('refresh', session.user.user_id, session.session_id, this.security.refresh_token_ttl_s)
    this.sessions.delete(session.session_id)
    if (!(await this.deps.store.sessions.rotate(session.session_id, claims.jti, next.jti, next.expires))) throw unauthorized('This refresh token was already used.', 'Sign in again.')
    return this.signedIn(session.user, session.session_id, next.token)
  }

  /** Who the access token is for, as of this request (permissions and status read fresh). */
  async authenticate(accessToken: string | undefined): Promise<Principal> {
    if (!accessToken) throw unauthorized('Sign in first: send `Authorization: Bearer <access_token>`.', 'Get a token from POST /api/v1/auth/login.')
    const claims = await this.signer.verify(accessToken, 'access')
    const session = await this.live(claims.sid, claims.sub, true)
    return principalOf(session.user, session.session_id)
  }

  async logout(accessToken: string | undefined): Promise<{session_id: string}> {
    const p = await this.authenticate(accessToken)
    await this.deps.store.sessions.revoke(p.session_id, 'logged out')
    this.sessions.delete(p.session_id)
    return {session_id: p.session_id}
  }

  /** The sign-in if it is still good; `cached` allows a read up to session_cache_ms old (never for refresh). */
  private async live(sid: string, sub: string, cached = false): Promise<Session> {
    const session = cached ? await this.recentSession(sid) : await this.deps.store.sessions.withUser(sid)
    if (!session || session.user.user_id !== sub) throw unauthorized('This sign-in no longer exists.', 'Sign in again.')
    if (session.revoked_at) throw unauthorized('This sign-in has ended (logged out or revoked).', 'Sign in again.')
    if (session.user.status !== 'active') throw forbidden(`The account is ${session.user.status}.`)
    return session
  }

  /** Drops what this process remembers of a user's sign-ins: their status or permissions just changed. */
  forgetUser(userId: string): void {
    for (const [sid, hit] of this.sessions) if (hit.session.user.user_id === userId) this.sessions.delete(sid)
  }

  private async recentSession(sid: string): Promise<Session | undefined> {
    const ttl = this.security.session_cache_ms
    const now = Date.now()
    const hit = this.sessions.get(sid)
    if (hit && now - hit.at < ttl) return hit.session
    const session = await this.deps.store.sessions.withUser(sid)
    if (!session || ttl === 0) return session
    this.sessions.delete(sid)
    if (this.sessions.size >= SESSIONS_MAX) this.sessions.delete(this.sessions.keys().next().value!)
    this.sessions.set(sid, {session, at: now})
    return session
  }
}
