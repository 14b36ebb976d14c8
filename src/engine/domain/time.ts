import {invalidInput} from '../errors.js'
import {show, showJson} from './validate.js'

/**
 * Dates, times and periods typed by a user. JavaScript's Date rolls impossible values over
 * (2024-02-31 becomes 2024-03-02), so every field is checked against the calendar before a Date is
 * built. Dates without a zone are UTC.
 */

/**
 * The UTC calendar day of an instant, YYYY-MM-DD: the day that dated log files, "fills today" and a
 * strategy's daily loss limit roll over on. One function, so they all roll over at the same instant.
 */
export const utcDay = (d: Date): string => d.toISOString().slice(0, 10)

/** UTC midnight starting the day of `d`. */
export const startOfUtcDay = (d: Date): Date => new Date(`${utcDay(d)}T00:00:00Z`)

/** A half-open span of time: start <= t < end. */
export interface Period {
  start: Date
  end: Date
}

const DATE_HELP = 'YYYY-MM-DD or an ISO date-time such as 2024-01-15T10:30:00Z'
const SINCE_HELP = 'YYYY-MM-DD, an ISO date-time, or a span like 24h or 7d'
const DAY_MS = 86_400_000
/** Longer spans are almost certainly typos (and reach years a database cannot store); a date says it better. */
const MAX_SPAN_DAYS = 3650

export const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
}

/** ISO years have 53 weeks when they start on a Thursday, or on a Wednesday in a leap year. */
export function isoWeeksInYear(year: number): number {
  const jan1 = utc(year, 1, 1).getUTCDay()
  return jan1 === 4 || (jan1 === 3 && isLeapYear(year)) ? 53 : 52
}

/** Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not. Fields must already be valid. */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): Date {
  const t = new Date(Date.UTC(2000, 0, 1, h, mi, s, ms))
  t.setUTCFullYear(y, mo - 1, d)
  return t
}

const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY_MS)

/** Why year-month-day is not on the calendar, or undefined when it is. */
function calendarProblem(y: number, mo: number, d: number): string | undefined {
  if (mo < 1 || mo > 12) return `month ${pad(mo)} is not 01-12`
  const last = daysInMonth(y, mo)
  if (d < 1 || d > last) return `${y}-${pad(mo)} has days 01-${last}, not ${pad(d)}${mo === 2 && d === 29 ? ` (${y} is not a leap year)` : ''}`
  return undefined
}

function clockProblem(h: number, mi: number, s: number): string | undefined {
  if (h > 23) return `hour ${pad(h)} is not 00-23`
  if (mi > 59) return `minute ${pad(mi)} is not 00-59`
  if (s > 59) return `second ${pad(s)} is not 00-59`
  return undefined
}

/** Offset in minutes east of UTC; real zones range from -12:00 to +14:00, so ±14:00 is the ISO-sane bound. */
function offsetMinutes(zone: string | undefined): number | string {
  if (!zone || zone === 'Z') return 0
  const [, sign, hh, mm] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!
  const total = Number(hh) * 60 + Number(mm)
  if (Number(mm) > 59) return `offset ${zone} has minutes ${mm}, not 00-59`
  if (total > 14 * 60) return `offset ${zone} is beyond ±14:00`
  return sign === '-' ? -total : total
}

const pad = (n: number) => String(n).padStart(2, '0')
const num = (s: string | undefined) => Number(s ?? 0)

function notValid(field: string, value: string, what: string, problem: string, help: string) {
  return invalidInput(`${field} ${show(value)} is not a valid ${what}: ${problem} (expected ${help}).`)
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** An ISO date (midnight UTC) or date-time; a date-time without a zone is UTC. */
export function parseDate(field: string, value: string | undefined, help = DATE_HELP): Date | undefined {
  if (value === undefined) return undefined
  const m = DATE_TIME.exec(value.trim())
  if (!m) throw invalidInput(`${field} ${show(value)} is not a date: use ${help}.`)
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(num) as [number, number, number, number, number, number]
  const problem = calendarProblem(y, mo, d) ?? clockProblem(h, mi, s)
  if (problem) throw notValid(field, value, 'date', problem, help)
  const offset = offsetMinutes(m[8])
  if (typeof offset === 'string') throw notValid(field, value, 'date', offset, help)
  const ms = num((m[7] ?? '').padEnd(3, '0'))
  return new Date(utc(y, mo, d, h, mi, s, ms).getTime() - offset * 60_000)
}

/** A point in time: a date or date-time (see parseDate), or a span back from now (30m, 24h, 7d, 2w). */
export function parseSince(field: string, value: string | undefined, now = new Date()): Date | undefined {
  if (value === undefined) return undefined
  const rel = /^(\d{1,7})\s*(s|m|h|d|w)$/i.exec(value.trim())
  if (!rel) return parseDate(field, value, SINCE_HELP)
  const seconds = Number(rel[1]) * {s: 1, m: 60, h: 3600, d: 86_400, w: 604_800}[rel[2]!.toLowerCase() as 's']
  // "0h" means "since now": an empty answer that looks like "no orders", so it is refused.
  if (seconds === 0) throw notValid(field, value, 'span', 'a span of 0 selects nothing', SINCE_HELP)
  if (seconds > MAX_SPAN_DAYS * 86_400) throw notValid(field, value, 'span', `at most ${MAX_SPAN_DAYS}d (10 years); give a date for longer`, SINCE_HELP)
  return new Date(now.getTime() - seconds * 1000)
}

/** The day after a YYYY-MM-DD end date, so "--end-date 2024-01-31" includes the whole 31st. */
export function endOfDay(field: string, value: string | undefined): Date | undefined {
  const d = parseDate(field, value)
  if (!d || !value || value.trim().length !== 10) return d
  return addDays(d, 1)
}

/** `--date 2024-01-15`: that UTC day. */
export function parseDay(field: string, value: string): Period {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim())
  if (!m) throw invalidInput(`${field} ${show(value)} is not a day: use YYYY-MM-DD.`)
  const [y, mo, d] = [m[1], m[2], m[3]].map(num) as [number, number, number]
  const problem = calendarProblem(y, mo, d)
  if (problem) throw notValid(field, value, 'day', problem, 'YYYY-MM-DD')
  const start = utc(y, mo, d)
  return {start, end: addDays(start, 1)}
}

/** `--week 2024-W03`: Monday 00:00 UTC of that ISO week to the next Monday. */
export function parseIsoWeek(field: string, value: string): Period {
  const m = /^(\d{4})-W(\d{2})$/i.exec(value.trim())
  if (!m) throw invalidInput(`${field} ${show(value)} is not an ISO week: use YYYY-Www, such as 2024-W03.`)
  const [y, w] = [num(m[1]), num(m[2])]
  const weeks = isoWeeksInYear(y)
  if (w < 1 || w > weeks) throw notValid(field, value, 'ISO week', `${y} has weeks W01-W${weeks}`, 'YYYY-Www')
  // Week 1 is the week with January 4th in it.
  const jan4 = utc(y, 1, 4)
  const start = addDays(jan4, -((jan4.getUTCDay() + 6) % 7) + (w - 1) * 7)
  return {start, end: addDays(start, 7)}
}

/** `--month 2024-01`: the first of that month 00:00 UTC to the first of the next. */
export function parseMonth(field: string, value: string): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(value.trim())
  if (!m) throw invalidInput(`${field} ${show(value)} is not a month: use YYYY-MM.`)
  const [y, mo] = [num(m[1]), num(m[2])]
  if (mo < 1 || mo > 12) throw notValid(field, value, 'month', `month ${m[2]} is not 01-12`, 'YYYY-MM')
  return {start: utc(y, mo, 1), end: mo === 12 ? utc(y + 1, 1, 1) : utc(y, mo + 1, 1)}
}

/** A wall-clock time HH:MM (two digits each): schedules compare them as strings. */
export function parseClock(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(value))
    throw invalidInput(`${field} must be a time as HH:MM, 00:00 to 23:59 (got ${showJson(value)}).`)
  return value
}
