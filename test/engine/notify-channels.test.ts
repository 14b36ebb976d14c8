import {createHmac} from 'node:crypto'
import {createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer} from 'node:http'
import {createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket} from 'node:net'
import {simpleParser, type ParsedMail} from 'mailparser'
import {SMTPServer, type SMTPServerOptions} from 'smtp-server'
import {afterEach, describe, expect, it} from 'vitest'
import {isOrdermonError} from '../../src/engine/errors.js'
import {MAX_ATTEMPTS, retryDelayMs, sendWithTimeout} from '../../src/engine/notify/backoff.js'
import {openChannels} from '../../src/engine/notify/channels.js'
import {EmailChannel, type EmailOptions} from '../../src/engine/notify/email.js'
import {LogChannel} from '../../src/engine/notify/log-channel.js'
import {aliyunSmsProvider, SmsChannel, smsProvider, SMS_MAX_CHARS, type SmsProvider} from '../../src/engine/notify/sms.js'
import {ChannelError, type Channel, type Notification, type NotifyLogger} from '../../src/engine/notify/types.js'
import {WebhookChannel} from '../../src/engine/notify/webhook.js'

/**
 * The notification channels against real servers started here: an SMTP server (with and without
 * AUTH and STARTTLS, mail parsed as a client would), an HTTP server for the webhook and for Aliyun's
 * SMS API (whose signature the test recomputes on its own), a TCP server that never speaks, and a
 * closed port. Also the log channel, channel selection from the configuration, and the retry policy.
 */

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()))
})

function notification(over: Partial<Notification> = {}): Notification {
  return {
    id: '42-raised-1',
    kind: 'raised',
    rule: 'high_cpu_usage',
    level: 'critical',
    category: 'system',
    message: 'CPU usage 93.5% over 90% for 5m',
    value: 93.5,
    at: '2026-12-02T10:00:00.000Z',
    host: 'engine-1.example',
    instance: 'inst-a',
    recipients: ['ops@example.com', '+8613800138000', 'dba@example.com'],
    ...over,
  }
}

interface LogLine {
  level: 'info' | 'warn' | 'error'
  message: string
  meta?: object
}
function recorder(): {logger: NotifyLogger; lines: LogLine[]} {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) => (message: string, meta?: object) => void lines.push({level, message, meta})
  return {logger: {info: at('info'), warn: at('warn'), error: at('error')}, lines}
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const {port} = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

async function caught(p: Promise<unknown>): Promise<ChannelError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected a rejection').toBeInstanceOf(ChannelError)
  return error as ChannelError
}

// ---------------------------------------------------------------------------------------------
// Email

interface Received {
  from: string
  to: string[]
  user?: string
  secure: boolean
  mail: ParsedMail
}

async function startSmtp(options: Partial<SMTPServerOptions> & {credentials?: {user: string; pass: string}}) {
  const received: Received[] = []
  const waiting: Array<(r: Received) => void> = []
  const {credentials, ...rest} = options
  const server = new SMTPServer({
    logger: false,
    authOptional: !credentials,
    disabledCommands: credentials ? [] : ['AUTH'],
    onAuth(auth, _session, cb) {
      if (credentials && auth.username === credentials.user && auth.password === credentials.pass) return cb(null, {user: auth.username})
      cb(Object.assign(new Error('Invalid username or password'), {responseCode: 535}))
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          const r: Received = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((a) => a.address),
            user: session.user as string | undefined,
            secure: session.secure,
            mail,
          }
          received.push(r)
          waiting.splice(0).forEach((w) => w(r))
          cb()
        })
        .catch(cb)
    },
    ...rest,
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.server.address() as AddressInfo).port
  stops.push(() => new Promise<void>((r) => server.close(() => r())))
  return {
    port,
    received,
    next: () => (received.length ? Promise.resolve(received[0]!) : new Promise<Received>((r) => waiting.push(r))),
  }
}

function email(port: number, over: Partial<EmailOptions> = {}): EmailChannel {
  const channel = new EmailChannel({host: '127.0.0.1', port, from: 'alerts@example.com', tls: 'none', timeoutMs: 5_000, ...over})
  stops.push(() => channel.close())
  return channel
}

describe('email channel', () => {
  it('delivers to the email recipients only, with the subject, value and both bodies', async () => {
    const smtp = await startSmtp({disabledCommands: ['AUTH', 'STARTTLS']})
    await email(smtp.port).send(notification())
    const got = await smtp.next()
    expect(got.from).toBe('alerts@example.com')
    expect(got.to).toEqual(['ops@example.com', 'dba@example.com'])
    expect(got.mail.subject).toBe('[ordermon] CRITICAL high_cpu_usage raised: CPU usage 93.5% over 90% for 5m')
    expect(got.mail.text).toMatch(/Value:\s+93\.5/)
    expect(got.mail.text).toMatch(/Host:\s+engine-1\.example \(inst-a\)/)
    expect(got.mail.text).toContain('2026-12-02T10:00:00.000Z')
    expect(got.mail.html).toContain('CPU usage 93.5% over 90% for 5m')
    expect(got.mail.headers.get('x-ordermon-notification')).toBe('42-raised-1')
  })

  it('says RESOLVED for a resolution and escapes the message in HTML', async () => {
    const smtp = await startSmtp({disabledCommands: ['AUTH', 'STARTTLS']})
    await email(smtp.port).send(notification({kind: 'resolved', id: '42-resolved-1', message: 'CPU <back> to 40%\nall good', value: 40}))
    const got = await smtp.next()
    expect(got.mail.subject).toBe('[ordermon] RESOLVED high_cpu_usage: CPU <back> to 40% all good')
    expect(got.mail.html).toContain('CPU &#60;back&#62; to 40%')
    expect(got.mail.html).not.toContain('<back>')
  })

  it('upgrades with STARTTLS and authenticates', async () => {
    const smtp = await startSmtp({credentials: {user: 'mailer', pass: 'Corr3ct-Horse!'}})
    await email(smtp.port, {tls: 'starttls', rejectUnauthorized: false, username: 'mailer', password: 'Corr3ct-Horse!'}).send(notification())
    const got = await smtp.next()
    expect(got.user).toBe('mailer')
    expect(got.secure).toBe(true)
    expect(got.to).toEqual(['ops@example.com', 'dba@example.com'])
  })

  it('refused credentials are a permanent error that does not carry the password', async () => {
    const smtp = await startSmtp({credentials: {user: 'mailer', pass: 'Corr3ct-Horse!'}})
    const password = 'Wr0ng-Battery-Staple'
    const error = await caught(email(smtp.port, {tls: 'starttls', rejectUnauthorized: false, username: 'mailer', password}).send(notification()))
    expect(error.permanent).toBe(true)
    expect(error.message).toMatch(/^email via 127\.0\.0\.1:\d+: /)
    expect(error.message).not.toContain(password)
    expect(error.message).not.toContain(Buffer.from(password).toString('base64'))
    expect(JSON.stringify(error)).not.toContain(password)
    expect(smtp.received).toHaveLength(0)
  })

  it('an untrusted certificate fails when reject_unauthorized is on, without the password in the error', async () => {
    const smtp = await startSmtp({credentials: {user: 'mailer', pass: 'Corr3ct-Horse!'}})
    const error = await caught(email(smtp.port, {tls: 'starttls', username: 'mailer', password: 'Corr3ct-Horse!'}).send(notification()))
    expect(error.message).toMatch(/certificate/i)
    expect(error.message).not.toContain('Corr3ct-Horse!')
    expect(smtp.received).toHaveLength(0)
  })

  it('sends nothing, and connects nowhere, when no recipient is an email address', async () => {
    // A closed port: connecting at all would fail the send.
    await expect(email(await closedPort()).send(notification({recipients: ['+8613800138000', '555-0100']}))).resolves.toBeUndefined()
  })

  it('a closed port is a retryable error', async () => {
    const error = await caught(email(await closedPort()).send(notification()))
    expect(error.permanent).toBe(false)
    expect(error.message).toMatch(/ECONNREFUSED|refused/i)
  })

  it('a server that accepts the connection but never greets fails within timeout_ms', async () => {
    const silent = await startSilentTcp()
    const started = Date.now()
    const error = await caught(email(silent.port, {timeoutMs: 400, password: 'Silent-Pass-123', username: 'u'}).send(notification()))
    const took = Date.now() - started
    expect(silent.connections()).toBeGreaterThan(0)
    expect(took).toBeGreaterThanOrEqual(350)
    expect(took).toBeLessThan(400 + 1_500)
    expect(error.permanent).toBe(false)
    expect(error.message).not.toContain('Silent-Pass-123')
  })
})

/** A TCP server that accepts connections and never says a word. */
async function startSilentTcp(): Promise<{port: number; connections: () => number}> {
  const sockets = new Set<Socket>()
  let count = 0
  const server: NetServer = createNetServer((s) => {
    count++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  stops.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => server.close(() => r()))
  })
  return {port: (server.address() as AddressInfo).port, connections: () => count}
}

// ---------------------------------------------------------------------------------------------
// HTTP (webhook, Aliyun)

interface HttpRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** An HTTP server that records each request and answers with `answer` (or, if it returns null, never). */
async function startHttp(answer: (req: HttpRequest) => {status: number; body?: string} | null) {
  const requests: HttpRequest[] = []
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r = {method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8')}
      requests.push(r)
      const a = answer(r)
      if (!a) return
      res.writeHead(a.status, {'content-type': 'application/json'})
      res.end(a.body ?? '')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  stops.push(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })
  return {base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests}
}

describe('webhook channel', () => {
  it('POSTs the notification as JSON with its event, headers and a verifiable signature', async () => {
    const http = await startHttp(() => ({status: 204}))
    const n = notification()
    await new WebhookChannel({url: `${http.base}/hooks/ordermon`, secret: 'hook-secret', version: '1.2.3', headers: {'X-Team': 'ops', 'Content-Type': 'text/plain'}}).send(n)
    expect(http.requests).toHaveLength(1)
    const req = http.requests[0]!
    expect(req.method).toBe('POST')
    expect(req.url).toBe('/hooks/ordermon')
    expect(JSON.parse(req.body)).toEqual({event: 'alert.raised', ...n})
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers['user-agent']).toBe('ordermon/1.2.3')
    expect(req.headers['x-team']).toBe('ops')
    expect(req.headers['x-ordermon-delivery']).toBe('42-raised-1')
    const expected = `sha256=${createHmac('sha256', 'hook-secret').update(Buffer.from(req.body, 'utf8')).digest('hex')}`
    expect(req.headers['x-ordermon-signature']).toBe(expected)
  })

  it('sends no signature without a secret, and names resolutions alert.resolved', async () => {
    const http = await startHttp(() => ({status: 200, body: '{"ok":true}'}))
    await new WebhookChannel({url: `${http.base}/h`, version: '1.2.3'}).send(notification({kind: 'resolved'}))
    expect(http.requests[0]!.headers['x-ordermon-signature']).toBeUndefined()
    expect(JSON.parse(http.requests[0]!.body).event).toBe('alert.resolved')
  })

  it.each([
    [500, false],
    [503, false],
    [408, false],
    [429, false],
    [400, true],
    [404, true],
    [410, true],
  ])('an answer %i is an error, permanent: %s', async (status, permanent) => {
    const http = await startHttp(() => ({status, body: '{"error":"nope"}'}))
    const error = await caught(new WebhookChannel({url: `${http.base}/h`, version: '1'}).send(notification()))
    expect(error.permanent).toBe(permanent)
    expect(error.message).toContain(`answered ${status}`)
    expect(error.message).toContain('nope')
  })

  it('sends URL credentials as Basic auth and keeps them, and the path, out of error messages', async () => {
    const http = await startHttp((req) => ({status: 500, body: `echo ${req.headers.authorization}`}))
    const url = `${http.base.replace('http://', 'http://hookuser:pa55-w0rd@')}/services/T0K3N-in-path`
    const error = await caught(new WebhookChannel({url, version: '1'}).send(notification()))
    expect(http.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hookuser:pa55-w0rd').toString('base64')}`)
    expect(error.permanent).toBe(false)
    for (const secret of ['pa55-w0rd', 'T0K3N-in-path', Buffer.from('hookuser:pa55-w0rd').toString('base64')]) expect(error.message).not.toContain(secret)
  })

  it('a server that never answers fails with a retryable timeout within timeout_ms', async () => {
    const http = await startHttp(() => null)
    const started = Date.now()
    const error = await caught(new WebhookChannel({url: `${http.base}/h`, version: '1', timeoutMs: 300}).send(notification()))
    const took = Date.now() - started
    expect(http.requests).toHaveLength(1)
    expect(error.permanent).toBe(false)
    expect(error.message).toMatch(/no answer within 300 ms/)
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(300 + 1_000)
  })

  it('a closed port is a retryable error', async () => {
    const error = await caught(new WebhookChannel({url: `http://127.0.0.1:${await closedPort()}/h`, version: '1'}).send(notification()))
    expect(error.permanent).toBe(false)
    expect(error.message).toContain('connection refused')
  })
})

// ---------------------------------------------------------------------------------------------
// SMS

/** Aliyun's percent-encoding, written out again here so the test does not trust the code under test. */
const pct = (s: string) =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('')

function expectedSignature(params: URLSearchParams, secret: string): string {
  const pairs = [...params.entries()].filter(([k]) => k !== 'Signature').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const query = pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')
  return createHmac('sha1', `${secret}&`).update(`POST&%2F&${pct(query)}`).digest('base64')
}

describe('sms channel', () => {
  it('the log provider writes one line per phone number, email addresses skipped, text capped', async () => {
    const {logger, lines} = recorder()
    const long = `disk full ${'x'.repeat(400)}`
    await new SmsChannel(smsProvider({provider: 'log'}, logger)).send(
      notification({rule: 'system_down', message: long, recipients: ['ops@example.com', '+86 138-0013-8000', '12345', '+14155550100']}),
    )
    expect(lines.map((l) => (l.meta as {phone: string}).phone)).toEqual(['+8613800138000', '+14155550100'])
    const text = (lines[0]!.meta as {text: string}).text
    expect(text.startsWith('[ordermon] CRITICAL system_down: disk full ')).toBe(true)
    expect(text.length).toBe(SMS_MAX_CHARS)
  })

  it('aliyun: the request carries the SendSms parameters and a signature that checks out', async () => {
    const http = await startHttp(() => ({status: 200, body: JSON.stringify({Code: 'OK', Message: 'OK', RequestId: 'r1', BizId: 'b1'})}))
    const provider = aliyunSmsProvider({
      accessKey: 'LTAI-test-key',
      secretKey: 'sec/ret+key=',
      signName: '订单监控',
      templateCode: 'SMS_123456',
      endpoint: `${http.base}/`,
      now: () => new Date('2026-12-02T10:00:00.123Z'),
      nonce: () => 'nonce-1',
    })
    await new SmsChannel(provider).send(notification({rule: 'system_down', message: "engine (inst-a) down: no heartbeat for 2m *!'", recipients: ['+8613800138000']}))
    expect(http.requests).toHaveLength(1)
    const req = http.requests[0]!
    expect(req.method).toBe('POST')
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const params = new URLSearchParams(req.body)
    expect(Object.fromEntries([...params.entries()].filter(([k]) => k !== 'Signature'))).toEqual({
      AccessKeyId: 'LTAI-test-key',
      Action: 'SendSms',
      Format: 'JSON',
      PhoneNumbers: '8613800138000',
      RegionId: 'cn-hangzhou',
      SignName: '订单监控',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: 'nonce-1',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_123456',
      TemplateParam: JSON.stringify({message: "[ordermon] CRITICAL system_down: engine (inst-a) down: no heartbeat for 2m *!'"}),
      Timestamp: '2026-12-02T10:00:00Z',
      Version: '2017-05-25',
    })
    expect(params.get('Signature')).toBe(expectedSignature(params, 'sec/ret+key='))
  })

  it.each([
    [200, 'isv.MOBILE_NUMBER_ILLEGAL', true],
    [200, 'isv.BUSINESS_LIMIT_CONTROL', false],
    [400, 'SignatureDoesNotMatch', true],
    [500, 'InternalError', false],
    [503, 'ServiceUnavailable', false],
  ])('aliyun: an answer %i %s is an error, permanent: %s, without the keys in its message', async (status, code, permanent) => {
    const http = await startHttp(() => ({status, body: JSON.stringify({Code: code, Message: `server string to sign is: POST&%2F&AccessKeyId%3DLTAI-test-key sec-key-1`})}))
    const provider = aliyunSmsProvider({accessKey: 'LTAI-test-key', secretKey: 'sec-key-1', signName: 's', templateCode: 't', endpoint: http.base})
    const error = await caught(new SmsChannel(provider).send(notification({recipients: ['+8613800138000']})))
    expect(error.permanent).toBe(permanent)
    expect(error.message).toContain(code)
    expect(error.message).not.toContain('LTAI-test-key')
    expect(error.message).not.toContain('sec-key-1')
  })

  it('a retry after a partial failure texts only the numbers not reached yet', async () => {
    const sent: string[] = []
    let failOnce = true
    const flaky: SmsProvider = {
      name: 'flaky',
      async send(phone) {
        if (phone === '+14155550100' && failOnce) {
          failOnce = false
          throw new ChannelError('gateway busy')
        }
        sent.push(phone)
      },
    }
    const channel = new SmsChannel(flaky)
    const n = notification({recipients: ['+8613800138000', '+14155550100']})
    const error = await caught(channel.send(n))
    expect(error.permanent).toBe(false)
    expect(error.message).toContain('+14155550100')
    await channel.send(n)
    expect(sent).toEqual(['+8613800138000', '+14155550100'])
    // Another notification (another id) goes to everyone again.
    await channel.send({...n, id: '42-repeated-2', kind: 'repeated'})
    expect(sent).toHaveLength(4)
  })

  it('an unknown provider, or aliyun without its keys, is a configuration error', () => {
    const {logger} = recorder()
    for (const config of [{provider: 'twilio'}, {provider: 'aliyun', access_key: 'k'}]) {
      let error: unknown
      try {
        smsProvider(config, logger)
      } catch (e) {
        error = e
      }
      expect(isOrdermonError(error) && error.kind).toBe('invalidInput')
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Log channel and channel selection

describe('log channel', () => {
  it('logs at the alert level; resolutions at info', async () => {
    const {logger, lines} = recorder()
    const log = new LogChannel(logger)
    await log.send(notification())
    await log.send(notification({level: 'warning'}))
    await log.send(notification({level: 'info'}))
    await log.send(notification({kind: 'resolved'}))
    expect(lines.map((l) => l.level)).toEqual(['error', 'warn', 'info', 'info'])
    expect(lines[0]!.message).toBe('alert raised: high_cpu_usage: CPU usage 93.5% over 90% for 5m')
    expect(lines[0]!.meta).toMatchObject({rule: 'high_cpu_usage', level: 'critical', value: 93.5, notification: '42-raised-1'})
  })
})

describe('openChannels', () => {
  const deps = () => ({logger: recorder().logger, version: '1.0.0', host: 'engine-1.example'})

  it('opens log alone when nothing else is configured, or only half configured', () => {
    expect([...openChannels({alerts: [], recipients: []}, deps()).keys()]).toEqual(['log'])
    expect([...openChannels({alerts: [], recipients: [], email: {username: 'u'}, webhook: {secret: 's'}, sms: {sign_name: 'x'}}, deps()).keys()]).toEqual(['log'])
  })

  it('opens each configured channel, doing no I/O', () => {
    const channels = openChannels(
      {alerts: [], recipients: [], email: {smtp_server: 'smtp.invalid', smtp_port: 587}, webhook: {url: 'https://hooks.invalid/x'}, sms: {provider: 'log'}},
      deps(),
    )
    expect([...channels.keys()]).toEqual(['email', 'webhook', 'sms', 'log'])
    for (const [name, channel] of channels) expect(channel.name).toBe(name)
  })
})

// ---------------------------------------------------------------------------------------------
// Retry policy

describe('backoff', () => {
  const CAP = 15 * 60_000
  const base = (attempt: number) => 5_000 * 3 ** (attempt - 1)

  it('grows x3 from 5 s and stops at 15 min', () => {
    const mid = () => 0.5 // no jitter
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(a, mid))).toEqual([5_000, 15_000, 45_000, 135_000, 405_000, CAP, CAP, CAP])
    expect(retryDelayMs(10_000, mid)).toBe(CAP)
    expect(retryDelayMs(0, mid)).toBe(5_000)
    expect(MAX_ATTEMPTS).toBe(8)
  })

  it('is monotone for any fixed jitter', () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const delays = Array.from({length: 12}, (_, i) => retryDelayMs(i + 1, () => r))
      for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!)
    }
  })

  it('jitters within ±20% and never past the cap', () => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const seen = new Set<number>()
      for (let i = 0; i < 200; i++) {
        const d = retryDelayMs(attempt)
        seen.add(d)
        expect(d).toBeGreaterThanOrEqual(Math.min(CAP, base(attempt)) * 0.8 - 1)
        expect(d).toBeLessThanOrEqual(Math.min(CAP, base(attempt) * 1.2) + 1)
      }
      expect(seen.size, `attempt ${attempt} is jittered`).toBeGreaterThan(1)
    }
  })
})

describe('sendWithTimeout', () => {
  const channel = (send: Channel['send']): Channel => ({name: 'webhook', send})

  it('passes a send that finishes in time, and its own error', async () => {
    await expect(sendWithTimeout(channel(async () => {}), notification(), 1_000)).resolves.toBeUndefined()
    const own = new ChannelError('refused', {permanent: true})
    await expect(sendWithTimeout(channel(async () => Promise.reject(own)), notification(), 1_000)).rejects.toBe(own)
  })

  it('gives up on a send that never finishes, as a retryable error', async () => {
    const started = Date.now()
    const error = await caught(sendWithTimeout(channel(() => new Promise(() => {})), notification(), 200))
    expect(Date.now() - started).toBeLessThan(200 + 500)
    expect(error.permanent).toBe(false)
    expect(error.message).toBe('webhook: no answer within 200 ms')
  })

  it('bounds a real dead SMTP server by its own deadline, whatever the channel timeout', async () => {
    const silent = await startSilentTcp()
    const started = Date.now()
    await caught(sendWithTimeout(email(silent.port, {timeoutMs: 60_000}), notification(), 300))
    expect(Date.now() - started).toBeLessThan(300 + 700)
  })

  it('turns a send that throws at once into a rejection', async () => {
    const broken = channel(() => {
      throw new ChannelError('bad')
    })
    await expect(sendWithTimeout(broken, notification(), 1_000)).rejects.toThrow('bad')
  })
})
