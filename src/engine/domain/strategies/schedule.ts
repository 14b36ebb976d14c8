const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const formatters = new Map<string, Intl.DateTimeFormat>()

/**
 * Whether `now` falls inside a strategy's trading window (start_time..end_time in its time zone,
 * on its days). A window that ends before it starts runs over midnight. No schedule: always on.
 */
export function withinSchedule(schedule: Record<string, unknown> | null, now: Date): boolean {
  if (!schedule) return true
  const tz = String(schedule.timezone ?? 'UTC')
  let f = formatters.get(tz)
  if (!f) formatters.set(tz, (f = new Intl.DateTimeFormat('en-US', {timeZone: tz, hour12: false, weekday: 'short', hour: '2-digit', minute: '2-digit'})))
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]))
  const hhmm = `${parts.hour === '24' ? '00' : parts.hour}:${parts.minute}`
  const day = String(parts.weekday).slice(0, 3).toLowerCase()
  const days = schedule.days as string[] | undefined
  if (days && !days.includes(day)) return false
  const start = String(schedule.start_time)
  const end = String(schedule.end_time)
  return start <= end ? hhmm >= start && hhmm < end : hhmm >= start || hhmm < end
}

export {dayNames}
