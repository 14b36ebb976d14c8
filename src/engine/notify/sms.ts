import {createHmac, randomUUID} from 'node:crypto'
import {invalidInput} from '../errors.js'
import {isPermanentStatus, post} from './http.js'
import {cap, hide, levelTag, oneLine} from './text.js'
import {ChannelError, type Channel, type Notification, type NotifyLogger} from './types.js'

/** One SMS gateway. `send` throws ChannelError (permanent when the number or the account is refused). */
export interface SmsProvider {
  readonly name: string
  send(phone: string, text: string): Promise<void>
}

/** notification.sms as configured. */
export interface SmsConfig {
  provider?: string
  access_key?: string
  secret_key?: string
  sign_name?: string
  template_code?: string
  endpoint?: string
}

export const SMS_MAX_CHARS = 300
const PHONE = /^\+?\d{6,15}$/

/** A phone number as written in a rule, spaces and dashes allowed ("+86 138-0013-8000"); else undefined. */
export function phoneOf(recipient: string): string | undefined {
  const p = recipient.replace(/[\s-]/g, '')
  return PHONE.test(p) ? p : undefined
}

export const smsText = (n: Notification): string => cap(oneLine(`[ordermon] ${levelTag(n)} ${n.rule}: ${n.message}`), SMS_MAX_CHARS)

/** Writes each SMS to the system log instead of sending it: for trials, and to see what would go out. */
export function logSmsProvider(logger: NotifyLogger): SmsProvider {
  return {
    name: 'log',
    async send(phone, text) {
      logger.info('sms (log provider)', {phone, text})
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Aliyun Dysmsapi (SendSms, API version 2017-05-25), signed per Aliyun's RPC signature v1.

export const ALIYUN_ENDPOINT = 'https://dysmsapi.aliyuncs.com/'

/** RFC 3986 encoding as Aliyun signs it: everything but A-Z a-z 0-9 - _ . ~ is %XX. */
export const aliyunEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** Signature of an RPC request: HMAC-SHA1 (key: secret + "&") of METHOD&%2F&encode(sorted query). */
export function aliyunSignature(method: string, params: Record<string, string>, secret: string): string {
  const query = canonicalQuery(params)
  const stringToSign = `${method}&${aliyunEncode('/')}&${aliyunEncode(query)}`
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64')
}

const canonicalQuery = (params: Record<string, string>) =>
  Object.keys(params)
    .sort()
    .map((k) => `${aliyunEncode(k)}=${aliyunEncode(params[k]!)}`)
    .join('&')

/** Codes worth another attempt later: throttling, Aliyun's own faults, a clock or nonce hiccup. */
const aliyunRetryable = /^(isp\.|Throttling|ServiceUnavailable|InternalError|isv\.BUSINESS_LIMIT_CONTROL$|SignatureNonceUsed$|InvalidTimeStamp)/

export interface AliyunOptions {
  accessKey: string
  secretKey: string
  signName: string
  templateCode: string
  /** Another endpoint (a regional one, or a local server in tests). */
  endpoint?: string
  timeoutMs?: number
  /** Fixed in tests, so a signed request can be recomputed; otherwise now and a random UUID. */
  now?: () => Date
  nonce?: () => string
}

/**
 * SendSms to one number. The template must have one variable, `${message}`, which receives the
 * text. Numbers go without the leading "+" (Aliyun's format: country code and number).
 */
export function aliyunSmsProvider(o: AliyunOptions): SmsProvider {
  const endpoint = o.endpoint ?? ALIYUN_ENDPOINT
  const label = `sms aliyun ${new URL(endpoint).host}`
  return {
    name: 'aliyun',
    async send(phone, text) {
      const params: Record<string, string> = {
        AccessKeyId: o.accessKey,
        Action: 'SendSms',
        Format: 'JSON',
        PhoneNumbers: phone.replace(/^\+/, ''),
        RegionId: 'cn-hangzhou',
        SignName: o.signName,
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: (o.nonce ?? randomUUID)(),
        SignatureVersion: '1.0',
        TemplateCode: o.templateCode,
        TemplateParam: JSON.stringify({message: text}),
        Timestamp: (o.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        Version: '2017-05-25',
      }
      const body = `${canonicalQuery(params)}&Signature=${aliyunEncode(aliyunSignature('POST', params, o.secretKey))}`
      const answer = await post(endpoint, {headers: {'content-type': 'application/x-www-form-urlencoded'}, body, timeoutMs: o.timeoutMs ?? 10_000}, label)
      const reply = parseReply(answer.body)
      if (answer.status >= 200 && answer.status < 300 && reply.Code === 'OK') return
      // Aliyun's SignatureDoesNotMatch message quotes the string to sign, AccessKeyId included.
      const said = hide(cap(oneLine(`${reply.Code ?? ''} ${reply.Message ?? answer.body}`), 200), [o.accessKey, aliyunEncode(o.accessKey), o.secretKey])
      const permanent = reply.Code ? !aliyunRetryable.test(reply.Code) && (answer.status < 300 || isPermanentStatus(answer.status)) : isPermanentStatus(answer.status)
      throw new ChannelError(`${label} answered ${answer.status}: ${said}`, {permanent})
    },
  }
}

function parseReply(body: string): {Code?: string; Message?: string} {
  try {
    const v = JSON.parse(body) as unknown
    return v && typeof v === 'object' ? (v as {Code?: string; Message?: string}) : {}
  } catch {
    return {}
  }
}

// Twilio (documented, not shipped): POST https://api.twilio.com/2010-04-01/Accounts/{access_key}/Messages.json
// with Basic auth access_key:secret_key (Account SID : Auth Token), form fields To=<+E.164>,
// From=<sign_name: a Twilio number or Messaging Service SID>, Body=<text>; 201 is sent, the JSON
// error `code` says why not (21211 invalid To: permanent; 20429 too many requests: retry).

/** The provider notification.sms names; an unknown one, or missing keys, is a configuration error. */
export function smsProvider(config: SmsConfig, logger: NotifyLogger): SmsProvider {
  const provider = config.provider?.trim().toLowerCase()
  if (provider === 'log') return logSmsProvider(logger)
  if (provider === 'aliyun') {
    const missing = (['access_key', 'secret_key', 'sign_name', 'template_code'] as const).filter((k) => !config[k])
    if (missing.length)
      throw invalidInput(`notification.sms: the aliyun provider needs ${missing.join(', ')}.`, 'Set them in config/notification.yaml or the environment, or use provider: log.')
    return aliyunSmsProvider({accessKey: config.access_key!, secretKey: config.secret_key!, signName: config.sign_name!, templateCode: config.template_code!, endpoint: config.endpoint})
  }
  throw invalidInput(`notification.sms.provider: ${config.provider} is not supported.`, 'Use log or aliyun (twilio is documented in src/engine/notify/sms.ts but not shipped).')
}

/**
 * SMS to each phone number among the recipients (email addresses are skipped). A number reached is
 * remembered for that notification, so a retry after a partial failure texts only the others.
 */
export class SmsChannel implements Channel {
  readonly name = 'sms'
  private readonly reached = new Set<string>()

  constructor(private readonly provider: SmsProvider) {}

  async send(n: Notification): Promise<void> {
    const phones = [...new Set(n.recipients.map(phoneOf).filter((p): p is string => p !== undefined))]
    const text = smsText(n)
    const failures: Array<{phone: string; error: ChannelError}> = []
    for (const phone of phones) {
      const key = `${n.id}\u0000${phone}`
      if (this.reached.has(key)) continue
      try {
        await this.provider.send(phone, text)
        this.remember(key)
      } catch (error) {
        failures.push({phone, error: error instanceof ChannelError ? error : new ChannelError(String((error as Error)?.message ?? error))})
      }
    }
    if (failures.length === 0) return
    const first = failures[0]!
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''
    // Permanent only when no number could succeed on retry.
    throw new ChannelError(`sms to ${first.phone}${more}: ${first.error.message}`, {permanent: failures.every((f) => f.error.permanent)})
  }

  /** Bounded: only recent notifications are retried, older keys can go. */
  private remember(key: string): void {
    this.reached.add(key)
    if (this.reached.size > 10_000) this.reached.delete(this.reached.values().next().value!)
  }
}
