import {lstatSync, mkdirSync, renameSync} from 'node:fs'
import {join} from 'node:path'
import winston from 'winston'
import DailyRotateFile from 'winston-daily-rotate-file'
import {isSecretPath, REDACTED, redactUrl} from '../config/index.js'
import {utcDay} from '../domain/time.js'

/** Replaces secret fields and URL passwords anywhere in a log entry before it is written. */
const redact = winston.format((info) => {
  const scrub = (v: unknown, key = ''): unknown => {
    if (typeof v === 'string') return isSecretPath(key) ? REDACTED : v.includes('://') ? v.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (u) => redactUrl(u)) : v
    if (Array.isArray(v)) return v.map((x) => scrub(x))
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, k)]))
    return v
  }
  for (const k of Object.keys(info)) (info as Record<string, unknown>)[k] = scrub(info[k], k)
  return info
})

export type Logger = winston.Logger

/** The current system log: a link to today's file (`tail -F logs/system.log` follows rotation). */
export const SYSTEM_LOG_LINK = 'system.log'

/**
 * The system log: JSON lines, secrets redacted, one file per UTC day (system_YYYY-MM-DD.log, the
 * naming that log retention and `cleanup-logs` apply to every dated log) with system.log linking
 * to the current one. Rotation happens while the engine runs, without a restart.
 */
export function createSystemLogger(logDir: string, level: string): Logger {
  mkdirSync(logDir, {recursive: true, mode: 0o700})
  moveLegacyLog(logDir)
  return winston.createLogger({
    level,
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports: [
      new DailyRotateFile({
        dirname: logDir,
        filename: 'system_%DATE%.log',
        datePattern: 'YYYY-MM-DD',
        utc: true,
        createSymlink: true,
        symlinkName: SYSTEM_LOG_LINK,
        // The transport's own bookkeeping; not a .log file, so retention leaves it alone.
        auditFile: join(logDir, '.system-log-audit.json'),
        options: {flags: 'a', mode: 0o600},
      }),
    ],
  })
}

/**
 * Before rotation, system.log was a plain file that grew forever. Rename it to a dated name so
 * the link can take its place and retention can age it out like any other day's log.
 */
function moveLegacyLog(logDir: string): void {
  const legacy = join(logDir, SYSTEM_LOG_LINK)
  try {
    const st = lstatSync(legacy)
    if (st.isFile()) renameSync(legacy, join(logDir, `system-legacy_${utcDay(st.mtime)}.log`))
  } catch {}
}
