import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Redis} from 'ioredis'
import knexFactory, {type Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REDIS_URL, backendKinds, createBackend, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json, runCli, type CliResult} from '../helpers/cli.js'
import {isAlive, sleep, stopPid, until} from '../helpers/process.js'

/**
 * End-to-end: the monitoring engine as the user runs it — `ordermon start --daemon`, `status`, `stop`,
 * the foreground engine and SIGTERM, a stale pidfile, raw-SQL control while it runs, Redis events on
 * MariaDB — and `system cleanup-logs`, each on a throwaway database per backend.
 */

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

function openDb(backend: TestBackend): Knex {
  return backend.kind === 'sqlite'
    ? knexFactory({client: 'better-sqlite3', connection: {filename: backend.loaded.paths.sqliteFile!}, useNullAsDefault: true})
    : knexFactory({client: 'mysql2', connection: backend.env.ORDERMON_DATABASE_URL!})
}

const parseJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

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
    const pids = new Set<number>()
    const children = new Set<ChildProcess>()
    let sub: Redis | undefined
    const messages: Array<{channel: string; raw: string; message: Record<string, unknown>}> = []
    let daemonPid = 0

    // `dist` may be rebuilt by `npm run build` while the suite runs; a command that could not even be
    // loaded did nothing, so it is safe to run it again.
    async function cli(args: string[], opts: {timeoutMs?: number} = {}): Promise<CliResult> {
      return runCli(args, {env, cwd: backend.dir, timeoutMs: opts.timeoutMs})
    }

    // `pid\nstart-time\n` (a one-line `pid\n` from older versions is still read by ordermon).
    const readPidfile = () => (existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8').split('\n')[0]) : undefined)
    const engineState = () => {
      try {
        return JSON.parse(readFileSync(join(home, 'engine.json'), 'utf8')) as Record<string, any>
      } catch {
        return undefined
      }
    }
    const userId = async (username: string) => String((await db('users').where({username}).first('user_id')).user_id)
    const activeUsers = async () => Number((await db('users').where({status: 'active'}).count({n: '*'}))[0]!.n)
    const runningStrategies = async () =>
      Number((await db('strategies').join('users', 'users.user_id', 'strategies.user_id').where({'strategies.status': 'running', 'users.status': 'active'}).count({n: '*'}))[0]!.n)

    async function startDaemon(): Promise<{pid: number; result: CliResult; ms: number}> {
      const t0 = Date.now()
      const result = await cli(['start', '--daemon'], {timeoutMs: 40_000})
      const ms = Date.now() - t0
      const m = /pid (\d+)/.exec(result.stdout)
      if (m) pids.add(Number(m[1]))
      const fromFile = readPidfile()
      if (fromFile && fromFile !== 999_999) pids.add(fromFile)
      expect(result.code, `start --daemon: ${result.stderr}${result.stdout}`).toBe(0)
      expect(m, result.stdout).not.toBeNull()
      return {pid: Number(m![1]), result, ms}
    }

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
        sub = new Redis(REDIS_URL, {lazyConnect: true, maxRetriesPerRequest: 1})
        sub.on('error', () => {})
        await sub.connect()
        sub.on('message', (channel: string, raw: string) => messages.push({channel, raw, message: JSON.parse(raw)}))
        await sub.subscribe(`${prefix}events`)
      }
      const init = await cli(['init', '--sample-data'])
      expect(init.code, init.stderr).toBe(0)
      db = openDb(backend)
    })

    afterAll(async () => {
      const fromFile = backend && readPidfile()
      if (fromFile && fromFile !== 999_999) pids.add(fromFile)
      for (const child of children) if (child.pid) pids.add(child.pid)
      await Promise.all([...pids].map((pid) => stopPid(pid)))
      sub?.disconnect()
      if (kind === 'mariadb') {
        const plain = new Redis(REDIS_URL, {maxRetriesPerRequest: 1})
        try {
          const keys = await plain.keys(`${prefix}*`)
          if (keys.length) await plain.del(...keys)
        } finally {
          await plain.quit()
        }
      }
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
      // One event, not one per poll.
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
      expect(json(s)).toEqual({running: false})
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
      expect(json(await cli(['status', '--json']))).toEqual({running: false})
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
      if (m) pids.add(Number(m[1]))
      const fromFile = readPidfile()
      if (fromFile) pids.add(fromFile)
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
      /** Spawns `ordermon start` in the foreground; resolves once it says it runs (or has exited). */
      async function foreground() {
        const child = spawn(process.execPath, [bin, 'start'], {
          cwd: backend.dir,
          env: {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env},
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        children.add(child)
        if (child.pid) pids.add(child.pid)
        const out = {child, stderr: '', exited: undefined as unknown as Promise<{code: number | null; signal: NodeJS.Signals | null}>}
        child.stdout!.on('data', () => {})
        child.stderr!.on('data', (d) => (out.stderr += d))
        out.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})))
        await until('the "running" line on stderr', () => /running/i.test(out.stderr) || (child.exitCode !== null ? 'exited' : undefined), 20_000, 50)
        return out
      }
      await ensureStopped()
      const run = await foreground()
      const {child} = run
      try {
        expect(child.exitCode, `the engine exited early: ${run.stderr}`).toBeNull()
        expect(run.stderr).toMatch(/Engine .* running on .*users.*strategies.*open orders/)
        expect(readPidfile()).toBe(child.pid)
        const t0 = Date.now()
        child.kill('SIGTERM')
        const result = await Promise.race([run.exited, sleep(10_000).then(() => 'timeout' as const)])
        expect(result, `no exit within 10 s after SIGTERM; stderr: ${run.stderr}`).not.toBe('timeout')
        expect(result).toEqual({code: 0, signal: null})
        expect(Date.now() - t0).toBeLessThan(10_000)
        expect(run.stderr).toMatch(/SIGTERM: stopping/)
        expect(existsSync(pidfile)).toBe(false)
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
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
