import {lstatSync, readdirSync, readlinkSync, realpathSync, rmdirSync, unlinkSync, type Stats} from 'node:fs'
import {join, sep} from 'node:path'
import {utcDay} from '../domain/time.js'
import {invalidInput} from '../errors.js'

export interface CleanupOptions {
  /** Keep files from the last `days` days (today counts as one of them). */
  days: number
  dryRun?: boolean
  now?: Date
}

export interface CleanupResult {
  log_dir: string
  cutoff: string
  deleted: string[]
  bytes_freed: number
  kept: number
  /** Symbolic links are never followed nor removed: they are reported here. */
  skipped_links: string[]
  dry_run: boolean
}

const dated = /_(\d{4}-\d{2}-\d{2})\.log(\.\d+)?$/
const isLog = (name: string) => /\.log(\.\d+)?$/.test(name)


/** A relative link to a plain name in the same directory (what the rotating system log makes). */
function linksBeside(path: string): boolean {
  try {
    const target = readlinkSync(path)
    return !target.includes('/') && target !== '..' && target !== '.'
  } catch {
    return false
  }
}

/**
 * Deletes log files older than `days` under `logDir` — and nothing else: only *.log files, never
 * today's, never through or outside a symbolic link, never outside the directory. A file's day is
 * the date in its name (user_42_2024-01-15.log) or else its modification time. Safe while the engine
 * writes (it only ever writes today's files) and idempotent.
 */
export function cleanupLogs(logDir: string, options: CleanupOptions): CleanupResult {
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650) throw invalidInput(`days ${options.days} is not valid: use a whole number from 1 to 3650.`)
  const now = options.now ?? new Date()
  const today = utcDay(now)
  const cutoff = utcDay(new Date(now.getTime() - (options.days - 1) * 86_400_000))
  const result: CleanupResult = {log_dir: logDir, cutoff, deleted: [], bytes_freed: 0, kept: 0, skipped_links: [], dry_run: Boolean(options.dryRun)}
  let root: string
  try {
    const st = lstatSync(logDir)
    if (st.isSymbolicLink()) throw invalidInput(`The log directory ${logDir} is a symbolic link; refusing to clean through it.`)
    if (!st.isDirectory()) throw invalidInput(`${logDir} is not a directory.`)
    root = realpathSync(logDir)
  } catch (error) {
    if ((error as {code?: string}).code === 'ENOENT') return result
    throw error
  }

  const walk = (dir: string): boolean => {
    let empty = true
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const st: Stats = lstatSync(path)
      if (st.isSymbolicLink()) {
        // A link to a file beside it (system.log -> today's system log) is ours and expected; any
        // other link is reported. Neither is followed nor removed.
        if (!linksBeside(path)) result.skipped_links.push(path)
        else result.kept++
        empty = false
        continue
      }
      if (st.isDirectory()) {
        if (walk(path) && !options.dryRun) rmdirSync(path)
        else empty = false
        continue
      }
      const fileDay = dated.exec(name)?.[1] ?? utcDay(st.mtime)
      // Belt and braces: the real path must still be inside the log directory.
      const inside = realpathSync(path).startsWith(root + sep)
      if (!st.isFile() || !isLog(name) || !inside || fileDay >= cutoff || fileDay >= today) {
        result.kept++
        empty = false
        continue
      }
      if (!options.dryRun) unlinkSync(path)
      result.deleted.push(path)
      result.bytes_freed += st.size
    }
    return empty
  }
  walk(root)
  return result
}
