import {forbidden} from '../../errors.js'
import type {User} from '../../store/index.js'
import type {Actor} from '../context.js'

/**
 * Who is calling the API and what they may do. Permissions are the user's list (`order_create`, ...);
 * `system_admin` (or the admin role) may do everything to everyone. Anyone else acts only on their
 * own orders and strategies: a trader asking for another trader's order gets 403.
 */

export interface Principal {
  user_id: string
  username: string
  role: User['role']
  permissions: readonly string[]
  session_id: string
}

export const principalOf = (user: User, sessionId: string): Principal => ({user_id: user.user_id, username: user.username, role: user.role, permissions: user.permissions, session_id: sessionId})

export const isAdmin = (p: Principal) => p.role === 'admin' || p.permissions.includes('system_admin')

export function requirePermission(p: Principal, permission: string): void {
  if (isAdmin(p) || p.permissions.includes(permission)) return
  throw forbidden(`Permission ${permission} is needed for this.`, 'Ask an administrator to grant it.')
}

/** Refuses another user's resource (`what` names it in the message) unless the caller is an admin. */
export function requireOwner(p: Principal, ownerId: string, what: string): void {
  if (isAdmin(p) || p.user_id === ownerId) return
  throw forbidden(`${what} belongs to another user.`)
}

/** The user a listing is narrowed to: an admin may ask for anyone (or everyone), others get their own. */
export function scopeUser(p: Principal, requested: string | undefined): string | undefined {
  if (isAdmin(p)) return requested
  if (requested !== undefined && requested !== p.user_id) throw forbidden('Only your own records can be listed.')
  return p.user_id
}

export const apiActor = (p: Principal): Actor => ({name: p.username, source: 'api'})
