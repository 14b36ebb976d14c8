import {alertEvents} from '../domain/events.js'
import type {AlertEvaluator, AlertTransition} from '../domain/alerts/evaluator.js'
import type {InputValue} from '../domain/alerts/expression.js'
import {formatValue, renderMessage, type AlertRule} from '../domain/alerts/rules.js'
import type {ChangeSource} from '../domain/statuses.js'
import {classifyFailure, isConnectionFailure} from '../errors.js'
import {MAX_DELAY_MS} from '../notify/backoff.js'
import type {Notification} from '../notify/types.js'
import type {AlertRecord, Store} from '../store/index.js'
import type {Delivery, Notifier} from './notifier.js'

export interface AlertServiceOptions {
  store: Store
  notifier: Notifier
  /** Channels configured (log included): a rule without `channels` uses them all. */
  channels(): string[]
  /** Recipients of a rule that names none (notification.recipients): the default rules name none. */
  defaultRecipients(): string[]
  /** Who raises: the engine's instance id, or `watcher@host:pid`. */
  raisedBy: string
  host: string
  source: ChangeSource
  logger: {info(m: string, meta?: object): void; warn(m: string, meta?: object): void; error(m: string, meta?: object): void}
}

/** A transition that could not be written (database down): written once it is back, at most this many kept. */
const MAX_UNWRITTEN = 100

/** A transition waiting to be written, and whether its notification already went out. */
interface Unwritten {
  t: AlertTransition
  notified: boolean
}

/** The value column: as messages show it, NULL when there was none. */
const shown = (v: InputValue | undefined): string | null => (v === undefined || v === null ? null : formatValue(v))

/**
 * What an alert transition becomes: the `alerts` row (one open alert per rule, whichever process
 * raises it), an outbox event (the panel and Redis subscribers see it), and one notification per
 * channel. When the database is down — the very moment a db_connection_failed alert is raised —
 * notifications go out all the same and the rows are written when it answers again.
 */
export class AlertService {
  raisedTotal = 0
  private unwritten: Unwritten[] = []
  /** Open alert ids by rule, as this process knows them. */
  private readonly openIds = new Map<string, number>()

  constructor(private readonly options: AlertServiceOptions) {}

  /** Takes over the open alerts of the rules `evaluator` owns (raised before a restart, or by another process). */
  async adopt(evaluator: AlertEvaluator, rules: AlertRule[]): Promise<void> {
    const mine = new Set(rules.map((r) => r.name))
    for (const a of await this.options.store.alerts.openAlerts()) {
      if (!mine.has(a.rule)) continue
      this.openIds.set(a.rule, a.id)
      evaluator.adopt(a.rule, new Date(a.created_at), new Date(a.last_notified_at ?? a.created_at), a.notify_count || 1)
      if (a.status === 'acknowledged') evaluator.acknowledge(a.rule)
    }
  }

  async apply(transitions: AlertTransition[], evaluator: AlertEvaluator): Promise<void> {
    const work = [...this.unwritten.splice(0), ...transitions.map((t) => ({t, notified: false}))]
    for (const item of work) {
      try {
        await this.write(item.t, item.notified, evaluator)
      } catch (error) {
        if (!isConnectionFailure(classifyFailure(error).failure)) {
          this.options.logger.error('alert not recorded', {rule: item.t.rule.name, kind: item.t.kind, error: String(error)})
          continue
        }
        // Notify now (a person must hear that the database is down), record later.
        if (!item.notified) this.notify(item.t, undefined, item.t.kind === 'repeated' ? item.t.count : 1)
        this.unwritten.push({t: item.t, notified: true})
        if (this.unwritten.length > MAX_UNWRITTEN) this.unwritten.splice(0, this.unwritten.length - MAX_UNWRITTEN)
      }
    }
  }

  /**
   * Rules a reload removed or changed while their alert was open: the alert is closed (an event
   * says why), without a notification, so it does not stay open forever with nothing to resolve it.
   */
  async closeDropped(rules: string[], at = new Date()): Promise<void> {
    for (const rule of rules) {
      const id = this.openIds.get(rule) ?? (await this.options.store.alerts.openFor(rule).catch(() => undefined))?.id
      this.openIds.delete(rule)
      if (!id) continue
      await this.options.store
        .transaction(async (tx) => {
          if (!(await tx.alerts.resolve(id, at, null))) return
          await tx.events.append(alertEvents.changed((await tx.alerts.find(id))!, 'resolved', this.options.source, {reason: 'rule removed or changed by a reload'}))
        })
        .catch((error) => this.options.logger.warn('alert of a removed rule not closed', {rule, error: String(error)}))
    }
  }

  /**
   * Notifications a process left pending when it died (claimed by no live engine, overdue by more
   * than the longest backoff): this one sends them. Bounded per call; the engine calls it at start.
   */
  async adoptOrphans(liveClaimers: string[], limit = 100): Promise<number> {
    const {store} = this.options
    const rows = await store.alerts.adoptPending(this.options.raisedBy, liveClaimers, new Date(Date.now() - MAX_DELAY_MS), limit)
    const alerts = new Map((await store.alerts.findMany([...new Set(rows.map((r) => r.alert_id))])).map((a) => [a.id, a]))
    const deliveries: Delivery[] = []
    for (const row of rows) {
      const alert = alerts.get(row.alert_id)
      if (!alert) continue
      const notification: Notification = {
        id: `${alert.id}-${row.kind}-n${row.id}`,
        kind: row.kind,
        rule: alert.rule,
        level: (['info', 'warning', 'critical'].includes(alert.level) ? alert.level : 'critical') as Notification['level'],
        category: alert.category,
        message: alert.message,
        value: alert.value,
        at: row.created_at,
        host: this.options.host,
        instance: this.options.raisedBy,
        recipients: row.recipients,
      }
      deliveries.push({rowId: row.id, channel: row.channel, notification, attempts: row.attempts, dueAt: 0})
    }
    this.options.notifier.enqueue(deliveries)
    return deliveries.length
  }

  private recipientsOf(rule: AlertRule): string[] {
    return rule.recipients.length ? rule.recipients : this.options.defaultRecipients()
  }

  private async write(t: AlertTransition, notified: boolean, evaluator: AlertEvaluator): Promise<void> {
    const {store} = this.options
    const value = shown(t.value)
    if (t.kind === 'raised') {
      const message = renderMessage(t.rule, t.value)
      const {alert, created} = await store.transaction(async (tx) => {
        const opened = await tx.alerts.open({rule: t.rule.name, level: t.rule.level, category: t.rule.category, message, value, raised_by: this.options.raisedBy, at: t.at, details: {condition: t.rule.condition.source, since: t.since.toISOString()}})
        if (opened.created) await tx.events.append(alertEvents.changed(opened.alert, 'raised', this.options.source, {condition: t.rule.condition.source}))
        return opened
      })
      this.openIds.set(t.rule.name, alert.id)
      if (!created) {
        // Raised by another process first: this one only follows it.
        if (alert.status === 'acknowledged') evaluator.acknowledge(t.rule.name)
        return
      }
      this.raisedTotal++
      this.options.logger.warn('alert raised', {alert_id: alert.id, rule: alert.rule, level: alert.level, value})
      if (!notified) await this.notifyRecorded(t, alert, 1)
    } else if (t.kind === 'repeated') {
      const id = this.openIds.get(t.rule.name) ?? (await store.alerts.openFor(t.rule.name))?.id
      if (!id) return
      const alert = await store.alerts.find(id)
      if (!alert || alert.status !== 'active') {
        // Acknowledged (or resolved) meanwhile: no more reminders for this firing.
        if (alert?.status === 'acknowledged') evaluator.acknowledge(t.rule.name)
        return
      }
      if (!(await store.alerts.notified(id, t.at, value))) return
      await store.events.append(alertEvents.changed(alert, 'repeated', this.options.source, {count: t.count}))
      if (!notified) await this.notifyRecorded(t, {...alert, value}, t.count)
    } else {
      const id = this.openIds.get(t.rule.name) ?? (await store.alerts.openFor(t.rule.name))?.id
      this.openIds.delete(t.rule.name)
      if (!id) return
      const closed = await store.transaction(async (tx) => {
        if (!(await tx.alerts.resolve(id, t.at, value))) return undefined
        const alert = (await tx.alerts.find(id))!
        await tx.events.append(alertEvents.changed(alert, 'resolved', this.options.source, {fired_at: t.firedAt.toISOString()}))
        return alert
      })
      if (!closed) return
      this.options.logger.info('alert resolved', {alert_id: id, rule: t.rule.name, value})
      if (!notified) await this.notifyRecorded(t, closed, 1)
    }
  }

  private async notifyRecorded(t: AlertTransition, alert: AlertRecord, count: number): Promise<void> {
    const channels = this.channelsFor(t.rule)
    const ids = await this.options.store.alerts
      .addNotifications(channels.map((channel) => ({alert_id: alert.id, kind: t.kind, channel, recipients: this.recipientsOf(t.rule), claimed_by: this.options.raisedBy, at: t.at})))
      .catch(() => [] as number[])
    this.notify(t, alert, count, ids)
  }

  private channelsFor(rule: AlertRule): string[] {
    const configured = this.options.channels()
    return rule.channels ? rule.channels.filter((c) => configured.includes(c)) : configured
  }

  private notify(t: AlertTransition, alert: AlertRecord | undefined, count: number, rowIds: number[] = []): void {
    const n: Notification = {
      id: `${alert?.id ?? `${t.rule.name}@${t.at.getTime()}`}-${t.kind}-${count}`,
      kind: t.kind,
      rule: t.rule.name,
      level: t.rule.level,
      category: t.rule.category,
      message: alert?.message ?? renderMessage(t.rule, t.value),
      value: t.value ?? null,
      at: t.at.toISOString(),
      host: this.options.host,
      instance: this.options.raisedBy,
      recipients: this.recipientsOf(t.rule),
    }
    const deliveries: Delivery[] = this.channelsFor(t.rule).map((channel, i) => ({rowId: rowIds[i], channel, notification: n, attempts: 0, dueAt: 0}))
    this.options.notifier.enqueue(deliveries)
  }
}
