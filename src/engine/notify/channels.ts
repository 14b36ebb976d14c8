import type {OrdermonConfig} from '../config/index.js'
import {EmailChannel} from './email.js'
import {LogChannel} from './log-channel.js'
import {SmsChannel, smsProvider} from './sms.js'
import type {Channel, NotifyLogger} from './types.js'
import {WebhookChannel} from './webhook.js'

export interface ChannelDeps {
  logger: NotifyLogger
  /** Sent as user-agent ordermon/<version>. */
  version: string
  /** This machine's name: the EHLO name and the default sender's domain. */
  host: string
}

/**
 * The channels the configuration sets up, by name: email when smtp_server is set, webhook when url
 * is, sms when provider is, and log always. Opening does no I/O (SMTP connects at the first mail);
 * a provider that is unknown or lacks its keys throws OrdermonError (invalidInput).
 */
export function openChannels(config: OrdermonConfig['notification'], deps: ChannelDeps): Map<string, Channel> {
  const channels = new Map<string, Channel>()
  const {email, webhook, sms} = config
  if (email?.smtp_server)
    channels.set(
      'email',
      new EmailChannel({
        host: email.smtp_server,
        port: email.smtp_port,
        username: email.username || undefined,
        password: email.password,
        from: email.from || (email.username?.includes('@') ? email.username : `ordermon@${deps.host}`),
        tls: email.tls,
        timeoutMs: email.timeout_ms,
        rejectUnauthorized: email.reject_unauthorized,
        clientName: deps.host,
        logger: deps.logger,
      }),
    )
  if (webhook?.url)
    channels.set('webhook', new WebhookChannel({url: webhook.url, secret: webhook.secret || undefined, timeoutMs: webhook.timeout_ms, headers: webhook.headers, version: deps.version}))
  if (sms?.provider) channels.set('sms', new SmsChannel(smsProvider(sms, deps.logger)))
  channels.set('log', new LogChannel(deps.logger))
  return channels
}
