import chalk from 'chalk'
import type {AlertCheck, AlertWithNotifications, NotificationRecord} from '../../engine/index.js'
import type {Column} from '../output.js'

const levelColor: Record<string, (s: string) => string> = {critical: chalk.red.bold, error: chalk.red, warning: chalk.yellow, info: chalk.cyan}
export const colorLevel = (level: string) => (levelColor[level] ?? ((s: string) => s))(level)

/** Per channel: sent, retrying (attempts) or failed: `email ok, webhook retrying (3)`. */
export function deliverySummary(notes: NotificationRecord[]): string {
  const newest = new Map<string, NotificationRecord>()
  for (const n of notes) newest.set(n.channel, n)
  return [...newest.values()]
    .map((n) => (n.status === 'sent' ? `${n.channel} ok` : n.status === 'pending' ? chalk.yellow(`${n.channel} retrying (${n.attempts})`) : chalk.red(`${n.channel} failed`)))
    .join(', ')
}

export const alertColumns: Column<AlertWithNotifications>[] = [
  {header: 'ID', get: (a) => a.id},
  {header: 'Raised', get: (a) => a.created_at.replace('T', ' ').slice(0, 19)},
  {header: 'Level', get: (a) => a.level, color: (s) => colorLevel(s)},
  {header: 'Category', get: (a) => a.category},
  {header: 'Rule', get: (a) => a.rule},
  {header: 'Message', get: (a) => a.message},
  {header: 'Status', get: (a) => a.status},
  {header: 'Notified', get: (a) => deliverySummary(a.notifications) || '-'},
]

export const undeliveredColumns: Column<NotificationRecord>[] = [
  {header: 'Alert', get: (n) => n.alert_id},
  {header: 'Channel', get: (n) => n.channel},
  {header: 'Kind', get: (n) => n.kind},
  {header: 'Status', get: (n) => n.status},
  {header: 'Attempts', get: (n) => n.attempts},
  {header: 'Last error', get: (n) => n.last_error ?? ''},
]

/** One line per change a watcher saw: `14:35:22  RAISED   critical engine_dead (value 42.1)`. */
export function checkLines(c: AlertCheck): string[] {
  return c.changes.map((t) => `${chalk.dim(c.at.slice(11, 19))}  ${(t.kind === 'resolved' ? chalk.green : chalk.red)(t.kind.toUpperCase().padEnd(8))} ${colorLevel(t.level).padEnd(8)} ${t.rule}${t.value === null ? '' : ` (value ${String(t.value)})`}`)
}
