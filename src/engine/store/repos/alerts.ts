import type {Knex} from 'knex'
import {classifyFailure} from '../../errors.js'
import type {Dialect} from '../dialect.js'

export type AlertStatus = 'active' | 'acknowledged' | 'resolved'
export type NotificationKind = 'raised' | 'repeated' | 'resolved'
export type NotificationStatus = 'pending' | 'sent' | 'failed'

export interface AlertRecord {
  id: number
  rule: string
  level: string
  category: string
  message: string
  value: string | null
  status: AlertStatus
  raised_by: string | null
  notify_count: number
  created_at: string
  updated_at: string
  resolved_at: string | null
  last_notified_at: string | null
  acknowledged_at: string | null
  acknowledged_by: string | null
  note: string | null
  details: Record<string, unknown>
}

export interface NewAlert {
  rule: string
  level: string
  category: string
  message: string
  value: string | null
  raised_by: string
  details?: Record<string, unknown>
  at: Date
}

export interface AlertFilter {
  levels?: string[]
  statuses?: AlertStatus[]
  since?: Date
  rule?: string
  limit?: number
  offset?: number
}

export interface NotificationRecord {
  id: number
  alert_id: number
  kind: NotificationKind
  channel: string
  recipients: string[]
  status: NotificationStatus
  attempts: number
  last_error: string | null
  next_attempt_at: string | null
  sent_at: string | null
  created_at: string
}

/** The open-alert key: the rule's name while open, NULL once resolved (unique: one open alert per rule). */
const openKey = (rule: string) => rule.slice(0, 64)

/** alerts and alert_notifications: what was raised, by which rule, and what was sent about it. */
export class AlertRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  /**
   * Opens an alert for a rule, unless one is open already (raised by another process a moment ago,
   * or before a restart): then that one is returned with `created: false`.
   */
  async open(a: NewAlert): Promise<{alert: AlertRecord; created: boolean}> {
    const row = {
      rule: a.rule,
      open_key: openKey(a.rule),
      level: a.level,
      category: a.category,
      message: a.message.slice(0, 1024),
      value: a.value?.slice(0, 64) ?? null,
      status: 'active',
      raised_by: a.raised_by.slice(0, 128),
      details: this.dialect.toJson(a.details ?? {}),
      created_at: this.dialect.toDb(a.at),
      last_notified_at: this.dialect.toDb(a.at),
      notify_count: 1,
    }
    try {
      const [id] = await this.knex('alerts').insert(row)
      return {alert: (await this.find(Number(id)))!, created: true}
    } catch (error) {
      if (classifyFailure(error).failure !== 'duplicate') throw error
      const open = await this.openFor(a.rule)
      if (!open) throw error
      return {alert: open, created: false}
    }
  }

  async openFor(rule: string): Promise<AlertRecord | undefined> {
    const r = await this.knex('alerts').where({open_key: openKey(rule)}).first()
    return r ? this.toAlert(r) : undefined
  }

  /** Every open alert (active or acknowledged), oldest first. */
  async openAlerts(): Promise<AlertRecord[]> {
    return (await this.knex('alerts').whereNotNull('open_key').orderBy('id')).map((r) => this.toAlert(r))
  }

  async findMany(ids: number[]): Promise<AlertRecord[]> {
    if (ids.length === 0) return []
    return (await this.knex('alerts').whereIn('id', ids)).map((r) => this.toAlert(r))
  }

  async find(id: number): Promise<AlertRecord | undefined> {
    const r = await this.knex('alerts').where({id}).first()
    return r ? this.toAlert(r) : undefined
  }

  /** Records a repeated notification; false when the alert is no longer open. */
  async notified(id: number, at: Date, value: string | null): Promise<boolean> {
    const n = await this.knex('alerts')
      .where({id})
      .whereNotNull('open_key')
      .update({last_notified_at: this.dialect.toDb(at), value: value?.slice(0, 64) ?? null, notify_count: this.knex.raw('notify_count + 1')})
    return n > 0
  }

  /** Closes an open alert; false when it was resolved already (by another process). */
  async resolve(id: number, at: Date, value: string | null): Promise<boolean> {
    const n = await this.knex('alerts')
      .where({id})
      .whereNotNull('open_key')
      .update({open_key: null, status: 'resolved', resolved_at: this.dialect.toDb(at), value: value?.slice(0, 64) ?? null})
    return n > 0
  }

  /** Acknowledges an open alert: it stays open until its condition clears, but is not repeated. */
  async acknowledge(id: number, by: string, note: string | null, at: Date): Promise<boolean> {
    const n = await this.knex('alerts')
      .where({id})
      .whereNotNull('open_key')
      .update({status: 'acknowledged', acknowledged_at: this.dialect.toDb(at), acknowledged_by: by.slice(0, 128), note: note?.slice(0, 512) ?? null})
    return n > 0
  }

  private filtered(f: AlertFilter): Knex.QueryBuilder {
    const q = this.knex('alerts')
    if (f.levels?.length) q.whereIn('level', f.levels)
    if (f.statuses?.length) q.whereIn('status', f.statuses)
    if (f.since) q.where('created_at', '>=', this.dialect.toDb(f.since))
    if (f.rule) q.where('rule', f.rule)
    return q
  }

  async list(f: AlertFilter = {}): Promise<AlertRecord[]> {
    const q = this.filtered(f).orderBy('id', 'desc').limit(Math.min(f.limit ?? 200, 10_000))
    if (f.offset) q.offset(f.offset)
    return (await q).map((r: Record<string, unknown>) => this.toAlert(r))
  }

  async count(f: AlertFilter = {}): Promise<number> {
    const row = await this.filtered(f).count({n: '*'}).first()
    return Number(row?.n ?? 0)
  }

  // --- notifications ---------------------------------------------------------------------------

  async addNotifications(rows: {alert_id: number; kind: NotificationKind; channel: string; recipients: string[]; claimed_by: string; at: Date}[]): Promise<number[]> {
    const ids: number[] = []
    // One insert per row: ids are needed back, and a notification is a few rows at most.
    for (const r of rows) {
      const [id] = await this.knex('alert_notifications').insert({
        alert_id: r.alert_id,
        kind: r.kind,
        channel: r.channel,
        recipients: JSON.stringify(r.recipients),
        status: 'pending',
        claimed_by: r.claimed_by.slice(0, 128),
        next_attempt_at: this.dialect.toDb(r.at),
        created_at: this.dialect.toDb(r.at),
      })
      ids.push(Number(id))
    }
    return ids
  }

  async notificationSent(id: number, attempts: number, at: Date): Promise<void> {
    await this.knex('alert_notifications').where({id}).update({status: 'sent', attempts, sent_at: this.dialect.toDb(at), last_error: null, claimed_by: null})
  }

  async notificationFailed(id: number, attempts: number, error: string, nextAttemptAt: Date | null): Promise<void> {
    await this.knex('alert_notifications')
      .where({id})
      .update({status: nextAttemptAt ? 'pending' : 'failed', attempts, last_error: error.slice(0, 512), next_attempt_at: nextAttemptAt ? this.dialect.toDb(nextAttemptAt) : null, ...(nextAttemptAt ? {} : {claimed_by: null})})
  }

  /**
   * Takes over pending notifications left by a process that is gone: claimed by none of
   * `liveClaimers` and overdue since `overdueBefore` (a live claimer retries within its longest
   * backoff). One UPDATE claims them, so two processes adopting at once never both send one.
   */
  async adoptPending(claimedBy: string, liveClaimers: string[], overdueBefore: Date, limit: number): Promise<NotificationRecord[]> {
    const me = claimedBy.slice(0, 128)
    const candidates = await this.knex('alert_notifications')
      .where({status: 'pending'})
      .where('next_attempt_at', '<', this.dialect.toDb(overdueBefore))
      .orderBy('id')
      .limit(limit)
      .select('id', 'claimed_by')
    const ids = candidates.filter((r) => !r.claimed_by || !liveClaimers.includes(r.claimed_by)).map((r) => Number(r.id))
    if (ids.length === 0) return []
    const claim = this.knex('alert_notifications').whereIn('id', ids).where({status: 'pending'}).where('next_attempt_at', '<', this.dialect.toDb(overdueBefore))
    if (liveClaimers.length) claim.where((q) => q.whereNull('claimed_by').orWhereNotIn('claimed_by', liveClaimers))
    await claim.update({claimed_by: me, next_attempt_at: this.dialect.toDb(new Date())})
    const rows = await this.knex('alert_notifications').whereIn('id', ids).where({status: 'pending', claimed_by: me}).orderBy('id')
    return rows.map((r) => this.toNotification(r))
  }

  async notificationsFor(alertIds: number[]): Promise<NotificationRecord[]> {
    if (alertIds.length === 0) return []
    const rows = await this.knex('alert_notifications').whereIn('alert_id', alertIds).orderBy('id')
    return rows.map((r) => this.toNotification(r))
  }

  /** Notifications not delivered (still retrying, or given up), newest first. */
  async undelivered(limit = 100): Promise<NotificationRecord[]> {
    const rows = await this.knex('alert_notifications').whereIn('status', ['pending', 'failed']).orderBy('id', 'desc').limit(limit)
    return rows.map((r) => this.toNotification(r))
  }

  /** Deletes one batch of resolved alerts (and their notifications) resolved before `before`. */
  async pruneBatch(before: Date, batch: number): Promise<number> {
    const ids = (await this.knex('alerts').whereNull('open_key').where('resolved_at', '<', this.dialect.toDb(before)).orderBy('id').limit(batch).select('id')).map((r) => Number(r.id))
    if (ids.length === 0) return 0
    await this.knex('alert_notifications').whereIn('alert_id', ids).delete()
    return this.knex('alerts').whereIn('id', ids).delete()
  }

  private toAlert(r: Record<string, any>): AlertRecord {
    return {
      id: Number(r.id),
      rule: r.rule,
      level: r.level,
      category: r.category,
      message: r.message,
      value: r.value ?? null,
      status: r.status,
      raised_by: r.raised_by ?? null,
      notify_count: Number(r.notify_count ?? 0),
      created_at: this.dialect.toIso(r.created_at)!,
      updated_at: this.dialect.toIso(r.updated_at)!,
      resolved_at: this.dialect.toIso(r.resolved_at),
      last_notified_at: this.dialect.toIso(r.last_notified_at),
      acknowledged_at: this.dialect.toIso(r.acknowledged_at),
      acknowledged_by: r.acknowledged_by ?? null,
      note: r.note ?? null,
      details: this.dialect.fromJson(r.details, {}),
    }
  }

  private toNotification(r: Record<string, any>): NotificationRecord {
    return {
      id: Number(r.id),
      alert_id: Number(r.alert_id),
      kind: r.kind,
      channel: r.channel,
      recipients: this.dialect.fromJson(r.recipients, [] as string[]),
      status: r.status,
      attempts: Number(r.attempts),
      last_error: r.last_error ?? null,
      next_attempt_at: this.dialect.toIso(r.next_attempt_at),
      sent_at: this.dialect.toIso(r.sent_at),
      created_at: this.dialect.toIso(r.created_at)!,
    }
  }
}
