import {invalidInput} from '../../errors.js'
import type {UserRole} from '../statuses.js'
import {optionalText, requireText, show} from '../validate.js'

/** Permission names, as in the manual's API example (`["order_create", "order_query"]`). */
export const permissionNames = [
  'order_create',
  'order_query',
  'order_modify',
  'order_cancel',
  'strategy_create',
  'strategy_query',
  'strategy_manage',
  'user_query',
  'user_manage',
  'monitor_view',
  'report_view',
  'system_admin',
] as const

/** What a role may do when no explicit --permissions are given. */
export const rolePermissions: Record<UserRole, readonly string[]> = {
  admin: permissionNames,
  trader: ['order_create', 'order_query', 'order_modify', 'order_cancel', 'strategy_create', 'strategy_query', 'strategy_manage', 'monitor_view'],
  analyst: ['order_query', 'strategy_query', 'monitor_view', 'report_view'],
  guest: ['order_query', 'strategy_query'],
}

// Usernames compare without case on every backend (MariaDB's collation already does; SQLite's would
// not), so they are kept in lower case.
export const validUsername = (v: string | undefined) =>
  requireText('username', v, {max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/, patternHelp: '3-64 letters, digits, _ . - starting with a letter or digit'}).toLowerCase()

export const validUserId = (v: string | undefined) =>
  optionalText('user id', v, {max: 32, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, patternHelp: 'up to 32 letters, digits, _ -'})

// Names are free text in any script (张三); only control characters and absurd lengths are refused.
export const validName = (v: string | undefined) => optionalText('name', v, {max: 128})

export const validEmail = (v: string | undefined) =>
  optionalText('email', v, {max: 254, pattern: /^[^\s@'"`;<>\\]+@[^\s@'"`;<>\\]+\.[^\s@'"`;<>\\]{2,}$/, patternHelp: 'expected an address like name@example.com'})

export const validPhone = (v: string | undefined) =>
  optionalText('phone', v, {max: 32, pattern: /^\+?[0-9][0-9 ()-]{4,31}$/, patternHelp: 'digits, spaces, ( ) - and an optional leading +'})

export const validGroup = (v: string | undefined) =>
  optionalText('group', v, {max: 64, pattern: /^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, patternHelp: 'letters, digits, spaces, _ . -'})

export function validPermissions(list: string[] | undefined): string[] | undefined {
  if (list === undefined) return undefined
  const out = new Set<string>()
  for (const raw of list) {
    const p = raw.trim().toLowerCase()
    if (p === '') continue
    if (!(permissionNames as readonly string[]).includes(p))
      throw invalidInput(`permission ${show(raw)} is not known: use ${permissionNames.join(', ')}.`)
    out.add(p)
  }
  return [...out]
}

export function checkPasswordPolicy(password: string | undefined, username: string, policy: {min: number; max: number}): string {
  if (password === undefined || password === '') throw invalidInput('A password is required.', 'Give --password, or --password-stdin to read it from standard input.')
  if (password.length < policy.min) throw invalidInput(`The password is too short: at least ${policy.min} characters.`)
  if (password.length > policy.max) throw invalidInput(`The password is too long: at most ${policy.max} characters.`)
  if (password.trim() === '') throw invalidInput('The password must not be only spaces.')
  if (password.toLowerCase() === username.toLowerCase()) throw invalidInput('The password must differ from the username.')
  return password
}
