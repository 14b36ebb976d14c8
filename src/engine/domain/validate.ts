import {invalidInput} from '../errors.js'

/** Shows a bad value in an error line without flooding the terminal or echoing control characters. */
export function show(value: unknown): string {
  const s = String(value)
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?')
  return clean.length > 40 ? `"${clean.slice(0, 40)}…" (${s.length} characters)` : `"${clean}"`
}

/** A JSON value for an error line: `"25:00"`, `[1,2]`, `null` (quoted once, cut at 40 characters). */
export function showJson(value: unknown): string {
  const s = JSON.stringify(value) ?? 'undefined'
  return s.length > 40 ? `${s.slice(0, 40)}…` : s
}

// eslint-disable-next-line no-control-regex
const control = /[\u0000-\u001f\u007f]/

export function requireText(field: string, value: string | undefined, opts: {max: number; pattern?: RegExp; patternHelp?: string}): string {
  if (value === undefined) throw invalidInput(`${field} is required.`)
  const v = value.trim()
  if (v === '') throw invalidInput(`${field} must not be empty.`)
  if (v.length > opts.max) throw invalidInput(`${field} is too long: ${v.length} characters, at most ${opts.max}.`)
  if (control.test(v)) throw invalidInput(`${field} ${show(v)} contains control characters.`)
  if (opts.pattern && !opts.pattern.test(v)) throw invalidInput(`${field} ${show(v)} is not valid: ${opts.patternHelp}.`)
  return v
}

export function optionalText(field: string, value: string | undefined, opts: {max: number; pattern?: RegExp; patternHelp?: string}): string | undefined {
  return value === undefined ? undefined : requireText(field, value, opts)
}

/** Free-text reasons (status changes, cancels) end up in audit and history rows of 255 characters. */
export const validReason = (v: string | undefined) => optionalText('reason', v, {max: 255})

export function requireOneOf<T extends string>(field: string, value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined) throw invalidInput(`${field} is required (one of ${allowed.join(', ')}).`)
  const v = value.trim().toLowerCase()
  const hit = allowed.find((a) => a.toLowerCase() === v)
  if (!hit) throw invalidInput(`${field} ${show(value)} is not valid: use one of ${allowed.join(', ')}.`)
  return hit
}
