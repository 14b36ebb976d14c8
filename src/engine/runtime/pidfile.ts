import {existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {conflict} from '../errors.js'

export const pidfilePath = (home: string) => join(home, 'ordermon.pid')
export const statePath = (home: string) => join(home, 'engine.json')

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as {code?: string}).code === 'EPERM'
  }
}

/** The pid in the pidfile if that process is alive; a stale pidfile (dead pid) is removed. */
export function runningPid(home: string): number | undefined {
  const file = pidfilePath(home)
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').trim())
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid
  try {
    unlinkSync(file)
  } catch {}
  return undefined
}

/**
 * Claims ORDERMON_HOME for this engine. One engine per home, hence per embedded database: a second
 * one is refused while the first lives; a pidfile left by a crash is detected and replaced.
 */
export function acquirePidfile(home: string, pid = process.pid): void {
  mkdirSync(home, {recursive: true})
  const other = runningPid(home)
  if (other && other !== pid) throw conflict(`An engine is already running on ${home} (pid ${other}).`, 'Stop it with `ordermon stop`, or use another ORDERMON_HOME.')
  // 'wx' fails if another engine created the file between our check and now.
  try {
    writeFileSync(pidfilePath(home), `${pid}\n`, {flag: 'wx'})
  } catch (error) {
    if ((error as {code?: string}).code !== 'EEXIST') throw error
    const now = runningPid(home)
    if (now && now !== pid) throw conflict(`An engine is already running on ${home} (pid ${now}).`, 'Stop it with `ordermon stop`.')
    writeFileSync(pidfilePath(home), `${pid}\n`)
  }
}

export function releasePidfile(home: string, pid = process.pid): void {
  const file = pidfilePath(home)
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === pid) unlinkSync(file)
  } catch {}
}

export interface EngineState {
  pid: number
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
}

/** Written to a temporary file and renamed, so a reader (`ordermon status`) never sees half a file. */
export function writeState(home: string, state: EngineState): void {
  const tmp = `${statePath(home)}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2))
  renameSync(tmp, statePath(home))
}

export function readState(home: string): EngineState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(home), 'utf8')) as EngineState
  } catch {
    return undefined
  }
}
