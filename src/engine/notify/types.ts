/** One thing to tell a person about an alert; every channel renders the same record its own way. */
export interface Notification {
  /** Stable id of this notification (alert id + kind + count), sent to receivers for dedupe. */
  id: string
  kind: 'raised' | 'repeated' | 'resolved'
  rule: string
  level: 'info' | 'warning' | 'critical'
  category: string
  message: string
  value: number | string | boolean | null
  /** ISO time. */
  at: string
  host: string
  instance?: string
  /** Emails for email, phone numbers for sms; the webhook ignores them. */
  recipients: string[]
}

export type ChannelName = 'email' | 'webhook' | 'sms' | 'log'

export interface Channel {
  readonly name: ChannelName
  /** Resolves once the notification is handed over; throws ChannelError otherwise. */
  send(n: Notification): Promise<void>
  close?(): Promise<void>
}

/** What a channel writes to: the system logger, or anything with its three methods. */
export interface NotifyLogger {
  info(message: string, meta?: object): void
  warn(message: string, meta?: object): void
  error(message: string, meta?: object): void
}

/**
 * A notification that did not go out. `permanent` means sending the same notification again would
 * fail the same way (a 4xx other than 408/429, a refused recipient, a 5xx SMTP reply): do not retry.
 * Messages never carry a password, secret or credential-bearing URL.
 */
export class ChannelError extends Error {
  readonly permanent: boolean

  constructor(message: string, options: {permanent?: boolean; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'ChannelError'
    this.permanent = options.permanent ?? false
  }
}
