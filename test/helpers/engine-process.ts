import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'vitest'
import {runCli, spawnCli, type CliProcess, type CliResult, type Exit} from './cli.js'
import {stopPid, until} from './process.js'

/**
 * The monitoring engine as a process of the built CLI: `ordermon start` in the foreground as a child
 * of the test, or `ordermon start --daemon`. engineProcesses() keeps the pid of every engine a suite
 * started, so its afterAll can stop them all (by pid) whatever happened.
 */

/** Engine timings for suites that crash it mid-work: ticks, polls and heartbeats fast enough to catch it at it. */
export const fastEngineEnv: Record<string, string> = {
  ORDERMON__ENGINE__TICK_MS: '50',
  ORDERMON__ENGINE__PAPER_LATENCY_MS: '0',
  ORDERMON__ENGINE__POLL_MS: '50',
  ORDERMON__ENGINE__RELAY_MS: '20',
  ORDERMON__ENGINE__HEARTBEAT_MS: '500',
}

/** `<home>/engine.json` (written by the engine every heartbeat), or undefined while there is none (or it is half-written). */
export function engineState(home: string): Record<string, any> | undefined {
  try {
    return JSON.parse(readFileSync(join(home, 'engine.json'), 'utf8')) as Record<string, any>
  } catch {
    return undefined
  }
}

/** The pid in `<home>/ordermon.pid` (`pid\nstart=...\n`), or undefined without one. */
export function readPidfile(home: string): number | undefined {
  const file = join(home, 'ordermon.pid')
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined
}

export interface EngineProcess extends CliProcess {
  home: string
  /** Resolves once engine.json shows this pid running; fails the test if the engine exits first. */
  waitRunning(ms?: number): Promise<void>
  /** SIGTERM, and the exit within `ms` (15 s unless told). */
  sigterm(ms?: number): Promise<Exit>
  /** SIGKILL, and the exit. */
  kill9(): Promise<Exit>
  /** Resolves after `ms` if the engine is still up by then; fails the test as soon as it exits. */
  staysUp(ms: number, what?: string): Promise<void>
}

export interface EngineOptions {
  cwd: string
  /** The whole environment of the engine (on top of PATH, HOME and NO_COLOR); ORDERMON_HOME must be set. */
  env: Record<string, string>
  /** `start --quiet` unless told. */
  args?: string[]
}

/** Spawns an engine without waiting for it. */
export function spawnEngine({cwd, env, args = ['start', '--quiet']}: EngineOptions): EngineProcess {
  const home = env.ORDERMON_HOME
  if (!home) throw new Error('spawnEngine: env.ORDERMON_HOME is not set')
  const proc = spawnCli(args, {cwd, env})
  return {
    ...proc,
    home,
    async waitRunning(ms = 30_000) {
      await until(
        `engine.json to show pid ${proc.pid} running`,
        () => {
          if (proc.hasExited()) return 'exited'
          const s = engineState(home)
          return s?.pid === proc.pid && s?.status === 'running'
        },
        ms,
        50,
      )
      expect(proc.hasExited(), `the engine exited during start: ${proc.output()}`).toBe(false)
    },
    sigterm: (ms = 15_000) => proc.stop('SIGTERM', ms),
    kill9: () => {
      proc.child.kill('SIGKILL')
      return proc.exited
    },
    async staysUp(ms, what = 'the engine exited') {
      let timer: NodeJS.Timeout | undefined
      const up = new Promise<'up'>((resolve) => (timer = setTimeout(() => resolve('up'), ms)))
      const result = await Promise.race([up, proc.exited])
      clearTimeout(timer)
      expect(result, `${what}: ${proc.output()}`).toBe('up')
    },
  }
}

/** Spawns an engine and waits until engine.json says it runs. */
export async function startEngine(options: EngineOptions): Promise<EngineProcess> {
  const engine = spawnEngine(options)
  await engine.waitRunning()
  return engine
}

export interface DaemonStart {
  result: CliResult
  /** The pid it printed (`pid N` or `"pid": N`), if any. */
  pid: number | undefined
  ms: number
}

/**
 * The engines of one suite (or one describe: each backend of a concurrent describe.each needs its own).
 * `defaults` is read at each start, so it may name a backend made later, in beforeAll. Every engine
 * started through it is tracked; stopAll() stops them (SIGTERM, then SIGKILL) by pid, along with any
 * engine a pidfile of a home used here names (if that home's engine.json agrees it is its engine).
 */
export function engineProcesses(defaults: () => {cwd: string; env: Record<string, string>}) {
  const pids = new Set<number>()
  const homes = new Set<string>()
  const resolve = (o: Partial<EngineOptions>): EngineOptions => {
    const d = defaults()
    const env = o.env ?? d.env
    if (env.ORDERMON_HOME) homes.add(env.ORDERMON_HOME)
    return {cwd: o.cwd ?? d.cwd, env, args: o.args}
  }
  const trackPidfile = (home: string | undefined) => {
    const pid = home ? readPidfile(home) : undefined
    if (home && pid && engineState(home)?.pid === pid) pids.add(pid)
  }

  function spawn(o: Partial<EngineOptions> = {}): EngineProcess {
    const engine = spawnEngine(resolve(o))
    pids.add(engine.pid)
    return engine
  }

  /** `ordermon start --daemon [...args]`, without asserting its outcome; whatever it started is tracked. */
  async function runDaemon(o: Partial<EngineOptions> & {timeoutMs?: number} = {}): Promise<DaemonStart> {
    const {cwd, env, args = []} = resolve(o)
    const t0 = Date.now()
    const result = await runCli(['start', '--daemon', ...args], {env, cwd, timeoutMs: o.timeoutMs ?? 40_000})
    const ms = Date.now() - t0
    const m = /"pid": (\d+)|pid (\d+)/.exec(result.stdout)
    const pid = m ? Number(m[1] ?? m[2]) : undefined
    if (pid) pids.add(pid)
    trackPidfile(env.ORDERMON_HOME)
    return {result, pid, ms}
  }

  return {
    pids,
    /** Tracks a pid started some other way (`restart`, `start --daemon --json`). */
    track(pid: number | undefined) {
      if (pid) pids.add(pid)
    },
    spawn,
    async start(o: Partial<EngineOptions> = {}): Promise<EngineProcess> {
      const engine = spawn(o)
      await engine.waitRunning()
      return engine
    },
    runDaemon,
    /** runDaemon, asserting exit 0 and a printed pid. */
    async startDaemon(o: Partial<EngineOptions> & {timeoutMs?: number} = {}): Promise<DaemonStart & {pid: number}> {
      const r = await runDaemon(o)
      expect(r.result.code, `start --daemon: ${r.result.stderr}${r.result.stdout}`).toBe(0)
      expect(r.pid, `no pid in the output of start --daemon: ${r.result.stdout}`).toBeDefined()
      return r as DaemonStart & {pid: number}
    },
    async stopAll(): Promise<void> {
      for (const home of homes) trackPidfile(home)
      await Promise.all([...pids].map((pid) => stopPid(pid)))
    },
  }
}

export type EngineProcesses = ReturnType<typeof engineProcesses>
