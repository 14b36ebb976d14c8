import type {Knex} from 'knex'
import {openOrderStatuses, type UserRole, type UserStatus, type UserType} from '../../domain/statuses.js'
import type {Dialect} from '../dialect.js'
import {inShards, type ShardScope} from '../shard-scope.js'

/** A user as every caller sees it: never the password hash. */
export interface User {
  user_id: string
  username: string
  name: string | null
  email: string | null
  phone: string | null
  type: UserType
  role: UserRole
  permissions: string[]
  group: string | null
  status: UserStatus
  created_at: string
  updated_at: string
  last_login_at: string | null
}

export interface NewUserRow {
  user_id: string
  username: string
  password_hash: string
  name?: string | null
  email?: string | null
  phone?: string | null
  type: UserType
  role: UserRole
  permissions: string[]
  group?: string | null
  status: UserStatus
}

export type UserPatch = Partial<Pick<NewUserRow, 'name' | 'email' | 'phone' | 'type' | 'role' | 'permissions' | 'group' | 'status' | 'password_hash'>>

export interface UserFilter {
  status?: UserStatus
  type?: UserType
  group?: string
  search?: string
  limit: number
  offset: number
}

export interface LoginRecord {
  at: string
  ip: string | null
  device: string | null
  success: boolean
  reason: string | null
}

/** A users row as a User (also for queries of other repos that join users). */
export function userFromRow(dialect: Dialect, r: Record<string, unknown>): User {
  return {
    user_id: String(r.user_id),
    username: String(r.username),
    name: (r.name as string) ?? null,
    email: (r.email as string) ?? null,
    phone: (r.phone as string) ?? null,
    type: r.type as UserType,
    role: r.role as UserRole,
    permissions: dialect.fromJson<string[]>(r.permissions, []),
    group: (r.group_name as string) ?? null,
    status: r.status as UserStatus,
    created_at: dialect.toIso(r.created_at)!,
    updated_at: dialect.toIso(r.updated_at)!,
    last_login_at: dialect.toIso(r.last_login_at),
  }
}

export class UserRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  private toUser(r: Record<string, unknown>): User {
    return userFromRow(this.dialect, r)
  }

  private toColumns(patch: UserPatch): Record<string, unknown> {
    const cols: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue
      if (k === 'group') cols.group_name = v
      else if (k === 'permissions') cols.permissions = this.dialect.toJson(v)
      else cols[k] = v
    }
    return cols
  }

  async insert(row: NewUserRow): Promise<void> {
    const {group, permissions, ...rest} = row
    await this.knex('users').insert({...rest, group_name: group ?? null, permissions: this.dialect.toJson(permissions), ...this.dialect.touch(this.knex)})
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const r = await this.knex('users').where({username}).first()
    return r ? this.toUser(r) : undefined
  }

  async findById(userId: string): Promise<User | undefined> {
    const r = await this.knex('users').where({user_id: userId}).first()
    return r ? this.toUser(r) : undefined
  }

  async passwordHash(userId: string): Promise<string | undefined> {
    const r = await this.knex('users').where({user_id: userId}).first('password_hash')
    return r?.password_hash
  }

  /** Locks the row until the transaction ends (MySQL); SQLite transactions already serialise writers. */
  async findForUpdate(userId: string): Promise<User | undefined> {
    const r = await this.dialect.forUpdate(this.knex('users').where({user_id: userId})).first()
    return r ? this.toUser(r) : undefined
  }

  async update(userId: string, patch: UserPatch): Promise<number> {
    const cols = this.toColumns(patch)
    if (Object.keys(cols).length === 0) return 0
    return this.knex('users').where({user_id: userId}).update({...cols, ...this.dialect.touch(this.knex)})
  }

  async delete(userId: string): Promise<number> {
    return this.knex('users').where({user_id: userId}).delete()
  }

  async list(filter: UserFilter): Promise<{total: number; users: User[]}> {
    const base = this.knex('users').where((q) => {
      if (filter.status) q.where('status', filter.status)
      if (filter.type) q.where('type', filter.type)
      if (filter.group) q.where('group_name', filter.group)
      if (filter.search) {
        const like = this.dialect.likeContains(filter.search)
        q.where((s) =>
          s
            .whereRaw(this.dialect.likeSql, ['username', like])
            .orWhereRaw(this.dialect.likeSql, ['name', like])
            .orWhereRaw(this.dialect.likeSql, ['email', like])
            .orWhere('user_id', filter.search),
        )
      }
    })
    const [{n}] = await base.clone().count({n: '*'})
    const rows = await base.clone().orderBy('id').limit(filter.limit).offset(filter.offset)
    return {total: Number(n), users: rows.map((r) => this.toUser(r))}
  }

  /** Active users, of the scope's shards only when given. */
  async active(scope?: ShardScope): Promise<User[]> {
    return (await inShards(this.knex('users').where('status', 'active'), 'user_id', scope)).map((r) => this.toUser(r))
  }

  async findMany(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return []
    return (await this.knex('users').whereIn('user_id', ids)).map((r) => this.toUser(r))
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: Array<{status: string; n: number | string}> = await this.knex('users').select('status').count({n: '*'}).groupBy('status')
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }

  async count(): Promise<number> {
    const row = await this.knex('users').count({n: '*'}).first()
    return Number(row?.n ?? 0)
  }

  async recordLogin(userId: string, login: Omit<LoginRecord, 'at'> & {at?: Date}): Promise<void> {
    await this.knex('login_history').insert({
      user_id: userId,
      ip: login.ip,
      device: login.device,
      success: login.success,
      reason: login.reason,
      ...(login.at ? {at: this.dialect.toDb(login.at)} : {}),
    })
    if (login.success)
      await this.knex('users')
        .where({user_id: userId})
        .update({last_login_at: login.at ? this.dialect.toDb(login.at) : this.dialect.now(this.knex), ...this.dialect.touch(this.knex)})
  }

  /** Failed sign-ins within the window that no successful one has followed: what lockout counts. */
  /** Failed sign-ins with this reason since `since` and since the last successful one. */
  async recentFailures(userId: string, since: Date, reason: string): Promise<number> {
    const lastSuccess = this.knex('login_history').where({user_id: userId, success: true}).max({id: 'id'})
    const row = await this.knex('login_history')
      .where({user_id: userId, success: false, reason})
      .where('at', '>=', this.dialect.toDb(since))
      .where('id', '>', this.knex.raw('COALESCE((?), 0)', [lastSuccess]))
      .count({n: '*'})
      .first()
    return Number(row?.n ?? 0)
  }

  async loginHistory(userId: string, limit: number): Promise<LoginRecord[]> {
    const rows = await this.knex('login_history').where({user_id: userId}).orderBy('id', 'desc').limit(limit)
    return rows.map((r) => ({at: this.dialect.toIso(r.at)!, ip: r.ip, device: r.device, success: Boolean(r.success), reason: r.reason}))
  }

  /** What deleting a user takes with it: shown before asking for confirmation. */
  async footprint(userId: string): Promise<{strategies: number; orders: number; open_orders: number}> {
    const [s] = await this.knex('strategies').where({user_id: userId}).count({n: '*'})
    const [o] = await this.knex('orders').where({user_id: userId}).count({n: '*'})
    const [open] = await this.knex('orders').where({user_id: userId}).whereIn('status', [...openOrderStatuses]).count({n: '*'})
    return {strategies: Number(s.n), orders: Number(o.n), open_orders: Number(open.n)}
  }
}
