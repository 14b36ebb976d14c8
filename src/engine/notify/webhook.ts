import {createHmac} from 'node:crypto'
import {redactWebhookUrl} from '../config/redact.js'
import {isPermanentStatus, post} from './http.js'
import {cap, hide, oneLine} from './text.js'
import {ChannelError, type Channel, type Notification} from './types.js'

export interface WebhookOptions {
  url: string
  /** When set, X-Ordermon-Signature: sha256=<hex HMAC-SHA256 of the body> lets the receiver check the sender. */
  secret?: string
  timeoutMs?: number
  /** Extra headers (an Authorization token, a routing key); ours win on the names we set. */
  headers?: Record<string, string>
  version: string
}

export const SIGNATURE_HEADER = 'x-ordermon-signature'
const DEFAULT_TIMEOUT_MS = 5_000

/** HMAC-SHA256 of the exact body bytes, as the receiver recomputes it. */
export const signBody = (body: string, secret: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

/**
 * POSTs each notification as JSON: {"event": "alert.raised", ...notification}. 2xx is delivered;
 * 4xx other than 408/429 (and a redirect) will not change on retry; anything else may.
 */
export class WebhookChannel implements Channel {
  readonly name = 'webhook'
  private readonly target: string
  private readonly label: string
  private readonly auth?: string

  constructor(private readonly options: WebhookOptions) {
    // fetch refuses URLs with user:password; send them as Basic auth, as curl would.
    const u = new URL(options.url)
    if (u.username || u.password) {
      this.auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
      u.username = ''
      u.password = ''
    }
    this.target = u.toString()
    this.label = `webhook ${redactWebhookUrl(options.url)}`
  }

  async send(n: Notification): Promise<void> {
    const body = JSON.stringify({event: `alert.${n.kind}`, ...n})
    const headers: Record<string, string> = {
      ...lowerKeys(this.options.headers ?? {}),
      'content-type': 'application/json',
      'user-agent': `ordermon/${this.options.version}`,
      // The same id on every retry: a receiver that saw it already can drop the duplicate.
      'x-ordermon-delivery': n.id,
    }
    if (this.auth && !headers.authorization) headers.authorization = this.auth
    if (this.options.secret) headers[SIGNATURE_HEADER] = signBody(body, this.options.secret)
    const answer = await post(this.target, {headers, body, timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS}, this.label)
    if (answer.status >= 200 && answer.status < 300) return
    // What the receiver said helps (Slack's "invalid_payload"), but an echo server may repeat our secrets.
    const text = hide(answer.body, [this.options.secret, this.auth?.slice('Basic '.length), ...Object.values(this.options.headers ?? {})])
    const said = text.trim() ? `: ${cap(oneLine(text), 200)}` : ''
    if (answer.status >= 300 && answer.status < 400)
      throw new ChannelError(`${this.label} answered ${answer.status} (a redirect; configure the URL it points to)`, {permanent: true})
    throw new ChannelError(`${this.label} answered ${answer.status}${said}`, {permanent: isPermanentStatus(answer.status)})
  }
}

/** Header names are case-insensitive; lower-casing lets ours replace a configured Content-Type. */
const lowerKeys = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))
