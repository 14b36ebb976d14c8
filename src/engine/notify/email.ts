import type {SMTPTransportOptions, Transporter} from 'nodemailer'
import {cap, firstLine, hide, levelTag, oneLine, showValue} from './text.js'
import {ChannelError, type Channel, type Notification, type NotifyLogger} from './types.js'

export interface EmailOptions {
  host: string
  port?: number
  username?: string
  password?: string
  from: string
  /** tls: TLS from the first byte; starttls: upgrade required; none: plain. Unset: tls on 465, else upgrade when offered. */
  tls?: 'tls' | 'starttls' | 'none'
  timeoutMs?: number
  rejectUnauthorized?: boolean
  /** Our name in EHLO. */
  clientName?: string
  logger?: NotifyLogger
}

const DEFAULT_TIMEOUT_MS = 10_000

/** The server's answer, not the error's wording, decides: a 5xx reply will be the same next time. */
const isPermanent = (e: {permanent?: boolean; responseCode?: number}) => e.permanent ?? (e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode !== 503)

/** A bare address is an email; anything else (a phone number) belongs to another channel. */
const isEmail = (r: string) => r.includes('@')

export function emailSubject(n: Notification): string {
  const what = n.kind === 'resolved' ? n.rule : `${n.rule} ${n.kind}`
  return cap(oneLine(`[ordermon] ${levelTag(n)} ${what}: ${n.message}`), 200)
}

export function emailText(n: Notification): string {
  const rows: Array<[string, string]> = [
    ['Rule', n.rule],
    ['Level', n.level],
    ['Category', n.category],
    ['Value', showValue(n.value)],
    ['Time', n.at],
    ['Host', n.instance ? `${n.host} (${n.instance})` : n.host],
    ['Id', n.id],
  ]
  const title = n.kind === 'resolved' ? `Resolved: ${n.rule}` : `Alert ${n.kind}: ${n.rule}`
  return [title, '', n.message, '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`), '', '-- ordermon', ''].join('\n')
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function emailHtml(n: Notification): string {
  const color = n.kind === 'resolved' ? '#2e7d32' : n.level === 'critical' ? '#c62828' : n.level === 'warning' ? '#ef6c00' : '#1565c0'
  const row = (k: string, v: string) => `<tr><td style="color:#666;padding-right:12px">${k}</td><td>${escapeHtml(v)}</td></tr>`
  return [
    `<p style="font-weight:bold;color:${color}">${escapeHtml(`${levelTag(n)} ${n.rule}`)}</p>`,
    `<p>${escapeHtml(n.message)}</p>`,
    '<table>',
    row('Value', showValue(n.value)),
    row('Time', n.at),
    row('Host', n.instance ? `${n.host} (${n.instance})` : n.host),
    row('Category', n.category),
    '</table>',
  ].join('\n')
}

/**
 * Mail over SMTP, one connection per notification (alerts are rare; a pool would hold a socket open
 * to a server that may drop it). The connection and greeting timeouts come from timeout_ms, so a
 * dead server fails the attempt rather than hanging it. The password stays in nodemailer: errors
 * are rewritten without it, and nodemailer's own logging is off.
 */
export class EmailChannel implements Channel {
  readonly name = 'email'
  private transport?: Promise<Transporter>

  constructor(private readonly options: EmailOptions) {}

  async send(n: Notification): Promise<void> {
    const to = n.recipients.filter(isEmail)
    if (to.length === 0) return
    const transport = await this.open()
    try {
      const info = (await transport.sendMail({
        from: this.options.from,
        to,
        subject: emailSubject(n),
        text: emailText(n),
        html: emailHtml(n),
        headers: {'X-Ordermon-Notification': n.id},
      })) as {rejected?: unknown[]}
      // Some recipients refused, the others got it: a retry would send it to them twice.
      if (info.rejected?.length) this.options.logger?.warn('email: some recipients refused', {rule: n.rule, refused: info.rejected.map(String)})
    } catch (error) {
      throw this.failure(error)
    }
  }

  async close(): Promise<void> {
    const transport = this.transport
    this.transport = undefined
    if (transport) (await transport.catch(() => undefined))?.close()
  }

  private open(): Promise<Transporter> {
    // nodemailer is loaded when the first mail goes out, not when the engine starts.
    this.transport ??= import('nodemailer').then((m) => m.default.createTransport(this.transportOptions()))
    return this.transport
  }

  private transportOptions(): SMTPTransportOptions {
    const o = this.options
    const port = o.port ?? (o.tls === 'tls' ? 465 : 587)
    const timeout = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return {
      host: o.host,
      port,
      secure: o.tls === 'tls' || (o.tls === undefined && port === 465),
      requireTLS: o.tls === 'starttls',
      ignoreTLS: o.tls === 'none',
      auth: o.username ? {user: o.username, pass: o.password ?? ''} : undefined,
      name: o.clientName,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
      tls: {rejectUnauthorized: o.rejectUnauthorized ?? true},
      pool: false,
      logger: false,
      debug: false,
    }
  }

  /** A ChannelError that names the server and the reason, with the password (in any encoding) removed. */
  private failure(error: unknown): ChannelError {
    const e = error as {code?: string; responseCode?: number; permanent?: boolean}
    const {username, password} = this.options
    const secrets = password
      ? [password, b64(password), b64(`\u0000${username ?? ''}\u0000${password}`), b64(`${username ?? ''}\u0000${username ?? ''}\u0000${password}`)]
      : []
    const reason = hide(firstLine(error), secrets)
    const where = `email via ${this.options.host}:${this.options.port ?? (this.options.tls === 'tls' ? 465 : 587)}`
    return new ChannelError(`${where}: ${reason}${e.code && !reason.includes(e.code) ? ` (${e.code})` : ''}`, {permanent: isPermanent(e)})
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64')
