import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REDIS_URL, backendKinds, createBackend, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, countOf, openDb, parseJson} from '../helpers/e2e.js'
import {engineProcesses, engineState as stateOf, readPidfile as pidOf} from '../helpers/engine-process.js'
import {isAlive, sleep, until} from '../helpers/process.js'
import {deleteKeys, subscribe} from '../helpers/redis.js'

/**
 * End-to-end: the monitoring engine as the user runs it — `ordermon start --daemon`, `status`, `stop`,
 * the foreground engine and SIGTERM, a stale pidfile, raw-SQL control while it runs, Redis events on
 * MariaDB — and `system cleanup-logs`, each on a throwaway database per backend.
 */

// The backends run side by side (separate databases and homes); the steps of one backend run in order.
describe.concurrent.each(backendKinds)('%s', (kind) => {
  describe.sequential('engine daemon', () => {
    let backend: TestBackend
    let env: Record<string, string>
    let db: Knex
    let home: string
    let pidfile: string
    const prefix = `${uniqueName('ordermon_e2e')}:`
    /** Every engine process this suite started: all are stopped in afterAll, whatever happened. */
    const engines = engineProcesses(() => ({cwd: backend.dir, env}))
    const cli = cliIn(() => ({dir: backend.dir, env}))
    let sub: Redis | undefined
    const messages: Array<{channel: string; raw: string; message: Record<string, unknown>}> = []
    let daemonPid = 0

    // `pid\nstart-time\n` (a one-line `pid\n` from older versions is still read by ordermon).
    const readPidfile = () => pidOf(home)
    const engineState = () => stateOf(home)
    const userId = async (username: string) => String((await db('users').where({username}).first('user_id')).user_id)
    const activeUsers = () => countOf(db('users').where({status: 'active'}))
    const runningStrategies = () => countOf(db('strategies').join('users', 'users.user_id', 'strategies.user_id').where({'strategies.status': 'running', 'users.status': 'active'}))
    const startDaemon = () => engines.startDaemon()

    /** The running daemon's pid, started if none runs: each step can run on its own, in any order. */
    async function ensureRunning(): Promise<number> {
      const pid = readPidfile()
      if (pid && isAlive(pid) && engineState()?.status === 'running') return (daemonPid = pid)
      return (daemonPid = (await startDaemon()).pid)
    }

    async function ensureStopped(): Promise<void> {
      const pid = readPidfile()
      if (pid && isAlive(pid)) {
        const r = await cli(['stop'])
        expect(r.code, r.stderr).toBe(0)
      }
    }

    beforeAll(async () => {
      backend = await createBackend(kind)
      home = backend.env.ORDERMON_HOME!
      pidfile = join(home, 'ordermon.pid')
      env = {...backend.env}
      if (kind === 'mariadb') {
        env.ORDERMON_REDIS_URL = REDIS_URL
        env.ORDERMON__REDIS__KEY_PREFIX = prefix
        sub = await subscribe(`${prefix}events`, (raw, channel) => messages.push({channel, raw, message: JSON.parse(raw)}))
      }
      const init = await cli(['init', '--sample-data'])
      expect(init.code, init.stderr).toBe(0)
      db = openDb(backend)
    })

    afterAll(async () => {
      await engines.stopAll()
      sub?.disconnect()
      if (kind === 'mariadb') await deleteKeys(prefix)
      await db?.destroy()
      await backend?.cleanup()
    })

    it('start --daemon returns once the engine is healthy, prints the pid and writes the pidfile', async () => {
      await ensureStopped()
      const {pid, ms, result} = await startDaemon()
      daemonPid = pid
      expect(ms).toBeLessThan(15_000)
      expect(result.stdout).toMatch(/running in the background/i)
      expect(readPidfile()).toBe(pid)
      expect(isAlive(pid)).toBe(true)
      expect(engineState()).toMatchObject({pid, status: 'running'})
    })

    it('status --json says running, with the pid and what it monitors', async () => {
      await ensureRunning()
      const r = await cli(['status', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const s = json(r)
      expect(s.running).toBe(true)
      expect(s.state).toMatchObject({pid: daemonPid, status: 'running', backend: kind === 'mariadb' ? 'mysql' : 'sqlite'})
      expect(s.state.users).toBe(await activeUsers())
      expect(s.state.users).toBeGreaterThan(0)
      expect(s.state.strategies).toBe(await runningStrategies())
      expect(typeof s.state.open_orders).toBe('number')
      expect(s.state.open_orders).toBeGreaterThanOrEqual(0)
      if (kind === 'mariadb') expect(s.state.redis).toMatch(/^redis:\/\//)
      else expect(s.state.redis).toBeNull()
      const text = await cli(['status'])
      expect(text.code).toBe(0)
      expect(text.stdout).toContain(String(daemonPid))
    })

    it('a second start --daemon is refused with exit 5, naming the running pid', async () => {
      await ensureRunning()
      const r = await cli(['start', '--daemon'])
      expect(r.code, r.stderr).toBe(5)
      expect(r.stderr).toContain(`pid ${daemonPid}`)
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1)
      expect(readPidfile()).toBe(daemonPid)
      expect(isAlive(daemonPid)).toBe(true)
    })

    it('picks up UPDATE users SET status=\'suspended\' made by raw SQL while it runs', async () => {
      await ensureRunning()
      const trader002 = await userId('trader002')
      if ((await db('users').where({user_id: trader002}).first('status')).status !== 'active') {
        const back = await cli(['user', 'status', '--username', 'trader002', '--status', 'active'])
        expect(back.code, back.stderr).toBe(0)
      }
      const fromEvent = Number((await db('events').max({m: 'id'}))[0]!.m ?? 0)
      await until('the engine to count the active users', async () => engineState()?.users === (await activeUsers()), 5000)
      const before = json(await cli(['status', '--json'])).state.users as number
      const t0 = Date.now()
      await db.raw("UPDATE users SET status='suspended' WHERE username='trader002'")
      const event = await until('the user.status_changed event', async () =>
        db('events').where({type: 'user.status_changed', entity_type: 'user', entity_id: trader002, source: 'sql'}).where('id', '>', fromEvent).first(),
      )
      expect(Date.now() - t0).toBeLessThan(5000)
      expect(parseJson(event.payload)).toMatchObject({from: 'active', to: 'suspended'})
      // One event, not one per poll. A duration, not a condition: about three polls (default poll_ms 100)
      // in which no second event may appear.
      await sleep(300)
      expect(await db('events').where({entity_type: 'user', entity_id: trader002, source: 'sql'}).where('id', '>', fromEvent).count({n: '*'})).toEqual([{n: 1}])
      // The engine stops monitoring that user (its heartbeat writes the state every second).
      await until('one user fewer in engine.json', () => engineState()?.users === before - 1, 5000)
      const s = json(await cli(['status', '--json']))
      expect(s.state.users).toBe(before - 1)
      if (kind === 'mariadb') {
        const got = await until('the event on Redis', () => messages.find((m) => m.message.id === Number(event.id)), 5000)
        expect(got.channel).toBe(`${prefix}events`)
        expect(got.message).toMatchObject({type: 'user.status_changed', entity_type: 'user', entity_id: trader002, user_id: trader002, source: 'sql', payload: {from: 'active', to: 'suspended'}})
        expect(Object.keys(JSON.parse(got.raw)).sort()).toEqual(['created_at', 'entity_id', 'entity_type', 'id', 'payload', 'source', 'type', 'user_id'])
      }
    })

    it('order cancel writes order.cancelled, which the engine follows (user log) and relays (Redis)', async () => {
      await ensureRunning()
      const trader001 = await userId('trader001')
      // A limit buy far below the market: the paper venue will not fill it.
      const created = await cli(['order', 'create', '--user-id', trader001, '--symbol', 'AAPL', '--side', 'buy', '--quantity', '10', '--price', '1', '--json'])
      expect(created.code, `${created.stderr}${created.stdout}`).toBe(0)
      const orderId = json(created).order.order_id as string
      expect((await db('orders').where({order_id: orderId}).first()).status).toBe('pending')
      const r = await cli(['order', 'cancel', '--order-id', orderId])
      expect(r.code, r.stderr).toBe(0)
      const event = await db('events').where({type: 'order.cancelled', entity_id: orderId}).first()
      expect(event).toMatchObject({entity_type: 'order', user_id: trader001, source: 'cli'})
      // The engine saw it: it logs every event of a user to that user's log of the day.
      const day = new Date().toISOString().slice(0, 10)
      const userLog = join(home, 'logs', 'users', `user_${trader001}`, `user_${trader001}_${day}.log`)
      const line = await until(
        'the order.cancelled line in the user log',
        () => {
          if (!existsSync(userLog)) return undefined
          // The engine may be appending while we read: a last line can be partial, so skip what does not parse.
          return readFileSync(userLog, 'utf8')
            .split('\n')
            .flatMap((l) => {
              try {
                return [JSON.parse(l)]
              } catch {
                return []
              }
            })
            .find((l) => l.message === 'order.cancelled' && l.entity === orderId)
        },
        5000,
      )
      expect(line).toMatchObject({level: 'info', user_id: trader001, event_id: Number(event.id), source: 'cli'})
      if (kind === 'mariadb') {
        const got = await until('order.cancelled on Redis', () => messages.find((m) => m.message.id === Number(event.id)), 5000)
        expect(got.message).toMatchObject({type: 'order.cancelled', entity_type: 'order', entity_id: orderId, user_id: trader001, source: 'cli'})
        // Published once.
        expect(messages.filter((m) => m.message.id === Number(event.id))).toHaveLength(1)
      }
    })

    it('stop ends the engine gracefully: process gone, pidfile removed, status not running; stop again is harmless', async () => {
      await ensureRunning()
      const r = await cli(['stop'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`pid ${daemonPid}\\) stopped gracefully`))
      expect(isAlive(daemonPid)).toBe(false)
      expect(existsSync(pidfile)).toBe(false)
      expect(engineState()).toMatchObject({pid: daemonPid, status: 'stopped'})
      const s = await cli(['status', '--json'])
      expect(s.code).toBe(0)
      // On MariaDB the engines sharing the database are listed too: none left.
      expect(json(s)).toEqual({running: false, ...(kind === 'mariadb' ? {engines: []} : {})})
      expect((await cli(['status'])).stdout).toMatch(/not running/)
      const again = await cli(['stop'])
      expect(again.code, again.stderr).toBe(0)
      expect(again.stdout).toMatch(/No engine is running/)
      // The engine logged its life to its system log (logs/system.log, a file or the link to today's);
      // the daemon's own stdout/stderr go to logs/daemon.log, not there.
      const log = readFileSync(join(home, 'logs', 'system.log'), 'utf8')
      expect(log).toMatch(/engine started/)
      expect(log).toMatch(/engine stopped/)
      expect(log).not.toMatch(/daemon start/)
      expect(readFileSync(join(home, 'logs', 'daemon.log'), 'utf8')).toMatch(/^--- \S+ daemon start$/m)
    })

    it('a stale pidfile (dead pid) is detected: status says not running, start --daemon cleans it and starts', async () => {
      await ensureStopped()
      expect(isAlive(999_999)).toBe(false)
      mkdirSync(home, {recursive: true})
      writeFileSync(pidfile, '999999\n')
      const st = json(await cli(['status', '--json']))
      expect(st).toEqual({running: false, ...(kind === 'mariadb' ? {engines: []} : {})})
      writeFileSync(pidfile, '999999\n')
      const {pid} = await startDaemon()
      expect(pid).not.toBe(999_999)
      expect(readPidfile()).toBe(pid)
      expect(isAlive(pid)).toBe(true)
      const stop = await cli(['stop'])
      expect(stop.code, stop.stderr).toBe(0)
      expect(isAlive(pid)).toBe(false)
      expect(existsSync(pidfile)).toBe(false)
    })

    it('restart replaces a running engine with a new one', async () => {
      const first = await ensureRunning()
      const r = await cli(['restart'], {timeoutMs: 60_000})
      const m = /pid (\d+)\)/.exec(r.stdout)
      if (m) engines.track(Number(m[1]))
      const fromFile = readPidfile()
      engines.track(fromFile)
      expect(r.code, r.stderr).toBe(0)
      expect(isAlive(first)).toBe(false)
      expect(fromFile).toBeDefined()
      expect(fromFile).not.toBe(first)
      expect(isAlive(fromFile!)).toBe(true)
      expect(json(await cli(['status', '--json'])).state.pid).toBe(fromFile)
      const stop = await cli(['stop'])
      expect(stop.code, stop.stderr).toBe(0)
      expect(isAlive(fromFile!)).toBe(false)
      expect(existsSync(pidfile)).toBe(false)
    })

    it('the foreground engine prints its running line and exits 0 on SIGTERM within 10 s', async () => {
      await ensureStopped()
      // `ordermon start` in the foreground; the running line comes on stderr (an exit first fails the test).
      const run = engines.spawn({args: ['start']})
      try {
        await run.waitStderr(/running/i, 20_000)
        expect(run.stderr()).toMatch(/Engine .* running on .*users.*strategies.*open orders/)
        expect(readPidfile()).toBe(run.pid)
        const t0 = Date.now()
        const result = await run.sigterm(10_000)
        expect(result).toEqual({code: 0, signal: null})
        expect(Date.now() - t0).toBeLessThan(10_000)
        expect(run.stderr()).toMatch(/SIGTERM: stopping/)
        expect(existsSync(pidfile)).toBe(false)
      } finally {
        if (!run.hasExited()) run.child.kill('SIGKILL')
      }
    })

    it('system cleanup-logs is quiet on success; --dry-run --json lists what would go', async () => {
      // An engine applies retention itself when it starts: this step checks the command alone.
      await ensureStopped()
      const logDir = join(home, 'logs')
      const old = join(logDir, 'users', 'user_U999', 'user_U999_2020-01-01.log')
      mkdirSync(join(logDir, 'users', 'user_U999'), {recursive: true})
      writeFileSync(old, '{"message":"old"}\n')
      const today = new Date().toISOString().slice(0, 10)
      const keep = join(logDir, 'users', 'user_U999', `user_U999_${today}.log`)
      writeFileSync(keep, '{"message":"today"}\n')

      const dry = await cli(['system', 'cleanup-logs', '--days', '7', '--dry-run', '--json'])
      expect(dry.code, dry.stderr).toBe(0)
      const plan = json(dry)
      expect(plan).toMatchObject({dry_run: true})
      expect(plan.deleted.some((p: string) => p.endsWith(join('user_U999', 'user_U999_2020-01-01.log')))).toBe(true)
      expect(plan.deleted.some((p: string) => p.endsWith(`user_U999_${today}.log`))).toBe(false)
      expect(existsSync(old)).toBe(true)

      const real = await cli(['system', 'cleanup-logs', '--days', '7'])
      expect(real.code, real.stderr).toBe(0)
      expect(real.stdout).toBe('')
      expect(real.stderr).toBe('')
      expect(existsSync(old)).toBe(false)
      expect(existsSync(keep)).toBe(true)
      expect(existsSync(join(logDir, 'system.log'))).toBe(true)

      const again = await cli(['system', 'cleanup-logs', '--days', '7'])
      expect(again.code).toBe(0)
      expect(again.stdout).toBe('')
    })
  })
})
