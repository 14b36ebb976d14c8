import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'
import {userFromRow, type User} from './users.js'

/** API sign-ins (api_sessions): what makes a token still good, in every process on the database. */

export interface NewSession {
  session_id: string
  user_id: string
  refresh_jti: string
  expires_at: Date
  ip: string | null
  agent: string | null
}

export interface LiveSession {
  session_id: string
  refresh_jti: string
  expires_at: string
  revoked_at: string | null
  user: User
}

export class SessionRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  async insert(s: NewSession): Promise<void> {
    await this.knex('api_sessions').insert({...s, expires_at: this.dialect.toDb(s.expires_at)})
  }

  /** The session with its user as of now, in one indexed query: every authenticated request reads it. */
  async withUser(sessionId: string): Promise<LiveSession | undefined> {
    const r = await this.knex('api_sessions as s')
      .join('users as u', 'u.user_id', 's.user_id')
      .where('s.session_id', sessionId)
      .first('u.*', 's.session_id as s_session_id', 's.refresh_jti as s_refresh_jti', 's.expires_at as s_expires_at', 's.revoked_at as s_revoked_at')
    if (!r) return undefined
    return {session_id: r.s_session_id, refresh_jti: r.s_refresh_jti, expires_at: this.dialect.toIso(r.s_expires_at)!, revoked_at: this.dialect.toIso(r.s_revoked_at), user: userFromRow(this.dialect, r)}
  }

  /** Replaces the usable refresh token; false when `from` is no longer it (a replay, or a race lost). */
  async rotate(sessionId: string, from: string, to: string, expiresAt: Date): Promise<boolean> {
    const n = await this.knex('api_sessions')
      .where({session_id: sessionId, refresh_jti: from})
      .whereNull('revoked_at')
      .update({refresh_jti: to, expires_at: this.dialect.toDb(expiresAt)})
    return n === 1
  }

  async revoke(sessionId: string, reason: string): Promise<boolean> {
    const n = await this.knex('api_sessions').where({session_id: sessionId}).whereNull('revoked_at').update({revoked_at: this.dialect.now(this.knex), revoked_reason: reason})
    return n === 1
  }

  /** Deletes up to `batch` sessions that expired before `before`; housekeeping calls it until it returns less. */
  async pruneExpired(before: Date, batch: number): Promise<number> {
    const ids = (await this.knex('api_sessions').where('expires_at', '<', this.dialect.toDb(before)).limit(batch).pluck('session_id')) as string[]
    if (ids.length === 0) return 0
    return this.knex('api_sessions').whereIn('session_id', ids).delete()
  }
}
