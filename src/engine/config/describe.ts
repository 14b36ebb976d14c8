import type {LoadedConfig} from './load.js'
import {redactValue} from './redact.js'

export interface ConfigEntry {
  key: string
  value: unknown
  source: string
}

function flatten(prefix: string, value: unknown, out: Array<[string, unknown]>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out)
  } else out.push([prefix, value])
}

/** The effective configuration as key / value / origin rows, secrets redacted. */
export function describeConfig(loaded: LoadedConfig): ConfigEntry[] {
  const rows: Array<[string, unknown]> = []
  flatten('', loaded.config, rows)
  return rows.map(([key, value]) => {
    const src = loaded.sources.get(key)
    const source = !src ? 'default' : src.origin === 'default' || src.origin === 'derived' ? (src.origin === 'derived' ? `derived (${src.key})` : 'default') : `${src.origin}: ${src.key}`
    return {key, value: redactValue(key, value), source}
  })
}
