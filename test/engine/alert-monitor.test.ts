import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AlertMonitor} from '../../src/engine/alerts/monitor.js'
import {AlertQueries} from '../../src/engine/alerts/queries.js'
import type {LoadedConfig} from '../../src/engine/config/index.js'
import {openDatabase, Store} from '../../src/engine/store/index.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {useEngine} from '../helpers/suite.js'

/**
 * Alerting in one process, on both backends, with a real HTTP server as the webhook: a rule raised
 * once (also when two processes raise it), recorded with its event and its notifications, repeated,
 * acknowledged (no more reminders), resolved with a notice; a channel that fails is retried and
 * visible; a channel that hangs does not hold up evaluation; a database that is down does not stop
 * the notification.
 */

const silent = {info: () => {}, warn: () => {}, error: () => {}}

interface Hook {
  url: string
  bodies: Record<string, any>[]
  /** Respond with this status (200 by default); 'hang' never answers. */
  mode: number | 'hang'
  close(): Promise<void>
}

async function webhookServer(): Promise<Hook> {
  const hook = {bodies: [] as Record<string, any>[], mode: 200 as number | 'hang'} as Hook
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (hook.mode === 'hang') return
      hook.bodies.push(JSON.parse(body))
      res.writeHead(hook.mode).end('{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  hook.close = () => new Promise<void>((r) => {
    server.closeAllConnections()
    server.close(() => r())
  })
  return hook
}

describe.each(backendKinds)('alerting on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)
  let hook: Hook
  let seq = 0

  beforeAll(async () => {
    hook = await webhookServer()
  })
  afterAll(async () => {
    await hook?.close()
  })

  /** The test backend's configuration with these rules and the webhook (each test its own rule names). */
  const withRules = (alerts: Record<string, unknown>[], webhook: Record<string, unknown> = {url: hook.url, timeout_ms: 1000}): LoadedConfig => {
    const loaded = ctx.engine.loaded
    return {...loaded, config: {...loaded.config, notification: {webhook, recipients: [], alerts: alerts as never}}}
  }
  const rule = (over: Record<string, unknown> = {}) => ({name: `cpu_${kind}_${++seq}`, condition: 'cpu_usage > 80', level: 'critical', for: '0s', clear_for: '0s', channels: ['webhook', 'log'], ...over})
  const open = (loaded: LoadedConfig, store = ctx.engine.store, raisedBy = `test-${kind}`) => AlertMonitor.open({loaded, store, logger: silent, version: 'test', role: 'engine', raisedBy, source: 'engine'})
  const bodiesFor = (name: string) => hook.bodies.filter((b) => b.rule === name)
  const rowsFor = async (name: string) => ctx.engine.db.knex('alerts').where({rule: name}).orderBy('id')
  const eventsFor = async (id: number) => (await ctx.engine.db.knex('events').where({entity_type: 'alert', entity_id: String(id)}).orderBy('id')).map((e) => e.type)
  const t0 = new Date('2026-12-02T10:00:00Z')
  const at = (s: number) => new Date(t0.getTime() + s * 1000)

  it('raises once, records the alert, its event and a notification per channel, and the webhook receives it', async () => {
    const r = rule()
    const m = await open(withRules([r]))
    expect(await m.check({cpu_usage: 50}, at(0))).toEqual([])
    const changes = await m.check({cpu_usage: 91.5}, at(1))
    expect(changes.map((c) => c.kind)).toEqual(['raised'])
    // Still holding: nothing new.
    expect(await m.check({cpu_usage: 95}, at(2))).toEqual([])
    await m.deliver()
    const [row] = await rowsFor(r.name)
    expect(row).toMatchObject({status: 'active', level: 'critical', category: 'performance', value: '91.5', open_key: r.name})
    expect(await eventsFor(Number(row.id))).toEqual(['alert.raised'])
    expect(bodiesFor(r.name)).toHaveLength(1)
    expect(bodiesFor(r.name)[0]).toMatchObject({kind: 'raised', rule: r.name, level: 'critical', value: 91.5})
    const notes = await ctx.engine.db.knex('alert_notifications').where({alert_id: row.id}).orderBy('channel')
    expect(notes.map((n) => [n.channel, n.status])).toEqual([['log', 'sent'], ['webhook', 'sent']])
    await m.close()
  })

  it('a rule raised by two processes at once is one alert: the second follows the first', async () => {
    const r = rule()
    const [a, b] = await Promise.all([open(withRules([r])), open(withRules([r]))])
    const [ca, cb] = await Promise.all([a.check({cpu_usage: 99}, at(1)), b.check({cpu_usage: 99}, at(1))])
    expect([...ca, ...cb].filter((c) => c.kind === 'raised')).toHaveLength(2)
    await Promise.all([a.deliver(), b.deliver()])
    expect(await rowsFor(r.name)).toHaveLength(1)
    expect(bodiesFor(r.name)).toHaveLength(1)
    // A third process opened later adopts the open alert instead of raising it again.
    const c = await open(withRules([r]))
    expect(await c.check({cpu_usage: 99}, at(2))).toEqual([])
    await Promise.all([a.close(), b.close(), c.close()])
  })

  it('repeats while it holds, stops repeating once acknowledged, and resolves with a notice', async () => {
    const r = rule({repeat: '10s'})
    const m = await open(withRules([r]))
    await m.check({cpu_usage: 90}, at(0))
    expect((await m.check({cpu_usage: 90}, at(11))).map((c) => c.kind)).toEqual(['repeated'])
    await m.deliver()
    expect(bodiesFor(r.name).map((b) => b.kind)).toEqual(['raised', 'repeated'])
    const [row] = await rowsFor(r.name)
    expect(Number(row.notify_count)).toBe(2)

    const acked = await new AlertQueries(ctx.engine.store).acknowledge(Number(row.id), {name: 'cli:oncall', source: 'cli'}, 'looking at it')
    expect(acked).toMatchObject({status: 'acknowledged', acknowledged_by: 'cli:oncall', note: 'looking at it'})
    await m.check({cpu_usage: 90}, at(22))
    await m.check({cpu_usage: 90}, at(33))
    await m.deliver()
    expect(bodiesFor(r.name).map((b) => b.kind)).toEqual(['raised', 'repeated'])

    expect((await m.check({cpu_usage: 10}, at(40))).map((c) => c.kind)).toEqual(['resolved'])
    await m.deliver()
    expect(bodiesFor(r.name).map((b) => b.kind)).toEqual(['raised', 'repeated', 'resolved'])
    const [done] = await rowsFor(r.name)
    expect(done).toMatchObject({status: 'resolved', open_key: null})
    expect(await eventsFor(Number(done.id))).toEqual(['alert.raised', 'alert.repeated', 'alert.acknowledged', 'alert.resolved'])
    // Acknowledging it now is refused, and changes nothing.
    await expect(new AlertQueries(ctx.engine.store).acknowledge(Number(done.id), {name: 'cli:x', source: 'cli'})).rejects.toThrow(/resolved already/)
    await expect(new AlertQueries(ctx.engine.store).acknowledge(999_999_999, {name: 'cli:x', source: 'cli'})).rejects.toThrow(/not found/)
    // The next firing is a new alert.
    await m.check({cpu_usage: 95}, at(50))
    expect(await rowsFor(r.name)).toHaveLength(2)
    await m.close()
  })

  it('a failing webhook is retried later and shows as undelivered; the other channels are not held up', async () => {
    const r = rule()
    hook.mode = 500
    try {
      const m = await open(withRules([r]))
      await m.check({cpu_usage: 90}, at(0))
      await m.deliver()
      const [row] = await rowsFor(r.name)
      const notes = await ctx.engine.db.knex('alert_notifications').where({alert_id: row.id}).orderBy('channel')
      expect(notes.map((n) => [n.channel, n.status, Number(n.attempts)])).toEqual([['log', 'sent', 1], ['webhook', 'pending', 1]])
      expect(notes[1].last_error).toMatch(/500/)
      expect(notes[1].next_attempt_at).not.toBeNull()
      const list = await new AlertQueries(ctx.engine.store).list({statuses: ['active']})
      expect(list.undelivered.map((n) => n.alert_id)).toContain(Number(row.id))
      expect(m.notifier.pending).toBe(1)
      await m.close()
    } finally {
      hook.mode = 200
    }
  })

  it('a webhook that never answers does not hold up evaluation', async () => {
    const r = rule()
    hook.mode = 'hang'
    try {
      const m = await open(withRules([r], {url: hook.url, timeout_ms: 1500}))
      await m.check({cpu_usage: 90}, at(0))
      let delivered = false
      const delivering = m.deliver().then(() => (delivered = true))
      // Evaluation goes on while the webhook hangs: the resolution is recorded before it gives up.
      expect((await m.check({cpu_usage: 10}, at(1))).map((c) => c.kind)).toEqual(['resolved'])
      expect((await rowsFor(r.name))[0]).toMatchObject({status: 'resolved'})
      expect(delivered).toBe(false)
      await delivering
      const [row] = await rowsFor(r.name)
      const webhook = await ctx.engine.db.knex('alert_notifications').where({alert_id: row.id, channel: 'webhook', kind: 'raised'}).first()
      expect(webhook.last_error).toMatch(/no answer within 1500 ms/)
      await m.close()
    } finally {
      hook.mode = 200
    }
  })

  it('notifications a dead process left pending are taken over by the next engine, once', async () => {
    const r = rule({channels: ['log']})
    const first = await open(withRules([r]))
    await first.check({cpu_usage: 90}, at(0))
    await first.close()
    const [row] = await rowsFor(r.name)
    const d = ctx.engine.store.dialect
    const old = d.toDb(new Date(Date.now() - 20 * 60_000))
    await ctx.engine.db.knex('alert_notifications').insert({alert_id: row.id, kind: 'raised', channel: 'webhook', recipients: '[]', status: 'pending', attempts: 2, claimed_by: 'gone-process', next_attempt_at: old, created_at: old})
    // Overdue by less than the longest backoff: its claimer may still be alive, so it is left alone.
    const recent = d.toDb(new Date(Date.now() - 60_000))
    await ctx.engine.db.knex('alert_notifications').insert({alert_id: row.id, kind: 'repeated', channel: 'webhook', recipients: '[]', status: 'pending', attempts: 1, claimed_by: 'busy-process', next_attempt_at: recent, created_at: recent})
    const [a, b] = await Promise.all([open(withRules([r]), undefined, 'engine-a'), open(withRules([r]), undefined, 'engine-b')])
    await Promise.all([a.deliver(), b.deliver()])
    expect(bodiesFor(r.name).map((x) => x.kind)).toEqual(['raised'])
    const notes = await ctx.engine.db.knex('alert_notifications').where({alert_id: row.id, channel: 'webhook'}).orderBy('id')
    expect(notes.map((n) => [n.kind, n.status, Number(n.attempts)])).toEqual([['raised', 'sent', 3], ['repeated', 'pending', 1]])
    await Promise.all([a.close(), b.close()])
  })

  it('a bad rule stops the load with its name, the column and what was expected', async () => {
    await expect(open(withRules([{name: 'broken', condition: 'cpu_usage > '}]))).rejects.toThrow(/broken.*column \d+.*expected/i)
  })

  it.runIf(kind === 'mariadb')('with the database down, the alert is notified all the same', async () => {
    const r = rule({name: `dbdown_${++seq}`, condition: 'db_connection_failed'})
    const loaded = withRules([r])
    const down = {...loaded, config: {...loaded.config, database: {...loaded.config.database, url: 'mysql://root@127.0.0.1:1/nowhere', connect_timeout_ms: 500}}}
    const deadDb = await openDatabase(down, {verify: false})
    try {
      const m = await open(loaded, Store.over(deadDb))
      await m.check({db_connection_failed: true}, at(0))
      await m.deliver()
      expect(bodiesFor(r.name).map((b) => b.kind)).toEqual(['raised'])
      await m.close()
    } finally {
      await deadDb.close()
    }
  })
})
