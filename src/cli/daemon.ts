import {spawn} from 'node:child_process'
import {closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {ExitCode, OrdermonError, type ErrorKind} from '../engine/errors.js'
import {PRIVATE_DIR, PRIVATE_FILE, isAlive, readPidfile, readState, releasePidfile, removeStale, verifyEngine, type EngineState} from '../engine/runtime/pidfile.js'
import {spinner} from './spinner.js'

/**
 * The daemon's life cycle shared by `start --daemon`, `stop` and `restart`: plain functions that wait,
 * show progress on a terminal if asked, and return a result; the commands print it (or its JSON).
 */

/** What a command line may set for the engine it starts (flag names). */
export interface DaemonSettings {
  env?: string
  home?: string
  'database-url'?: string
  'redis-url'?: string
  'config-dir'?: string
  market?: string
  'replay-file'?: string
  venue?: string
  seed?: number
}

/** Each setting as the environment variable loadConfig reads for it. */
const settingVars: Record<keyof DaemonSettings, string> = {
  env: 'ORDERMON_ENV',
  home: 'ORDERMON_HOME',
  'database-url': 'ORDERMON_DATABASE_URL',
  'redis-url': 'ORDERMON_REDIS_URL',
  'config-dir': 'ORDERMON_CONFIG_DIR',
  market: 'ORDERMON__ENGINE__MARKET',
  'replay-file': 'ORDERMON__ENGINE__REPLAY_FILE',
  venue: 'ORDERMON__ENGINE__VENUE',
  seed: 'ORDERMON__ENGINE__MARKET_SEED',
}

/**
 * The daemon's environment: the settings go there, not into its argv, where `ps` would show a
 * database password for the daemon's whole life (/proc/<pid>/environ is readable by its owner only).
 * Process variables beat .env files in loadConfig, as the flags did, and these replace any inherited ones.
 */
export function daemonEnv(settings: DaemonSettings, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...base, ORDERMON_DAEMON_CHILD: '1'}
  for (const [name, variable] of Object.entries(settingVars)) {
    const value = settings[name as keyof DaemonSettings]
    if (value !== undefined && value !== null) env[variable] = String(value)
  }
  return env
}

export interface StartResult {
  pid: number
  daemon: true
  log_file: string
  state: EngineState
}

/** Starts a detached `ordermon start --quiet` and waits until engine.json says it runs. */
export async function spawnDaemon(options: {home: string; logDir: string; settings: DaemonSettings; timeoutS: number; progress?: boolean}): Promise<StartResult> {
  const {home, logDir, timeoutS} = options
  mkdirSync(logDir, {recursive: true, mode: PRIVATE_DIR})
  // The daemon's own stdout/stderr (crashes, warnings): not the engine's JSON system log.
  const logFile = join(logDir, 'daemon.log')
  const fd = openSync(logFile, 'a', PRIVATE_FILE)
  writeSync(fd, `--- ${new Date().toISOString()} daemon start\n`)
  const offset = fstatSync(fd).size
  let child
  try {
    child = spawn(process.execPath, [process.argv[1]!, 'start', '--quiet'], {detached: true, stdio: ['ignore', fd, fd], env: daemonEnv(options.settings)})
  } finally {
    closeSync(fd)
  }
  child.unref()
  let exited: number | null = null
  child.on('exit', (code) => (exited = code ?? 1))
  const spin = options.progress ? spinner(`Starting the engine (pid ${child.pid})...`) : undefined
  try {
    const deadline = Date.now() + timeoutS * 1000
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      const state = readState(home)
      if (state && state.pid === child.pid && state.status === 'running') return {pid: child.pid!, daemon: true, log_file: logFile, state}
      if (exited !== null) {
        let tail = ''
        try {
          tail = readFileSync(logFile).subarray(offset).toString('utf8').trim().split('\n').slice(-3).join(' | ')
        } catch {}
        // The child's own exit code says what kind of failure it was (a refused claim is 5, a bad setting 2).
        const kind = (Object.entries(ExitCode).find(([, code]) => code === exited)?.[0] ?? 'internal') as ErrorKind
        throw new OrdermonError(kind === 'ok' ? 'internal' : kind, `The engine exited during start (code ${exited})${tail ? `: ${tail.slice(-400)}` : '.'}`, {hint: `See ${logFile}.`})
      }
      spin?.update(`Starting the engine (pid ${child.pid}, ${state && state.pid === child.pid ? state.status : 'loading'})... ${Math.round((deadline - Date.now()) / 1000)}s left`)
    }
    throw new OrdermonError('internal', `The engine did not report healthy within ${timeoutS}s (pid ${child.pid}).`, {hint: `See ${logFile}; stop it with \`ordermon stop\`.`})
  } finally {
    spin?.stop()
  }
}

export interface StopResult {
  running: boolean
  pid?: number
  signal?: 'SIGTERM' | 'SIGKILL'
  waited_ms?: number
  /** The pidfile named a live process that is not this home's engine: nothing was signalled. */
  not_ours?: {reason: string; command: string | null; removed: string[]}
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name)
    return true
  } catch (error) {
    if ((error as {code?: string}).code === 'ESRCH') return false
    throw error
  }
}

/**
 * SIGTERM to this home's engine, wait up to timeoutS for it to exit, then SIGKILL. A pidfile that names
 * a dead process, or a live one that is not the engine (the pid was reused after a crash), is removed
 * and nothing is signalled.
 */
export async function stopEngine(home: string, timeoutS: number, options: {progress?: boolean} = {}): Promise<StopResult> {
  const record = readPidfile(home)
  if (!record) return {running: false}
  const verdict = verifyEngine(home, record)
  if (!verdict.ours) {
    // Cannot tell whether it is the engine: signal nothing and leave its pidfile.
    if (verdict.unverifiable) return {running: false, pid: record.pid, not_ours: {reason: verdict.reason, command: null, removed: []}}
    const removed = removeStale(home, record.pid)
    if (!verdict.alive) return {running: false}
    return {running: false, pid: record.pid, not_ours: {reason: verdict.reason, command: verdict.command ?? null, removed}}
  }
  const {pid} = record
  const t0 = Date.now()
  const waited = () => Date.now() - t0
  if (!signal(pid, 'SIGTERM')) return {running: true, pid, signal: 'SIGTERM', waited_ms: waited()}
  const spin = options.progress ? spinner(`Stopping the engine (pid ${pid})...`) : undefined
  try {
    while (waited() < timeoutS * 1000) {
      if (!isAlive(pid)) return {running: true, pid, signal: 'SIGTERM', waited_ms: waited()}
      spin?.update(`Stopping the engine (pid ${pid}): finishing in-flight work... ${Math.ceil(timeoutS - waited() / 1000)}s before SIGKILL`)
      await new Promise((r) => setTimeout(r, 100))
    }
    // The engine may have exited just now and its pid gone to another program: check again first.
    if (!verifyEngine(home, record).ours) return {running: true, pid, signal: 'SIGTERM', waited_ms: waited()}
    signal(pid, 'SIGKILL')
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50))
    releasePidfile(home, pid)
    return {running: true, pid, signal: 'SIGKILL', waited_ms: waited()}
  } finally {
    spin?.stop()
  }
}

/** The one line `stop` (and `restart`) prints for a StopResult. */
export function describeStop(r: StopResult, timeoutS: number): string {
  if (r.not_ours) {
    const what = r.not_ours.command ? `it is "${r.not_ours.command.length > 120 ? `${r.not_ours.command.slice(0, 120)}…` : r.not_ours.command}"` : r.not_ours.reason
    if (r.not_ours.reason.startsWith('cannot be inspected')) return `pid ${r.pid} in ordermon.pid ${r.not_ours.reason}: cannot verify it is this home's engine; nothing was signalled (stop it yourself if it is).`
    const files = r.not_ours.removed.map((f) => (f.endsWith('ordermon.pid') ? 'pidfile' : f.split(/[\\/]/).pop())).join(' and ')
    return `pid ${r.pid} in ordermon.pid is not this home's engine (${what}); ${files ? `removed the stale ${files}` : 'the stale pidfile is gone'}; nothing was signalled.`
  }
  if (!r.running) return 'No engine is running.'
  if (r.signal === 'SIGTERM') return `Engine (pid ${r.pid}) stopped gracefully in ${(r.waited_ms! / 1000).toFixed(1)}s.`
  return `Engine (pid ${r.pid}) did not stop within ${timeoutS}s; killed it (SIGKILL). Unpublished events stay in the outbox and go out at the next start.`
}
