import {invalidInput} from '../errors.js'
import {show} from './validate.js'

/**
 * A point in time from the command line: an ISO date or date-time (2024-01-15, 2024-01-15T10:30:00Z;
 * dates without a zone are UTC), or a span back from now (30m, 24h, 7d).
 */
export function parseSince(field: string, value: string | undefined, now = new Date()): Date | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  const rel = /^(\d{1,6})\s*(s|m|h|d|w)$/i.exec(v)
  if (rel) {
    const unit = {s: 1, m: 60, h: 3600, d: 86_400, w: 604_800}[rel[2]!.toLowerCase() as 's']
    return new Date(now.getTime() - Number(rel[1]) * unit * 1000)
  }
  return parseDate(field, v)
}

export function parseDate(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v))
    throw invalidInput(`${field} ${show(value)} is not a date: use YYYY-MM-DD, an ISO date-time, or a span like 24h or 7d.`)
  const iso = v.length === 10 ? `${v}T00:00:00Z` : /Z|[+-]\d{2}:?\d{2}$/.test(v) ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) throw invalidInput(`${field} ${show(value)} is not a valid date.`)
  return d
}

/** The day after a YYYY-MM-DD end date, so "--end-date 2024-01-31" includes the whole 31st. */
export function endOfDay(field: string, value: string | undefined): Date | undefined {
  const d = parseDate(field, value)
  if (!d || !value || value.trim().length !== 10) return d
  return new Date(d.getTime() + 86_400_000)
}
