import {mkdirSync, readFileSync, readlinkSync, readdirSync, symlinkSync, writeFileSync, existsSync, lstatSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it, vi} from 'vitest'
import {loadConfig} from '../../src/engine/config/index.js'
import {OutboxCursor} from '../../src/engine/bus/outbox-cursor.js'
import {createSystemLogger} from '../../src/engine/logging/logger.js'
import {cleanupLogs} from '../../src/engine/logging/retention.js'
import {Housekeeping, FEED_EXPIRY_MS} from '../../src/engine/runtime/housekeeping.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {useEngine} from '../helpers/suite.js'

/**
 * Retention that keeps a months-long engine flat, on both backends: published events older than
 * the retention go in small batches, never one a live reader (relay, panel, the engine's own
 * follower) has not passed; a dead reader stops holding the outbox once it expires; metric
 * samples age out; business history (order_logs, fills, audit_log) is never touched.
 */

const silent = {info: () => {}, warn: () => {}, error: () => {}} as never

describe.each(backendKinds)('housekeeping on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)

  const insertEvents = async (n: number, ageMs: number) => {
    const at = new Date(Date.now() - ageMs)
    const rows = Array.from({length: n}, (_, i) => ({type: 'order.filled', entity_type: 'order', entity_id: `ORDX${i}`, user_id: null, payload: '{}', source: 'engine', created_at: ctx.engine.store.dialect.toDb(at)}))
    for (let i = 0; i < rows.length; i += 400) await ctx.engine.db.knex('events').insert(rows.slice(i, i + 400))
  }
  const ids = async () => (await ctx.engine.db.knex('events').select('id').orderBy('id')).map((r) => Number(r.id))
  const keeper = (over: Record<string, string> = {}, local: number[] = []) => {
    const loaded = loadConfig({cwd: ctx.backend.dir, env: {...ctx.backend.env, ORDERMON__ENGINE__EVENTS_RETENTION_HOURS: '1', ORDERMON__ENGINE__PRUNE_BATCH: '50', ...over}})
    return new Housekeeping({store: ctx.engine.store, config: () => loaded.config, logDir: join(ctx.backend.dir, 'hk-logs'), logger: silent, localPositions: () => local, stopping: () => false})
  }

  it('prunes old events in batches up to the slowest live reader, and keeps new ones', async () => {
    const knex = ctx.engine.db.knex
    await knex('events').delete()
    await knex('relay_offsets').delete()
    await insertEvents(300, 2 * 3_600_000) // past the 1 h retention
    await insertEvents(20, 60_000) // recent
    const all = await ids()
    const old = all.slice(0, 300)
    // A relay that has published the first 250 and a panel that has read 280.
    await ctx.engine.store.events.setOffset('relay.test:', old[249]!)
    await ctx.engine.store.events.setOffset('feed.host.1.abc', old[279]!)
    const r = await keeper().run()
    expect(r.events_pruned).toBe(250)
    const left = await ids()
    expect(left[0]).toBe(old[250])
    expect(left).toHaveLength(70)
    // Nothing new, nothing a reader has not passed: a second pass changes nothing.
    expect((await keeper().run()).events_pruned).toBe(0)
    // The relay catches up: the rest of the old events go; the recent ones stay.
    await ctx.engine.store.events.setOffset('relay.test:', all.at(-1)!)
    await ctx.engine.store.events.setOffset('feed.host.1.abc', all.at(-1)!)
    expect((await keeper().run()).events_pruned).toBe(50)
    expect(await ids()).toEqual(all.slice(300))
  })

  it("the engine's own follower holds the outbox like a named reader", async () => {
    const knex = ctx.engine.db.knex
    await knex('events').delete()
    await knex('relay_offsets').delete()
    await insertEvents(100, 2 * 3_600_000)
    const all = await ids()
    const r = await keeper({}, [all[9]!]).run()
    expect(r.events_pruned).toBe(10)
    expect((await ids())[0]).toBe(all[10])
  })

  it('a reader idle past its expiry is dropped and no longer holds the outbox; a live one is kept', async () => {
    const knex = ctx.engine.db.knex
    await knex('events').delete()
    await knex('relay_offsets').delete()
    await insertEvents(40, 2 * 3_600_000)
    const all = await ids()
    await ctx.engine.store.events.setOffset('feed.gone.1.x', all[4]!)
    await ctx.engine.store.events.setOffset('relay.live:', all.at(-1)!)
    // The panel was killed: its position has not been touched for longer than a panel's expiry.
    const stale = ctx.engine.store.dialect.toDb(new Date(Date.now() - FEED_EXPIRY_MS - 60_000))
    await knex('relay_offsets').where({name: 'feed.gone.1.x'}).update({updated_at: stale})
    const r = await keeper().run()
    expect(r.readers_expired).toEqual(['feed.gone.1.x'])
    expect(r.events_pruned).toBe(40)
    expect((await ctx.engine.store.events.readers()).map((x) => x.name)).toEqual(['relay.live:'])
  })

  it('a cursor touches its position while idle, so a live reader never expires', async () => {
    const knex = ctx.engine.db.knex
    await knex('relay_offsets').delete()
    const cursor = new OutboxCursor(ctx.engine.store, {name: 'feed.touch.1.t', touchEveryMs: 0})
    await cursor.init()
    const old = ctx.engine.store.dialect.toDb(new Date(Date.now() - 3_600_000))
    await knex('relay_offsets').where({name: 'feed.touch.1.t'}).update({updated_at: old})
    await cursor.next(10)
    await cursor.commit()
    const [reader] = await ctx.engine.store.events.readers()
    expect(reader!.idle_ms).toBeLessThan(60_000)
    await cursor.release()
    expect(await ctx.engine.store.events.readers()).toEqual([])
  })

  it('resolved alerts past alerts_retention_days go with their notifications; open and recent ones stay', async () => {
    const knex = ctx.engine.db.knex
    const d = ctx.engine.store.dialect
    const day = 86_400_000
    const alert = async (rule: string, resolvedDaysAgo: number | null) => {
      const at = d.toDb(new Date(Date.now() - (resolvedDaysAgo ?? 200) * day - 3_600_000))
      const [id] = await knex('alerts').insert({rule, open_key: resolvedDaysAgo === null ? rule : null, level: 'warning', category: 'system', message: rule, status: resolvedDaysAgo === null ? 'active' : 'resolved', created_at: at, resolved_at: resolvedDaysAgo === null ? null : d.toDb(new Date(Date.now() - resolvedDaysAgo * day))})
      await knex('alert_notifications').insert({alert_id: id, kind: 'raised', channel: 'log', recipients: '[]', status: 'sent', created_at: at})
      return Number(id)
    }
    const old = await alert('hk_old', 100)
    const recent = await alert('hk_recent', 1)
    const open = await alert('hk_open', null)
    const r = await keeper({ORDERMON__MONITORING__ALERTS_RETENTION_DAYS: '90'}).run()
    expect(r.alerts_pruned).toBe(1)
    const left = (await knex('alerts').whereIn('id', [old, recent, open]).orderBy('id')).map((a) => Number(a.id))
    expect(left).toEqual([recent, open])
    expect((await knex('alert_notifications').whereIn('alert_id', [old, recent, open])).map((n) => Number(n.alert_id)).sort()).toEqual([recent, open].sort())
    expect((await keeper({ORDERMON__MONITORING__ALERTS_RETENTION_DAYS: '90'}).run()).alerts_pruned).toBe(0)
  })

  it('API sign-ins whose refresh token expired are deleted; live and revoked-but-unexpired ones stay', async () => {
    const {store} = ctx.engine
    const [user] = await ctx.engine.db.knex('users').select('user_id').limit(1)
    const userId = user ? String(user.user_id) : (await ctx.engine.users.create({username: 'hk_session', password: 'Session-pass-1'}, {name: 'test', source: 'cli'})).user_id
    const session = (id: string, expiresInMs: number) => store.sessions.insert({session_id: id, user_id: userId, refresh_jti: `j-${id}`, expires_at: new Date(Date.now() + expiresInMs), ip: null, agent: null})
    await session('hk-expired-1', -3_600_000)
    await session('hk-expired-2', -60_000)
    await session('hk-live', 3_600_000)
    await session('hk-revoked', 3_600_000)
    await store.sessions.revoke('hk-revoked', 'logged out')
    const r = await keeper().run()
    expect(r.sessions_pruned).toBe(2)
    const left = (await ctx.engine.db.knex('api_sessions').where('session_id', 'like', 'hk-%').orderBy('session_id').pluck('session_id')) as string[]
    expect(left).toEqual(['hk-live', 'hk-revoked'])
    expect((await keeper().run()).sessions_pruned).toBe(0)
  })

  it('metric samples past their retention go; business history stays', async () => {
    const knex = ctx.engine.db.knex
    await knex('metrics').delete()
    await ctx.engine.store.metrics.insertSample('i1', new Date(Date.now() - 3 * 86_400_000), {cpu_usage: 10, tps: 5})
    await ctx.engine.store.metrics.insertSample('i1', new Date(), {cpu_usage: 20, tps: 6})
    const logsBefore = await knex('order_logs').count({n: '*'}).first()
    const r = await keeper({ORDERMON__MONITORING__METRICS_RETENTION_DAYS: '1'}).run()
    expect(r.metrics_pruned).toBe(2)
    expect((await ctx.engine.store.metrics.latest(new Date(Date.now() - 60_000))).map((p) => p.value).sort()).toEqual([20, 6].sort())
    expect(await knex('order_logs').count({n: '*'}).first()).toEqual(logsBefore)
  })
})

describe('system log rotation', () => {
  it('writes system_<UTC day>.log with system.log linking to it; a legacy system.log is renamed, not lost', async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `ordermon-rot-${process.pid}-${Date.now()}`)
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'system.log'), '{"old":true}\n')
    const logger = createSystemLogger(dir, 'info')
    logger.info('hello', {password: 'hunter2'})
    await new Promise<void>((resolve) => {
      logger.on('finish', () => resolve())
      logger.end()
    })
    await new Promise((r) => setTimeout(r, 100))
    const day = new Date().toISOString().slice(0, 10)
    const files = readdirSync(dir)
    expect(files).toContain(`system_${day}.log`)
    expect(files.some((f) => /^system-legacy_\d{4}-\d{2}-\d{2}\.log$/.test(f))).toBe(true)
    expect(lstatSync(join(dir, 'system.log')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(join(dir, 'system.log'))).toBe(`system_${day}.log`)
    // Retention treats rotated days like any dated log, and keeps the link without reporting it.
    writeFileSync(join(dir, 'system_2020-01-01.log'), 'x')
    symlinkSync('/etc/passwd', join(dir, 'escape.log'))
    const r = cleanupLogs(dir, {days: 7})
    expect(r.deleted.map((p) => p.split('/').at(-1))).toEqual(expect.arrayContaining(['system_2020-01-01.log']))
    expect(r.skipped_links.map((p) => p.split('/').at(-1))).toEqual(['escape.log'])
    expect(existsSync(join(dir, `system_${day}.log`))).toBe(true)
    expect(existsSync('/etc/passwd')).toBe(true)
  })
})

describe('system log rotation over midnight', () => {
  it('moves to the next day\'s file while the logger runs, and the link follows', async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `ordermon-rot2-${process.pid}-${Date.now()}`)
    mkdirSync(dir, {recursive: true})
    vi.useFakeTimers({toFake: ['Date'], now: new Date('2031-03-04T23:59:59.000Z')})
    try {
      const logger = createSystemLogger(dir, 'info')
      logger.info('before midnight')
      await new Promise((r) => setTimeout(r, 50))
      vi.setSystemTime(new Date('2031-03-05T00:00:01.000Z'))
      logger.info('after midnight')
      await new Promise((r) => setTimeout(r, 50))
      await new Promise<void>((resolve) => {
        logger.on('finish', () => resolve())
        logger.end()
      })
      await new Promise((r) => setTimeout(r, 100))
      expect(readFileSync(join(dir, 'system_2031-03-04.log'), 'utf8')).toContain('before midnight')
      expect(readFileSync(join(dir, 'system_2031-03-05.log'), 'utf8')).toContain('after midnight')
      expect(readlinkSync(join(dir, 'system.log'))).toBe('system_2031-03-05.log')
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('per-user logs over a long run', () => {
  it('a user directory removed by retention is made again; an unwritable one is reported, never thrown', async () => {
    const {UserLogs} = await import('../../src/engine/logging/user-logs.js')
    const {rmSync} = await import('node:fs')
    const dir = join(process.env.TMPDIR ?? '/tmp', `ordermon-ulog-${process.pid}-${Date.now()}`)
    const errors: string[] = []
    const logs = new UserLogs(dir, 'info', 10_000, (_e, file) => errors.push(file))
    logs.log('U1', 'info', 'first')
    await logs.flush()
    const file = UserLogs.fileFor(dir, 'U1', new Date())
    expect(readFileSync(file, 'utf8')).toContain('first')
    // cleanup-logs removed the user's (old, now empty) directory while the engine runs.
    rmSync(join(dir, 'users'), {recursive: true})
    logs.log('U1', 'info', 'second')
    await logs.flush()
    expect(readFileSync(file, 'utf8')).toContain('second')
    // A file where the directory should be: writing fails, the engine is told, nothing throws.
    rmSync(join(dir, 'users'), {recursive: true})
    writeFileSync(join(dir, 'users'), 'not a directory')
    logs.log('U2', 'info', 'third')
    await expect(logs.flush()).resolves.toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(logs.dropped).toBe(1)
    await logs.close()
    // Closed: further lines are not taken (nothing more is attempted, nothing more dropped).
    logs.log('U2', 'info', 'after close')
    await logs.flush()
    expect(errors).toHaveLength(1)
    expect(logs.dropped).toBe(1)
  })
})

describe('per-user logs when the disk cannot keep up', () => {
  it('hold at most MAX_PENDING_LINES in memory, count what they drop, and say so once per flush', async () => {
    const {UserLogs, MAX_PENDING_LINES} = await import('../../src/engine/logging/user-logs.js')
    const dir = join(process.env.TMPDIR ?? '/tmp', `ordermon-ulog-cap-${process.pid}-${Date.now()}`)
    const reports: string[] = []
    const logs = new UserLogs(dir, 'info', 60_000, (e) => reports.push(String(e)))
    for (let i = 0; i < MAX_PENDING_LINES + 250; i++) logs.log(`U${i % 50}`, 'info', 'x')
    expect(logs.dropped).toBe(250)
    await logs.flush()
    expect(reports).toEqual([expect.stringContaining('250 line(s) dropped')])
    // Written: exactly the lines that were kept.
    let lines = 0
    for (let u = 0; u < 50; u++) lines += readFileSync(UserLogs.fileFor(dir, `U${u}`, new Date()), 'utf8').trim().split('\n').length
    expect(lines).toBe(MAX_PENDING_LINES)
    // Flushes overlapping a running one do not start a second writer; all lines still land.
    logs.log('U1', 'info', 'a')
    const first = logs.flush()
    logs.log('U1', 'info', 'b')
    const second = logs.flush()
    await Promise.all([first, second])
    expect(readFileSync(UserLogs.fileFor(dir, 'U1', new Date()), 'utf8')).toMatch(/"a"[\s\S]*"b"/)
  })
})
