import {spawn} from 'node:child_process'
import {closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import type {LoadedConfig} from '../config/index.js'
import {ExitCode, OrdermonError, type ErrorKind} from '../errors.js'
import {PRIVATE_DIR, PRIVATE_FILE, isAlive, readPidfile, readState, releasePidfile, removeStale, runningPid, verifyEngine, type EngineState} from './pidfile.js'

/**
 * The daemon's life cycle, for `start --daemon`, `stop`, `restart`, `status` (and later the API):
 * plain functions that wait, report progress through a callback, and return a result. Only a process
 * verified as this home's engine is ever signalled (see verifyEngine).
 */

/** Told what a wait is doing, for a spinner (a wait has no measurable progress). */
export type ProgressText = (text: string) => void

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
  // Marks the child as the daemon (isDaemonChild in the front door): it runs quietly.
  const env: NodeJS.ProcessEnv = {...base, ORDERMON_DAEMON_CHILD: '1'}
  for (const [name, variable] of Object.entries(settingVars)) {
    const value = settings[name as keyof DaemonSettings]
    if (value !== undefined && value !== null) env[variable] = String(value)
  }
  return env
}

export interface EngineStatus {
  running: boolean
  /** engine.json of the running engine (or, when none runs, of the last one: its final status). */
  state?: EngineState
}

/** Is this home's engine running? Only a pid verified as its engine counts; a stale pidfile is removed. */
export function engineStatus(home: string): EngineStatus {
  const pid = runningPid(home)
  const state = readState(home)
  if (pid && state && state.pid === pid) return {running: true, state}
  return {running: false, state}
}

/** Refuses to start a second engine on a home whose engine runs. */
export function assertNoEngine(home: string): void {
  const other = runningPid(home)
  if (other) throw new OrdermonError('conflict', `An engine is already running on ${home} (pid ${other}).`, {hint: 'See `ordermon status`; stop it with `ordermon stop`.'})
}

export interface StartResult {
  pid: number
  daemon: true
  log_file: string
  state: EngineState
}

export interface StartOptions {
  loaded: LoadedConfig
  settings: DaemonSettings
  timeoutS: number
  onProgress?: ProgressText
  /** ordermon's executable (default: the one running now). */
  bin?: string
}

/** Starts a detached `ordermon start --quiet` and waits until engine.json says it runs. */
export async function startDaemon(options: StartOptions): Promise<StartResult> {
  const {home, logDir} = options.loaded.paths
  assertNoEngine(home)
  mkdirSync(logDir, {recursive: true, mode: PRIVATE_DIR})
  // The daemon's own stdout/stderr (crashes, warnings): not the engine's JSON system log.
  const logFile = join(logDir, 'daemon.log')
  const fd = openSync(logFile, 'a', PRIVATE_FILE)
  writeSync(fd, `--- ${new Date().toISOString()} daemon start\n`)
  const offset = fstatSync(fd).size
  let child
  try {
    child = spawn(process.execPath, [options.bin ?? process.argv[1]!, 'start', '--quiet'], {detached: true, stdio: ['ignore', fd, fd], env: daemonEnv(options.settings)})
  } finally {
    closeSync(fd)
  }
  child.unref()
  let exited: number | null = null
  child.on('exit', (code) => (exited = code ?? 1))
  options.onProgress?.(`Starting the engine (pid ${child.pid})...`)
  const deadline = Date.now() + options.timeoutS * 1000
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
    options.onProgress?.(`Starting the engine (pid ${child.pid}, ${state && state.pid === child.pid ? state.status : 'loading'})... ${Math.round((deadline - Date.now()) / 1000)}s left`)
  }
  throw new OrdermonError('internal', `The engine did not report healthy within ${options.timeoutS}s (pid ${child.pid}).`, {hint: `See ${logFile}; stop it with \`ordermon stop\`.`})
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
export async function stopDaemon(home: string, timeoutS: number, options: {onProgress?: ProgressText} = {}): Promise<StopResult> {
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
  options.onProgress?.(`Stopping the engine (pid ${pid})...`)
  while (waited() < timeoutS * 1000) {
    if (!isAlive(pid)) return {running: true, pid, signal: 'SIGTERM', waited_ms: waited()}
    options.onProgress?.(`Stopping the engine (pid ${pid}): finishing in-flight work... ${Math.ceil(timeoutS - waited() / 1000)}s before SIGKILL`)
    await new Promise((r) => setTimeout(r, 100))
  }
  // The engine may have exited just now and its pid gone to another program: check again first.
  if (!verifyEngine(home, record).ours) return {running: true, pid, signal: 'SIGTERM', waited_ms: waited()}
  signal(pid, 'SIGKILL')
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50))
  releasePidfile(home, pid)
  return {running: true, pid, signal: 'SIGKILL', waited_ms: waited()}
}
