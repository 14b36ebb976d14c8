import {MAX_ATTEMPTS, retryDelayMs, sendWithTimeout} from '../notify/backoff.js'
import type {Channel, Notification} from '../notify/types.js'
import type {AlertRepo} from '../store/repos/alerts.js'

export interface Delivery {
  /** Its alert_notifications row; none when the database was down as the alert was raised. */
  rowId?: number
  channel: string
  notification: Notification
  attempts: number
  dueAt: number
}

export interface NotifierOptions {
  channels: Map<string, Channel>
  /** Where delivery outcomes are recorded; undefined rows are sent all the same. */
  alerts: AlertRepo
  logger: {info(m: string, meta?: object): void; warn(m: string, meta?: object): void; error(m: string, meta?: object): void}
  /** A channel that has not answered within this long has failed this attempt. */
  timeoutMs?: number
  /** Deliveries held at most; past it the oldest are given up (and recorded as failed). */
  maxQueue?: number
}

const DEFAULT_TIMEOUT_MS = 15_000
const DEFAULT_MAX_QUEUE = 1000
/** Sends per run: one run never holds its loop for long, whatever piled up. */
const SENDS_PER_RUN = 20

const errorLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 300)

/**
 * Sends queued notifications, each channel on its own, with a timeout per attempt and retries with
 * backoff. It runs on a loop of its own: a dead SMTP server or webhook delays only later
 * notifications, never the engine's sampling or trading. Outcomes go to alert_notifications, so a
 * channel that keeps failing is visible in `monitor alerts`.
 */
export class Notifier {
  private queue: Delivery[] = []
  sentTotal = 0
  failedTotal = 0

  private channels: Map<string, Channel>

  constructor(private readonly options: NotifierOptions) {
    this.channels = options.channels
  }

  /** A reload's channels: queued deliveries go out through them from now on. */
  setChannels(channels: Map<string, Channel>): void {
    this.channels = channels
  }

  get pending(): number {
    return this.queue.length
  }

  enqueue(deliveries: Delivery[]): void {
    this.queue.push(...deliveries)
    const max = this.options.maxQueue ?? DEFAULT_MAX_QUEUE
    if (this.queue.length <= max) return
    const dropped = this.queue.splice(0, this.queue.length - max)
    for (const d of dropped) void this.record(d, 'queue full: given up', null)
    this.failedTotal += dropped.length
    this.options.logger.warn('notifications given up: queue full', {dropped: dropped.length})
  }

  /** Sends what is due, up to SENDS_PER_RUN; returns how many were attempted. */
  async run(now = Date.now()): Promise<number> {
    const due = this.queue.filter((d) => d.dueAt <= now).slice(0, SENDS_PER_RUN)
    if (due.length === 0) return 0
    this.queue = this.queue.filter((d) => !due.includes(d))
    // Channels are independent: a slow one does not hold the others' notifications.
    await Promise.all(due.map((d) => this.attempt(d)))
    return due.length
  }

  /** At stop: one last attempt of everything queued, bounded by the channel timeout. */
  async flush(): Promise<void> {
    const all = this.queue
    this.queue = []
    await Promise.all(all.map((d) => this.attempt(d, true)))
  }

  private async attempt(d: Delivery, last = false): Promise<void> {
    const channel = this.channels.get(d.channel)
    d.attempts++
    if (!channel) {
      this.failedTotal++
      await this.record(d, `channel ${d.channel} is not configured`, null)
      return
    }
    try {
      await sendWithTimeout(channel, d.notification, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
      this.sentTotal++
      if (d.rowId) await this.options.alerts.notificationSent(d.rowId, d.attempts, new Date()).catch(() => {})
    } catch (error) {
      const permanent = Boolean((error as {permanent?: boolean}).permanent)
      const retry = !permanent && !last && d.attempts < MAX_ATTEMPTS
      const message = errorLine(error)
      this.options.logger.warn('notification not delivered', {channel: d.channel, rule: d.notification.rule, attempt: d.attempts, error: message, retry})
      if (retry) {
        d.dueAt = Date.now() + retryDelayMs(d.attempts)
        this.queue.push(d)
        await this.record(d, message, new Date(d.dueAt))
      } else {
        this.failedTotal++
        await this.record(d, message, last && !permanent && d.attempts < MAX_ATTEMPTS ? new Date() : null)
      }
    }
  }

  /** Records an outcome; a database that is down loses the record, never the notification. */
  private async record(d: Delivery, error: string, nextAttemptAt: Date | null): Promise<void> {
    if (!d.rowId) return
    await this.options.alerts.notificationFailed(d.rowId, d.attempts, error, nextAttemptAt).catch(() => {})
  }
}
