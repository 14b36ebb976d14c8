import {classifyFailure, conflict, invalidInput, notFound} from '../../errors.js'
import {type AuditRecord, type LoginRecord, type Store, type User, type UserPatch} from '../../store/index.js'
import {type UserRole, type UserStatus, type UserType, userRoles, userStatuses, userTypes} from '../statuses.js'
import type {Actor, ServiceDeps} from '../context.js'
import {userEvents} from '../events.js'
import {formatUserId} from '../ids.js'
import {computePnl, type PnlResult} from '../pnl.js'
import {requireOneOf, show, validReason} from '../validate.js'
import {hashPassword} from './password.js'
import {
  checkPasswordPolicy,
  rolePermissions,
  validEmail,
  validGroup,
  validName,
  validPermissions,
  validPhone,
  validUserId,
  validUsername,
} from './rules.js'

export type UserRef = {username: string} | {user_id: string}

export interface CreateUserOptions {
  username: string
  password: string
  user_id?: string
  name?: string
  email?: string
  phone?: string
  type?: string
  role?: string
  permissions?: string[]
  group?: string
  status?: string
}

export interface UpdateUserOptions {
  name?: string
  email?: string
  phone?: string
  type?: string
  role?: string
  permissions?: string[]
  group?: string
}

export interface ListUsersOptions {
  status?: string
  type?: string
  group?: string
  search?: string
  limit?: number
  page?: number
}

export interface UserList {
  total: number
  page: number
  limit: number
  users: User[]
}

export interface UserDetails {
  user: User
  login_history: LoginRecord[]
  operations: AuditRecord[]
  /** Profit and loss over all the user's fills, by average cost (see domain/pnl.ts). */
  pnl: PnlResult
}

export interface DeleteResult {
  user: User
  removed: {strategies: number; orders: number; open_orders: number}
}

function describeRef(ref: UserRef): string {
  return 'username' in ref ? `user ${show(ref.username)}` : `user id ${show(ref.user_id)}`
}

/** User management: every rule about users lives here; commands and the API call these methods. */
export class UserService {
  constructor(private readonly deps: ServiceDeps) {}

  private get store(): Store {
    return this.deps.store
  }

  private policy() {
    return {min: this.deps.config.security.password_min_length, max: this.deps.config.security.password_max_length}
  }

  async find(ref: UserRef, store: Store = this.store): Promise<User> {
    const user = 'username' in ref ? await store.users.findByUsername(ref.username.trim().toLowerCase()) : await store.users.findById(ref.user_id.trim())
    if (!user) throw notFound(`No ${describeRef(ref)}.`, 'List users with `ordermon user list --search <text>`.')
    return user
  }

  async create(options: CreateUserOptions, actor: Actor): Promise<User> {
    const username = validUsername(options.username)
    const role: UserRole = options.role === undefined ? 'trader' : requireOneOf('role', options.role, userRoles)
    const row = {
      username,
      name: validName(options.name) ?? null,
      email: validEmail(options.email)?.toLowerCase() ?? null,
      phone: validPhone(options.phone) ?? null,
      type: (options.type === undefined ? 'personal' : requireOneOf('type', options.type, userTypes)) as UserType,
      role,
      permissions: validPermissions(options.permissions) ?? [...rolePermissions[role]],
      group: validGroup(options.group) ?? null,
      status: (options.status === undefined ? 'active' : requireOneOf('status', options.status, userStatuses)) as UserStatus,
    }
    const explicitId = validUserId(options.user_id)
    const password = checkPasswordPolicy(options.password, username, this.policy())
    // Hash before the transaction: 30 ms of CPU must not hold a database lock.
    const password_hash = await hashPassword(password)

    try {
      return await this.store.transaction(async (tx) => {
        if (await tx.users.findByUsername(username)) throw conflict(`Username ${show(username)} is already taken.`, 'Pick another username or inspect it with `ordermon user show`.')
        if (explicitId && (await tx.users.findById(explicitId))) throw conflict(`User id ${show(explicitId)} is already taken.`)
        const user_id = explicitId ?? (await this.nextUserId(tx))
        const numbered = explicitId && /^U(\d{1,15})$/.exec(explicitId)
        if (numbered) await tx.sequences.ensureAtLeast('user', Number(numbered[1]))
        await tx.users.insert({...row, user_id, password_hash})
        await tx.audit.record({actor: actor.name, action: 'user.create', target_type: 'user', target: user_id, details: {username, type: row.type, role, group: row.group}})
        await tx.events.append(userEvents.created(user_id, actor.source, {username, status: row.status, name: row.name, type: row.type}))
        return (await tx.users.findById(user_id))!
      })
    } catch (error) {
      // Two creates racing on one username: the unique index decides, and the loser gets the same message.
      if (classifyFailure(error).failure === 'duplicate') throw conflict(`Username ${show(username)} is already taken.`)
      throw error
    }
  }

  /** The next free generated id: skips ids that were given explicitly or written by hand. */
  private async nextUserId(tx: Store): Promise<string> {
    for (;;) {
      const id = formatUserId(await tx.sequences.allocate('user'))
      if (!(await tx.users.findById(id))) return id
    }
  }

  async createAdmin(options: {username: string; password: string; email?: string; name?: string}, actor: Actor): Promise<User> {
    return this.create({...options, role: 'admin', type: 'institutional'}, actor)
  }

  async list(options: ListUsersOptions = {}): Promise<UserList> {
    const limit = options.limit ?? 20
    const page = options.page ?? 1
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidInput(`limit ${show(limit)} is not valid: use a whole number from 1 to 1000.`)
    if (!Number.isInteger(page) || page < 1 || page > 1_000_000) throw invalidInput(`page ${show(page)} is not valid: use a whole number from 1.`)
    const filter = {
      status: options.status === undefined ? undefined : requireOneOf('status', options.status, userStatuses),
      type: options.type === undefined ? undefined : requireOneOf('type', options.type, userTypes),
      group: options.group?.trim() || undefined,
      search: options.search?.trim() || undefined,
      limit,
      offset: (page - 1) * limit,
    }
    const {total, users} = await this.store.users.list(filter)
    return {total, page, limit, users}
  }

  async show(ref: UserRef, options: {history?: number} = {}): Promise<UserDetails> {
    const user = await this.find(ref)
    const n = options.history ?? 10
    const [login_history, operations, fills] = await Promise.all([
      this.store.users.loginHistory(user.user_id, n),
      this.store.audit.forTargetOrActor('user', user.user_id, user.username, n * 2),
      this.store.orders.fills({user_id: user.user_id}),
    ])
    return {user, login_history, operations, pnl: computePnl(fills)}
  }

  async setStatus(ref: UserRef, status: string, actor: Actor, reason?: string): Promise<{user: User; previous: UserStatus; changed: boolean}> {
    const next = requireOneOf('status', status, userStatuses)
    reason = validReason(reason)
    return this.store.transaction(async (tx) => {
      const current = await this.find(ref, tx)
      const locked = (await tx.users.findForUpdate(current.user_id))!
      if (locked.status === next) return {user: locked, previous: locked.status, changed: false}
      await tx.users.update(locked.user_id, {status: next})
      await tx.audit.record({actor: actor.name, action: 'user.status', target_type: 'user', target: locked.user_id, details: {from: locked.status, to: next, reason: reason ?? null}})
      await tx.events.append(userEvents.statusChanged(locked.user_id, locked.status, next, reason ?? null, actor.source))
      return {user: (await tx.users.findById(locked.user_id))!, previous: locked.status, changed: true}
    })
  }

  async resetPassword(ref: UserRef, newPassword: string, actor: Actor): Promise<User> {
    const user = await this.find(ref)
    const password_hash = await hashPassword(checkPasswordPolicy(newPassword, user.username, this.policy()))
    return this.store.transaction(async (tx) => {
      if (!(await tx.users.update(user.user_id, {password_hash}))) throw notFound(`No ${describeRef(ref)}.`)
      // The audit row says that it happened, never what the password is.
      await tx.audit.record({actor: actor.name, action: 'user.reset_password', target_type: 'user', target: user.user_id, details: {username: user.username}})
      return (await tx.users.findById(user.user_id))!
    })
  }

  async update(ref: UserRef, options: UpdateUserOptions, actor: Actor): Promise<{user: User; changed: string[]}> {
    const patch: UserPatch = {}
    if (options.name !== undefined) patch.name = validName(options.name)
    if (options.email !== undefined) patch.email = validEmail(options.email)?.toLowerCase()
    if (options.phone !== undefined) patch.phone = validPhone(options.phone)
    if (options.type !== undefined) patch.type = requireOneOf('type', options.type, userTypes)
    if (options.role !== undefined) patch.role = requireOneOf('role', options.role, userRoles)
    if (options.permissions !== undefined) patch.permissions = validPermissions(options.permissions)
    if (options.group !== undefined) patch.group = validGroup(options.group)
    if (Object.keys(patch).length === 0) throw invalidInput('Nothing to update.', 'Give at least one of --name, --email, --phone, --type, --role, --permissions, --group.')

    return this.store.transaction(async (tx) => {
      const before = await this.find(ref, tx)
      const changed = Object.entries(patch)
        .filter(([k, v]) => JSON.stringify(before[k as keyof User]) !== JSON.stringify(v))
        .map(([k]) => k)
      if (changed.length === 0) return {user: before, changed}
      await tx.users.update(before.user_id, patch)
      const details = Object.fromEntries(changed.map((k) => [k, {from: before[k as keyof User], to: patch[k as keyof UserPatch]}]))
      await tx.audit.record({actor: actor.name, action: 'user.update', target_type: 'user', target: before.user_id, details})
      await tx.events.append(userEvents.updated(before.user_id, changed, actor.source))
      return {user: (await tx.users.findById(before.user_id))!, changed}
    })
  }

  /** What a delete would remove: the CLI shows it before asking. */
  async deletionImpact(ref: UserRef): Promise<DeleteResult> {
    const user = await this.find(ref)
    return {user, removed: await this.store.users.footprint(user.user_id)}
  }

  /**
   * Deletes a user with their strategies, orders and history (foreign keys cascade). A user with open
   * orders is refused unless `force`, since those orders may still be live at a venue.
   */
  async delete(ref: UserRef, options: {force?: boolean}, actor: Actor): Promise<DeleteResult> {
    return this.store.transaction(async (tx) => {
      const user = await this.find(ref, tx)
      await tx.users.findForUpdate(user.user_id)
      const removed = await tx.users.footprint(user.user_id)
      if (removed.open_orders > 0 && !options.force)
        throw conflict(`User ${show(user.username)} has ${removed.open_orders} open order(s); not deleted.`, 'Cancel them first (`ordermon order cancel-batch --user-id ...`) or add --force.', {removed})
      await tx.users.delete(user.user_id)
      await tx.audit.record({actor: actor.name, action: 'user.delete', target_type: 'user', target: user.user_id, details: {username: user.username, ...removed, forced: Boolean(options.force)}})
      await tx.events.append(userEvents.deleted(user.user_id, actor.source, {username: user.username, ...removed}))
      return {user, removed}
    })
  }
}
