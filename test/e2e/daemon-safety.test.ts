import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import knexFactory from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MYSQL_BASE_URL, createBackend, type TestBackend} from '../helpers/backends.js'
import {json, runCli, type CliResult} from '../helpers/cli.js'
import {cliIn} from '../helpers/e2e.js'
import {engineProcesses, readPidfile} from '../helpers/engine-process.js'
import {isAlive, stopPid, until} from '../helpers/process.js'

/**
 * End-to-end: the daemon for months. `stop` never signals a process that is not this home's engine,
 * a secret in --database-url stays out of the daemon's command line, --json prints one document, and
 * ORDERMON_HOME is private to its owner (health-check says when it is not).
 */

const mode = (path: string) => statSync(path).mode & 0o777

/** The first JSON document is the whole of stdout (no text line before or after it). */
function onlyJson(r: CliResult): any {
  expect(r.stdout.trim().startsWith('{'), r.stdout).toBe(true)
  return json(r)
}

function setup(kind: 'sqlite' | 'mariadb') {
  const ctx = {backend: undefined as unknown as TestBackend, env: {} as Record<string, string>, home: ''}
  const cli = cliIn(() => ({dir: ctx.backend.dir, env: ctx.env}), {timeoutMs: 45_000})
  const engines = engineProcesses(() => ({cwd: ctx.backend.dir, env: ctx.env}))
  const pidfile = () => join(ctx.home, 'ordermon.pid')
  const readPid = () => readPidfile(ctx.home)
  /** `start --daemon [...args]` with the suite's environment, or all of `env` instead. */
  const startDaemon = (args: string[] = [], env?: Record<string, string>) => engines.startDaemon({args, env, timeoutMs: 45_000})
  beforeAll(async () => {
    ctx.backend = await createBackend(kind)
    ctx.env = {...ctx.backend.env}
    ctx.home = ctx.env.ORDERMON_HOME!
    const init = await cli(['init', '--sample-data'])
    expect(init.code, init.stderr).toBe(0)
  })
  afterAll(async () => {
    await engines.stopAll()
    await ctx.backend?.cleanup()
  })
  return {ctx, cli, engines, pidfile, readPid, startDaemon}
}

describe.sequential('sqlite: stop, start and the pidfile', () => {
  const {ctx, cli, engines, pidfile, readPid, startDaemon} = setup('sqlite')

  it('a new home is private: 0700 directories, 0600 files, after init and after a daemon start/stop', async () => {
    expect(mode(ctx.home)).toBe(0o700)
    expect(mode(join(ctx.home, 'ordermon.db'))).toBe(0o600)
    const {pid} = await startDaemon()
    expect(mode(join(ctx.home, 'logs'))).toBe(0o700)
    expect(mode(join(ctx.home, 'engine.json'))).toBe(0o600)
    expect(mode(pidfile())).toBe(0o600)
    expect(mode(join(ctx.home, 'logs', 'daemon.log'))).toBe(0o600)
    // The pidfile records the engine's start time, and engine.json the same.
    const [first, start] = readFileSync(pidfile(), 'utf8').split('\n')
    expect(Number(first)).toBe(pid)
    expect(start).toMatch(/^start=\d+$/)
    expect(JSON.parse(readFileSync(join(ctx.home, 'engine.json'), 'utf8')).proc_start).toBe(start!.slice('start='.length))
    const stop = await cli(['stop'])
    expect(stop.code, stop.stderr).toBe(0)
    expect(isAlive(pid)).toBe(false)
    expect(mode(ctx.home)).toBe(0o700)
    expect(mode(join(ctx.home, 'engine.json'))).toBe(0o600)
    expect(mode(join(ctx.home, 'ordermon.db'))).toBe(0o600)
    // The daemon's own output goes to logs/daemon.log, each start after a header line.
    expect(readFileSync(join(ctx.home, 'logs', 'daemon.log'), 'utf8')).toMatch(/^--- \d{4}-\d\d-\d\dT[\d:.]+Z daemon start$/m)
  })

  it('health-check fails a permissions check (exit 1) on a home readable by others, naming the chmod', async () => {
    chmodSync(ctx.home, 0o755)
    try {
      const r = await cli(['system', 'health-check'])
      expect(r.code, r.stdout).toBe(1)
      expect(r.stdout).toMatch(/permissions\s+FAIL/)
      expect(r.stdout).toContain(`${ctx.home} is 0755`)
      expect(r.stdout).toContain(`chmod 700 ${ctx.home}`)
      expect(r.stdout).toMatch(/System: degraded/)
      const j = await cli(['system', 'health-check', '--json'])
      expect(j.code).toBe(1)
      const h = onlyJson(j)
      expect(h.status).toBe('degraded')
      expect(h.checks.find((c: any) => c.name === 'permissions')).toMatchObject({ok: false})
    } finally {
      chmodSync(ctx.home, 0o700)
    }
    const ok = await cli(['system', 'health-check'])
    expect(ok.code, `${ok.stdout}${ok.stderr}`).toBe(0)
    expect(ok.stdout).toMatch(/permissions\s+ok/)
  })

  it('a pidfile naming a live unrelated process: stop signals nothing, removes it, exits 0; start is not blocked', async () => {
    const sleeper = spawn('sleep', ['1000'], {stdio: 'ignore'})
    const sleepPid = sleeper.pid!
    try {
      writeFileSync(pidfile(), `${sleepPid}\n`)
      const stop = await cli(['stop'])
      expect(stop.code, stop.stderr).toBe(0)
      expect(stop.stdout.trim()).toBe(`pid ${sleepPid} in ordermon.pid is not this home's engine (it is "sleep 1000"); removed the stale pidfile; nothing was signalled.`)
      expect(isAlive(sleepPid)).toBe(true)
      expect(existsSync(pidfile())).toBe(false)

      writeFileSync(pidfile(), `${sleepPid}\n`)
      expect(json(await cli(['status', '--json']))).toEqual({running: false})
      writeFileSync(pidfile(), `${sleepPid}\n`)
      const {pid} = await startDaemon()
      expect(pid).not.toBe(sleepPid)
      expect(readPid()).toBe(pid)
      expect(isAlive(sleepPid)).toBe(true)
    } finally {
      sleeper.kill('SIGKILL')
    }
  })

  it('a pidfile whose start time is not the live engine\'s (a reused pid) is not trusted: nothing is signalled', async () => {
    const pid = readPid() ?? (await startDaemon()).pid
    writeFileSync(pidfile(), `${pid}\nstart=1\n`)
    const stop = await cli(['stop', '--json'])
    expect(stop.code, stop.stderr).toBe(0)
    expect(onlyJson(stop)).toMatchObject({running: false, pid, not_ours: {reason: expect.stringMatching(/reused/)}})
    expect(isAlive(pid)).toBe(true)
    expect(existsSync(pidfile())).toBe(false)
    await stopPid(pid)
    await until('the engine to exit', () => !isAlive(pid), 10_000)
  })

  it('start --daemon --json and restart --json print exactly one JSON document', async () => {
    const start = await cli(['start', '--daemon', '--json'])
    const s = onlyJson(start)
    engines.track(s.pid)
    expect(start.code, start.stderr).toBe(0)
    expect(s).toMatchObject({daemon: true, state: {pid: s.pid, status: 'running'}})
    const restart = await cli(['restart', '--json'], {timeoutMs: 60_000})
    const r = onlyJson(restart)
    engines.track(r.started?.pid)
    expect(restart.code, restart.stderr).toBe(0)
    expect(restart.stderr).toBe('')
    expect(r.stopped).toMatchObject({running: true, pid: s.pid, signal: 'SIGTERM'})
    expect(r.started).toMatchObject({daemon: true, state: {status: 'running'}})
    expect(r.started.pid).not.toBe(s.pid)
    expect(isAlive(s.pid)).toBe(false)
    expect(readPid()).toBe(r.started.pid)
    const stop = await cli(['stop', '--json'])
    expect(onlyJson(stop)).toMatchObject({running: true, pid: r.started.pid, signal: 'SIGTERM'})
  })
})

describe.sequential('mariadb: a password in --database-url', () => {
  const {ctx, readPid, startDaemon} = setup('mariadb')
  const user = `om_${randomBytes(4).toString('hex')}`
  const secret = `Sx${randomBytes(12).toString('hex')}`
  const admin = knexFactory({client: 'mysql2', connection: MYSQL_BASE_URL})
  const hosts = ['127.0.0.1', 'localhost']

  beforeAll(async () => {
    const db = new URL(ctx.env.ORDERMON_DATABASE_URL!).pathname.slice(1)
    for (const host of hosts) {
      await admin.raw('CREATE USER ?@? IDENTIFIED BY ?', [user, host, secret])
      await admin.raw('GRANT ALL PRIVILEGES ON ??.* TO ?@?', [db, user, host])
    }
  })
  afterAll(async () => {
    for (const host of hosts) await admin.raw('DROP USER IF EXISTS ?@?', [user, host]).catch(() => {})
    await admin.destroy()
  })

  it('the daemon gets the URL through its environment: not in /proc/<pid>/cmdline, and a flag still beats .env', async () => {
    const db = new URL(ctx.env.ORDERMON_DATABASE_URL!).pathname.slice(1)
    const url = `mysql://${user}:${secret}@127.0.0.1:3306/${db}`
    // A .env with another database: the flag must win in the daemon, as it did when it was an argument.
    writeFileSync(join(ctx.backend.dir, '.env'), 'ORDERMON_DATABASE_URL=mysql://nobody:nothing@127.0.0.1:3306/ordermon_no_such_db\n')
    const {ORDERMON_DATABASE_URL: _unused, ...env} = ctx.env
    const {pid, result} = await startDaemon(['--database-url', url], env)
    expect(result.stdout).not.toContain(secret)
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    expect(cmdline.slice(1).map((a) => a.replace(/.*\//, ''))).toEqual(['run.js', 'start', '--quiet'])
    expect(cmdline.join(' ')).not.toContain(secret)
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
    expect(environ).toContain(`ORDERMON_DATABASE_URL=${url}`)
    expect(mode(`/proc/${pid}/environ`)).toBe(0o400)
    // The daemon runs on the flag's database (the .env one does not exist).
    const state = JSON.parse(readFileSync(join(ctx.home, 'engine.json'), 'utf8'))
    expect(state).toMatchObject({pid, status: 'running', backend: 'mysql'})
    expect(state.database).toContain(db)
    expect(JSON.stringify(state)).not.toContain(secret)

    // The environment without ORDERMON_DATABASE_URL, as the daemon was started with.
    const stop = await runCli(['stop'], {env, cwd: ctx.backend.dir, timeoutMs: 45_000})
    expect(stop.code, stop.stderr).toBe(0)
    expect(stop.stdout).toMatch(new RegExp(`pid ${pid}\\) stopped gracefully`))
    expect(isAlive(pid)).toBe(false)
    expect(readPid()).toBeUndefined()
  })
})
