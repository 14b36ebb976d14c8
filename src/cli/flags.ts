import {Flags} from '@oclif/core'
import {OrdermonError, type UserRef} from '../engine/index.js'
import {askSecret, interactive, readStdinLine} from './prompt.js'

/** Commands that act on one user accept --username (the manual's) or --user-id. */
export const userRefFlags = {
  username: Flags.string({char: 'u', description: 'Username of the user (e.g. trader001).', exactlyOne: ['username', 'user-id']}),
  'user-id': Flags.string({description: 'User id (e.g. U000001).', exactlyOne: ['username', 'user-id']}),
}

export function userRef(flags: {username?: string; 'user-id'?: string}): UserRef {
  return flags.username !== undefined ? {username: flags.username} : {user_id: flags['user-id']!}
}

export const yesFlag = Flags.boolean({char: 'y', description: 'Do not ask for confirmation (for scripts).'})

/** A comma-separated list flag value as a clean array. */
export const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean))

/**
 * A password from --<name>, or --<name>-stdin, or a hidden prompt on a terminal. Never echoed, never
 * logged; scripts should prefer -stdin so the password is not in shell history or `ps`.
 */
export async function readPassword(flags: Record<string, unknown>, name: string): Promise<string> {
  const direct = flags[name] as string | undefined
  const fromStdin = flags[`${name}-stdin`] as boolean | undefined
  if (direct !== undefined && fromStdin) throw new OrdermonError('invalidInput', `Give either --${name} or --${name}-stdin, not both.`)
  if (direct !== undefined) return direct
  if (fromStdin) return readStdinLine(name)
  if (interactive()) {
    const first = await askSecret('Password')
    const again = await askSecret('Repeat password')
    if (first !== again) throw new OrdermonError('invalidInput', 'The passwords do not match.')
    return first
  }
  throw new OrdermonError('invalidInput', `A password is required: give --${name} or --${name}-stdin.`)
}

export const passwordFlags = (name: string, description: string) => ({
  [name]: Flags.string({description: `${description} Prefer --${name}-stdin in scripts.`}),
  [`${name}-stdin`]: Flags.boolean({description: `Read the ${name.replace('-', ' ')} from the first line of standard input.`}),
})
