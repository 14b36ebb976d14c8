import type {Actor} from '../domain/context.js'
import {alertEvents} from '../domain/events.js'
import type {ChangeSource} from '../domain/statuses.js'
import {conflict, invalidInput, notFound} from '../errors.js'
import {requireOneOf} from '../domain/validate.js'
import type {AlertFilter, AlertRecord, AlertStatus, NotificationRecord, Store} from '../store/index.js'

export const alertStatuses: readonly AlertStatus[] = ['active', 'acknowledged', 'resolved']
export const alertLevelNames = ['info', 'warning', 'critical'] as const

export interface AlertListOptions {
  /** At least this level (warning shows warning and critical), as the manual's `--level warning`. */
  level?: (typeof alertLevelNames)[number]
  statuses?: AlertStatus[]
  lastHours?: number
  limit?: number
}

export interface AlertWithNotifications extends AlertRecord {
  notifications: NotificationRecord[]
}

export interface AlertList {
  alerts: AlertWithNotifications[]
  /** Notifications not delivered yet (retrying) or given up, newest first. */
  undelivered: NotificationRecord[]
}

/** The levels at or above `level`. */
export function levelsFrom(level: string): string[] {
  const i = alertLevelNames.indexOf(level as (typeof alertLevelNames)[number])
  if (i < 0) throw invalidInput(`Unknown alert level '${level}': expected ${alertLevelNames.join(', ')}.`)
  // 'error' is a level the original's table knew: it ranks between warning and critical.
  return [...alertLevelNames.slice(i), ...(i <= 1 ? ['error'] : [])]
}

/** What commands (and the API later) ask of alerts: lists with their notifications, acknowledgement. */
export class AlertQueries {
  constructor(private readonly store: Store) {}

  async list(o: AlertListOptions = {}): Promise<AlertList> {
    if (o.lastHours !== undefined && !(o.lastHours > 0 && o.lastHours <= 87_600)) throw invalidInput(`--last-hours must be between 0 and 87600 (got ${o.lastHours}).`)
    const filter: AlertFilter = {
      levels: o.level ? levelsFrom(o.level) : undefined,
      statuses: o.statuses,
      since: o.lastHours ? new Date(Date.now() - o.lastHours * 3_600_000) : undefined,
      limit: o.limit ?? 200,
    }
    const alerts = await this.store.alerts.list(filter)
    const notes = await this.store.alerts.notificationsFor(alerts.map((a) => a.id))
    const byAlert = new Map<number, NotificationRecord[]>()
    for (const n of notes) byAlert.set(n.alert_id, [...(byAlert.get(n.alert_id) ?? []), n])
    return {alerts: alerts.map((a) => ({...a, notifications: byAlert.get(a.id) ?? []})), undelivered: await this.store.alerts.undelivered(50)}
  }

  /** One page of alerts, newest first, with the total: the API's `GET /monitor/alerts?level=&page=&size=`. */
  async page(o: {level?: string; status?: string; page: number; size: number}): Promise<{total: number; page: number; size: number; alerts: AlertRecord[]}> {
    const filter: AlertFilter = {
      levels: o.level ? levelsFrom(o.level) : undefined,
      statuses: o.status ? [requireOneOf('status', o.status, alertStatuses)] : undefined,
    }
    const [total, alerts] = await Promise.all([this.store.alerts.count(filter), this.store.alerts.list({...filter, limit: o.size, offset: (o.page - 1) * o.size})])
    return {total, page: o.page, size: o.size, alerts}
  }

  async acknowledge(id: number, actor: Actor, note?: string): Promise<AlertRecord> {
    if (!Number.isSafeInteger(id) || id <= 0) throw invalidInput(`Alert id must be a positive whole number (got ${id}).`)
    if (note !== undefined && note.length > 512) throw invalidInput('--note is at most 512 characters.')
    return acknowledgeAlert(this.store, id, actor.name, note?.trim() || null, actor.source)
  }
}

/** An operator acknowledges an open alert: it stays until its condition clears, without reminders. */
export async function acknowledgeAlert(store: Store, id: number, by: string, note: string | null, source: ChangeSource): Promise<AlertRecord> {
  return store.transaction(async (tx) => {
    const alert = await tx.alerts.find(id)
    if (!alert) throw notFound(`Alert ${id} not found.`, 'List alerts with `ordermon monitor alerts`.')
    if (alert.status === 'resolved') throw conflict(`Alert ${id} (${alert.rule}) is resolved already.`)
    if (alert.status === 'acknowledged') throw conflict(`Alert ${id} (${alert.rule}) is acknowledged already (by ${alert.acknowledged_by ?? 'someone'}).`)
    await tx.alerts.acknowledge(id, by, note, new Date())
    const acked = (await tx.alerts.find(id))!
    await tx.events.append(alertEvents.changed(acked, 'acknowledged', source, {by, note}))
    return acked
  })
}
