import {mkdirSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {SMTPServer} from 'smtp-server'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {backendKinds, createBackend, REDIS_URL, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {json, runCli} from '../helpers/cli.js'
import {oneErrorLine} from '../helpers/e2e.js'
import {engineProcesses, fastEngineEnv} from '../helpers/engine-process.js'
import {until} from '../helpers/process.js'
import {deleteKeys} from '../helpers/redis.js'

/**
 * Alerts that reach a person, end to end with the CLI and the engine as processes: a rule raised by
 * the engine arrives by email at a real SMTP server and at a webhook (both run by the test), shows
 * in `monitor alerts` with its deliveries and is acknowledged there; the dead-man rule fires from
 * `system check-alerts` once the engine is killed with kill -9 and resolves when one runs again; a
 * bad rule stops the engine with its position; health-check exit codes distinguish down from an
 * error. On SQLite, and on MariaDB with Redis.
 */

/** A port nothing listens on right now (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe.each(backendKinds)('alerts end to end on %s', (kind: BackendKind) => {
  let backend: TestBackend
  let env: Record<string, string>
  const mails: string[] = []
  const hooks: Record<string, any>[] = []
  let smtp: SMTPServer
  let smtpPort = 0
  let http: Server
  let hookUrl = ''
  const prefix = `ordermon_t_alerts_${process.pid}_${kind}:`
  const engines = engineProcesses(() => ({cwd: backend.dir, env: {HOME: backend.dir, ...env}}))
  const cli = (args: string[]) => runCli(args, {env, cwd: backend.dir, timeoutMs: 60_000})

  const writeRules = (yaml: string) => {
    mkdirSync(join(backend.dir, 'config'), {recursive: true})
    writeFileSync(
      join(backend.dir, 'config', 'notification.yaml'),
      `email:\n  smtp_server: 127.0.0.1\n  smtp_port: ${smtpPort}\n  tls: none\n  from: alerts@ordermon.test\n  timeout_ms: 3000\n` +
        `webhook:\n  url: ${hookUrl}\n  timeout_ms: 3000\n${yaml}`,
    )
  }

  beforeAll(async () => {
    backend = await createBackend(kind)
    env = {...backend.env, ...fastEngineEnv, ORDERMON__ENGINE__METRICS_MS: '200', ORDERMON__ENGINE__INSTANCE_TTL_MS: '3000'}
    if (kind === 'mariadb') Object.assign(env, {ORDERMON_REDIS_URL: REDIS_URL, ORDERMON__REDIS__KEY_PREFIX: prefix})
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, done) {
        let data = ''
        stream.on('data', (c: Buffer) => (data += c.toString('utf8')))
        stream.on('end', () => {
          mails.push(data)
          done()
        })
      },
    })
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()))
    smtpPort = (smtp.server.address() as AddressInfo).port
    http = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        hooks.push(JSON.parse(body))
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()))
    hookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/alerts`
    const init = await cli(['init', '--sample-data'])
    expect(init.code, init.stderr).toBe(0)
  })

  afterAll(async () => {
    await engines.stopAll()
    await new Promise<void>((r) => smtp?.close(() => r()))
    http?.closeAllConnections()
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()))
    if (kind === 'mariadb') await deleteKeys(prefix)
    await backend?.cleanup()
  })

  it('an engine rule reaches email and webhook, is listed with its deliveries, and is acknowledged', async () => {
    writeRules(`alerts:\n  - name: users_seen\n    condition: active_users >= 1\n    level: warning\n    for: 0s\n    channels: [email, webhook]\n    recipients: [oncall@ordermon.test, "13800138000"]\n    message: "{value} users active"\n`)
    const promPort = await freePort()
    const engine = await engines.start({env: {HOME: backend.dir, ...env, ORDERMON__MONITORING__PROMETHEUS__ENABLED: 'true', ORDERMON__MONITORING__PROMETHEUS__PORT: String(promPort)}})
    const hook = await until('the webhook to receive users_seen', () => hooks.find((h) => h.rule === 'users_seen'), 20_000)
    expect(hook).toMatchObject({kind: 'raised', level: 'warning', rule: 'users_seen'})
    const mail = await until('the email', () => mails.find((m) => m.includes('users_seen')), 20_000)
    expect(mail).toMatch(/To: .*oncall@ordermon\.test/)
    expect(mail).not.toContain('13800138000')

    const listed = await until('both deliveries recorded', async () => {
      const r = json(await cli(['monitor', 'alerts', '--json']))
      const a = r.alerts.find((x: any) => x.rule === 'users_seen')
      return a && a.notifications.filter((n: any) => n.status === 'sent').length === 2 ? a : undefined
    })
    expect(listed).toMatchObject({status: 'active', level: 'warning', category: 'business'})
    expect(listed.message).toMatch(/\d+ users active/)
    const table = await cli(['monitor', 'alerts', '--level', 'warning', '--last-hours', '1'])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/users_seen/)
    expect(table.stdout).toMatch(/email ok, webhook ok|webhook ok, email ok/)
    expect((await cli(['monitor', 'alerts', '--level', 'critical'])).stdout).not.toMatch(/users_seen/)

    // The engine's Prometheus endpoint, scraped over HTTP: the business gauges and the firing alert.
    const scrape = await until('the alert on the Prometheus endpoint', async () => {
      const text = await (await fetch(`http://127.0.0.1:${promPort}/metrics`)).text()
      return /ordermon_alerts_firing\{rule="users_seen",level="warning"\} 1/.test(text) ? text : undefined
    })
    const users = Number(/^ordermon_active_users (\S+)$/m.exec(scrape)?.[1])
    expect(users).toBeGreaterThan(0)
    expect(scrape).toMatch(/^# TYPE ordermon_events_total counter$/m)
    expect(scrape).toMatch(/^ordermon_info\{[^}]*backend="(sqlite|mysql)"[^}]*\} 1$/m)

    const ack = await cli(['monitor', 'alerts', 'ack', '--id', String(listed.id), '--note', '值班 on it'])
    expect(ack.code, ack.stderr).toBe(0)
    const acked = json(await cli(['monitor', 'alerts', '--status', 'acknowledged', '--json'])).alerts.find((x: any) => x.id === listed.id)
    expect(acked).toMatchObject({status: 'acknowledged', note: '值班 on it'})
    expect(acked.acknowledged_by).toMatch(/^cli:/)

    const again = await cli(['monitor', 'alerts', 'ack', '--id', String(listed.id)])
    expect(again.code).toBe(5)
    expect(oneErrorLine(again)).toMatch(/acknowledged already/)
    const missing = await cli(['monitor', 'alerts', 'ack', '--id', '99999999'])
    expect(missing.code).toBe(4)
    expect(oneErrorLine(missing)).toMatch(/Alert 99999999 not found/)
    const bad = await cli(['monitor', 'alerts', 'ack', '--id', "1' OR '1'='1"])
    expect(bad.code).toBe(2)
    oneErrorLine(bad)
    const badLevel = await cli(['monitor', 'alerts', '--level', 'loud'])
    expect(badLevel.code).toBe(2)
    oneErrorLine(badLevel)
    await engine.sigterm()
  })

  it('the dead-man rule: check-alerts raises engine_dead after kill -9 and resolves it once an engine runs', async () => {
    writeRules(`alerts:\n  - name: engine_dead\n    condition: engine_heartbeat_age_s > 2\n    level: critical\n    channels: [webhook]\n`)
    const engine = await engines.start()
    const alive = await cli(['system', 'check-alerts', '--json'])
    expect(alive.code, alive.stderr).toBe(0)
    expect(json(alive)).toMatchObject({changes: [], firing: [], rules: ['engine_dead']})
    expect(json(alive).inputs.system_status).toBe('running')

    await engine.kill9()
    const fired: any = await until('check-alerts to raise engine_dead', async () => {
      const r = await cli(['system', 'check-alerts', '--json'])
      return r.code === 1 ? json(r) : undefined
    }, 20_000, 500)
    expect(fired.changes).toEqual([expect.objectContaining({kind: 'raised', rule: 'engine_dead', level: 'critical'})])
    expect(fired.inputs.engine_heartbeat_age_s).toBeGreaterThan(2)
    await until('the webhook to receive engine_dead', () => hooks.find((h) => h.rule === 'engine_dead' && h.kind === 'raised'))
    // Raised once: the next check finds it open and says nothing new.
    const still = await cli(['system', 'check-alerts', '--json'])
    expect(still.code).toBe(1)
    expect(json(still).changes).toEqual([])

    const next = await engines.start()
    const resolved = await until('check-alerts to resolve engine_dead', async () => {
      const r = json(await cli(['system', 'check-alerts', '--json']))
      return r.changes.some((c: any) => c.kind === 'resolved') ? r : undefined
    })
    expect(resolved.firing).toEqual([])
    await until('the webhook to receive the resolution', () => hooks.find((h) => h.rule === 'engine_dead' && h.kind === 'resolved'))
    const rows = json(await cli(['monitor', 'alerts', '--json'])).alerts.filter((a: any) => a.rule === 'engine_dead')
    expect(rows.map((a: any) => a.status)).toEqual(['resolved'])
    await next.sigterm()
  })

  it('a bad rule stops the engine and check-alerts with the rule, the column and what was expected', async () => {
    writeRules(`alerts:\n  - name: typo\n    condition: "cpu_usage >> 5"\n`)
    for (const args of [['start'], ['system', 'check-alerts']]) {
      const r = await cli(args)
      expect(r.code, r.stderr).toBe(2)
      expect(oneErrorLine(r)).toMatch(/notification\.yaml.*'typo'.*column \d+.*expected/)
    }
    writeRules('alerts: []\n')
  })

  it('system status --json has the manual\'s shape; health-check exits 3 when it cannot run', async () => {
    const s = json(await cli(['system', 'status', '--json']))
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['system_status', 'uptime', 'performance', 'business_metrics']))
    expect(Object.keys(s.performance)).toEqual(['cpu_usage', 'memory_usage', 'disk_usage', 'network_io'])
    expect(Object.keys(s.business_metrics)).toEqual(['active_users', 'running_strategies', 'pending_orders', 'daily_trades', 'system_tps', 'average_latency'])
    expect(s.business_metrics.active_users).toBeGreaterThan(0)
    const bad = await cli(['system', 'health-check', '--bogus'])
    expect(bad.code).toBe(3)
    oneErrorLine(bad)
  })

  it.runIf(kind === 'mariadb')('health-check exits 2 when the database is down', async () => {
    const r = await runCli(['system', 'health-check', '--database-url', 'mysql://root@127.0.0.1:1/ordermon'], {env: {...env, ORDERMON_DATABASE_URL: ''}, cwd: backend.dir})
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stdout).toMatch(/System: down/)
  })
})
