import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import {basename, dirname, isAbsolute, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {conflict} from '../errors.js'

export const pidfilePath = (home: string) => join(home, 'ordermon.pid')
export const statePath = (home: string) => join(home, 'engine.json')

/** State under ORDERMON_HOME is private to its owner: the database, credentials in logs, the pidfile. */
export const PRIVATE_DIR = 0o700
export const PRIVATE_FILE = 0o600

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as {code?: string}).code === 'EPERM'
  }
}

const hasProc = () => existsSync('/proc/self/stat')

function ps(field: string, pid: number): string | undefined {
  try {
    const out = execFileSync('ps', ['-o', `${field}=`, '-p', String(pid)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000}).trim()
    return out || undefined
  } catch {
    return undefined
  }
}

/**
 * A token for when a process started, so a pid reused by another program is told apart from ours:
 * field 22 of /proc/<pid>/stat (clock ticks since boot), or `ps -o lstart=` where there is no /proc.
 */
export function procStartToken(pid: number = process.pid): string | undefined {
  if (hasProc()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return fields[22 - 3]
    } catch {
      return undefined
    }
  }
  // One word, so the pidfile's second line never splits into numbers (`kill $(cat ordermon.pid)`).
  return ps('lstart', pid)?.replace(/\s+/g, '_')
}

/** The command line of a process: /proc/<pid>/cmdline, or `ps -o args=` (split on spaces) without /proc. */
export function procCommandLine(pid: number): string[] | undefined {
  if (hasProc()) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      return raw ? raw.replace(/\0$/, '').split('\0') : undefined
    } catch {
      return undefined
    }
  }
  return ps('args', pid)?.split(/\s+/)
}

const ourBin = (() => {
  try {
    return realpathSync(fileURLToPath(new URL('../../../bin/run.js', import.meta.url)))
  } catch {
    return undefined
  }
})()

/** Is this argument ordermon's executable: our bin/run.js (through any symlink), another checkout's, or `ordermon`? */
function isOrdermonBin(arg: string, pid: number): boolean {
  const name = basename(arg)
  if (name === 'ordermon' || (name === 'run.js' && basename(dirname(arg)) === 'bin')) return true
  if (!ourBin) return false
  try {
    let cwd = process.cwd()
    if (!isAbsolute(arg) && hasProc()) cwd = readlinkSync(`/proc/${pid}/cwd`)
    return realpathSync(resolve(cwd, arg)) === ourBin
  } catch {
    return false
  }
}

/** Node running ordermon's bin with the `start` command: an ordermon engine (whose home is checked apart). */
export function looksLikeEngine(argv: string[], pid: number): boolean {
  if (argv.length < 3 || !/node/i.test(basename(argv[0]!))) return false
  const at = argv.findIndex((a, i) => i > 0 && isOrdermonBin(a, pid))
  return at > 0 && argv.slice(at + 1).includes('start')
}

export interface PidRecord {
  pid: number
  /** procStartToken() of the engine when it wrote the pidfile; absent in one-line pidfiles of older versions. */
  start?: string
}

/**
 * `pid\n` (older versions) or `pid\nstart=<token>\n`: the first line stays the bare pid other tools read,
 * and the second is not a number, so `kill $(cat ordermon.pid)` cannot hit a pid that happens to equal it.
 */
export function readPidfile(home: string): PidRecord | undefined {
  try {
    const [first, second] = readFileSync(pidfilePath(home), 'utf8').split('\n')
    const pid = Number(first?.trim())
    if (!Number.isInteger(pid) || pid <= 0) return {pid: 0}
    return {pid, start: second?.trim().replace(/^start=/, '') || undefined}
  } catch {
    return undefined
  }
}

export type Verdict =
  | {ours: true; pid: number}
  | {ours: false; pid: number; alive: boolean; reason: string; command?: string; unverifiable?: true}

/**
 * Is `pid` (from the pidfile) the engine of this home? It must be alive, be node running ordermon's
 * `start`, and have started when the pidfile (and engine.json, if it names that pid) says it did.
 */
export function verifyEngine(home: string, record: PidRecord): Verdict {
  const {pid} = record
  if (!pid || !isAlive(pid)) return {ours: false, pid, alive: false, reason: 'not running'}
  const argv = procCommandLine(pid)
  const command = argv?.join(' ')
  if (argv && !looksLikeEngine(argv, pid)) return {ours: false, pid, alive: true, reason: 'not an ordermon engine', command}
  const started = procStartToken(pid)
  const state = readState(home)
  const recorded = [record.start, state?.pid === pid ? state.proc_start : undefined].filter((s): s is string => Boolean(s))
  if (started && recorded.some((r) => r !== started)) return {ours: false, pid, alive: true, reason: 'started after the engine that wrote the pidfile (the pid was reused)', command}
  // Neither a command line nor a recorded start time to compare with: do not trust a bare pid.
  if (!argv && !(started && recorded.length)) return {ours: false, pid, alive: true, reason: 'cannot be inspected (no /proc, no ps)', unverifiable: true}
  return {ours: true, pid}
}

function unlinkQuiet(file: string): boolean {
  try {
    unlinkSync(file)
    return true
  } catch {
    return false
  }
}

/**
 * Removes a pidfile that does not name this home's engine (and engine.json if it names the same pid);
 * returns the files removed.
 */
export function removeStale(home: string, pid: number): string[] {
  const removed: string[] = []
  if (readPidfile(home)?.pid === pid && unlinkQuiet(pidfilePath(home))) removed.push(pidfilePath(home))
  const state = readState(home)
  if (state?.pid === pid && state.status !== 'stopped' && unlinkQuiet(statePath(home))) removed.push(statePath(home))
  return removed
}

/** The pid in the pidfile if it is this home's engine, alive; a stale pidfile (dead or unrelated pid) is removed. */
export function runningPid(home: string): number | undefined {
  const record = readPidfile(home)
  if (!record) return undefined
  const verdict = verifyEngine(home, record)
  // A live process we cannot inspect may be the engine: refuse a second one rather than remove its pidfile.
  if (verdict.ours || (!verdict.ours && verdict.unverifiable)) return record.pid
  unlinkQuiet(pidfilePath(home))
  return undefined
}

function pidfileContent(pid: number): string {
  const start = procStartToken(pid)
  return start ? `${pid}\nstart=${start}\n` : `${pid}\n`
}

/**
 * Claims ORDERMON_HOME for this engine. One engine per home, hence per embedded database: a second
 * one is refused while the first lives; a pidfile left by a crash is detected and replaced.
 */
export function acquirePidfile(home: string, pid = process.pid): void {
  mkdirSync(home, {recursive: true, mode: PRIVATE_DIR})
  const other = runningPid(home)
  if (other && other !== pid) throw conflict(`An engine is already running on ${home} (pid ${other}).`, 'Stop it with `ordermon stop`, or use another ORDERMON_HOME.')
  // 'wx' fails if another engine created the file between our check and now.
  try {
    writeFileSync(pidfilePath(home), pidfileContent(pid), {flag: 'wx', mode: PRIVATE_FILE})
  } catch (error) {
    if ((error as {code?: string}).code !== 'EEXIST') throw error
    const now = runningPid(home)
    if (now && now !== pid) throw conflict(`An engine is already running on ${home} (pid ${now}).`, 'Stop it with `ordermon stop`.')
    writeFileSync(pidfilePath(home), pidfileContent(pid), {mode: PRIVATE_FILE})
  }
}

export function releasePidfile(home: string, pid = process.pid): void {
  if (readPidfile(home)?.pid === pid) unlinkQuiet(pidfilePath(home))
}

export interface EngineState {
  pid: number
  /** procStartToken() of that pid: tells the engine apart from a later process given the same pid. */
  proc_start?: string | null
  instance_id: string
  version: string
  backend: string
  database: string
  redis: string | null
  status: 'starting' | 'running' | 'stopping' | 'stopped' | 'degraded'
  started_at: string
  updated_at: string
  users: number
  strategies: number
  open_orders: number
  events_per_s: number
  events_total: number
  transitions_total: number
  last_scan_at: string | null
  last_error: string | null
  /** Shards held and whether it leads, when engines share the database (engine.sharing). */
  shards?: number | null
  leader?: boolean | null
}

let ownStart: string | undefined | null = null

/** Written to a temporary file and renamed, so a reader (`ordermon status`) never sees half a file. */
export function writeState(home: string, state: EngineState): void {
  let procStart = state.proc_start
  if (procStart === undefined) {
    if (state.pid === process.pid) procStart = ownStart === null ? (ownStart = procStartToken()) : ownStart
    else procStart = procStartToken(state.pid)
  }
  const tmp = `${statePath(home)}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify({...state, proc_start: procStart ?? null}, null, 2), {mode: PRIVATE_FILE})
  renameSync(tmp, statePath(home))
}

export function readState(home: string): EngineState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(home), 'utf8')) as EngineState
  } catch {
    return undefined
  }
}
