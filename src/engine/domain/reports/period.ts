import {invalidInput} from '../../errors.js'
import {parseDay, parseIsoWeek, parseMonth, utcDay} from '../time.js'
import {show} from '../validate.js'

/**
 * The period of a daily, weekly or monthly report in a time zone: `2024-01-15` in Asia/Shanghai is
 * 2024-01-14T16:00Z..2024-01-15T16:00Z. The calendar is checked by the UTC parsers of domain/time
 * (they refuse 2024-02-30 and 2021-W53); their wall-clock midnights are then placed in the zone.
 */

export type PeriodKind = 'daily' | 'weekly' | 'monthly'

export interface ZonedPeriod {
  kind: PeriodKind
  label: string
  timezone: string
  start: Date
  end: Date
  previous: {label: string; start: Date; end: Date}
}

const DAY_MS = 86_400_000

/** Refuses a zone Intl does not know; returns it as given. */
export function validTimeZone(field: string, tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: tz})
  } catch {
    throw invalidInput(`${field} ${show(tz)} is not a known time zone (use an IANA name such as UTC, Asia/Shanghai or America/New_York).`)
  }
  return tz
}

/** Minutes east of UTC that `tz` is at the instant `at` (DST included). */
export function zoneOffsetMinutes(tz: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'}).formatToParts(at)
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'))
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000)
}

/** The instant the wall clock in `tz` shows `wall` (given as if it were UTC). Twice, for days a DST change falls on. */
export function wallClockToInstant(wall: Date, tz: string): Date {
  let t = wall.getTime() - zoneOffsetMinutes(tz, wall) * 60_000
  t = wall.getTime() - zoneOffsetMinutes(tz, new Date(t)) * 60_000
  return new Date(t)
}

function isoWeekLabel(mondayUtc: Date): string {
  // The ISO year is the year of the week's Thursday.
  const thursday = new Date(mondayUtc.getTime() + 3 * DAY_MS)
  const y = thursday.getUTCFullYear()
  const jan4 = Date.UTC(y, 0, 4)
  const week1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS
  const w = Math.round((mondayUtc.getTime() - week1) / (7 * DAY_MS)) + 1
  return `${y}-W${String(w).padStart(2, '0')}`
}

/** The wall-clock span (as UTC dates) of the period and of the one before it, with labels. */
function calendar(kind: PeriodKind, value: string): {label: string; start: Date; end: Date; previous: {label: string; start: Date; end: Date}} {
  if (kind === 'daily') {
    const p = parseDay('--date', value)
    const prev = new Date(p.start.getTime() - DAY_MS)
    return {label: utcDay(p.start), ...p, previous: {label: utcDay(prev), start: prev, end: p.start}}
  }
  if (kind === 'weekly') {
    const p = parseIsoWeek('--week', value)
    const prev = new Date(p.start.getTime() - 7 * DAY_MS)
    return {label: isoWeekLabel(p.start), ...p, previous: {label: isoWeekLabel(prev), start: prev, end: p.start}}
  }
  const p = parseMonth('--month', value)
  // The previous calendar month (a desk compares January with December, whatever their lengths).
  const y = p.start.getUTCFullYear()
  const m = p.start.getUTCMonth()
  const prevStart = new Date(p.start)
  prevStart.setUTCFullYear(m === 0 ? y - 1 : y, m === 0 ? 11 : m - 1, 1)
  const label = (d: Date) => d.toISOString().slice(0, 7)
  return {label: label(p.start), ...p, previous: {label: label(prevStart), start: prevStart, end: p.start}}
}

/** A report's period; `now` refuses periods that have not begun (a typo of the year, usually). */
export function resolvePeriod(kind: PeriodKind, value: string, timezone: string, now = new Date()): ZonedPeriod {
  validTimeZone('reports.timezone', timezone)
  const c = calendar(kind, value)
  const at = (d: Date) => wallClockToInstant(d, timezone)
  const period: ZonedPeriod = {kind, label: c.label, timezone, start: at(c.start), end: at(c.end), previous: {label: c.previous.label, start: at(c.previous.start), end: at(c.previous.end)}}
  if (period.start > now) throw invalidInput(`${flagOf(kind)} ${show(value)} has not begun yet (it starts ${period.start.toISOString()}).`, 'Give a past or current period.')
  return period
}

export const flagOf = (kind: PeriodKind) => (kind === 'daily' ? '--date' : kind === 'weekly' ? '--week' : '--month')

/** The current period's value (today, this ISO week, this month) in `tz`: the default when no flag is given. */
export function currentPeriodValue(kind: PeriodKind, timezone: string, now = new Date()): string {
  const wall = new Date(now.getTime() + zoneOffsetMinutes(timezone, now) * 60_000)
  if (kind === 'daily') return utcDay(wall)
  if (kind === 'monthly') return wall.toISOString().slice(0, 7)
  const monday = new Date(Date.parse(utcDay(wall)) - ((wall.getUTCDay() + 6) % 7) * DAY_MS)
  return isoWeekLabel(monday)
}
