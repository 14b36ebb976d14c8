import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import winston from 'winston'
import {isSecretPath, REDACTED, redactUrl} from '../config/index.js'

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

/** logs/system.log: JSON lines, secrets redacted. */
export function createSystemLogger(logDir: string, level: string): Logger {
  mkdirSync(logDir, {recursive: true})
  return winston.createLogger({
    level,
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.File({filename: join(logDir, 'system.log')})],
  })
}
