import type {Notification} from './types.js'

/** CRITICAL, WARNING or INFO while an alert fires; RESOLVED once it clears. */
export const levelTag = (n: Notification): string => (n.kind === 'resolved' ? 'RESOLVED' : n.level.toUpperCase())

/** A value as a person reads it: no value is "-". */
export const showValue = (v: Notification['value']): string => (v === null ? '-' : String(v))

/** Subjects and SMS texts are one line: a multi-line message must not inject headers or break layout. */
export const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim()

/** Cuts to `max` characters, marking the cut with an ellipsis. */
export const cap = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`)

/** The text of an error, first line only (driver messages can run to pages). */
export const firstLine = (e: unknown): string => ((e as Error)?.message ?? String(e)).split('\n')[0]!.trim()

/** Replaces each secret (of 4 characters or more: shorter ones would blank ordinary words) in `s`. */
export function hide(s: string, secrets: Array<string | undefined>): string {
  let out = s
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('********')
  return out
}
