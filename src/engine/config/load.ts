import {existsSync, readFileSync} from 'node:fs'
import {isAbsolute, join, resolve} from 'node:path'
import {parse as parseDotenv} from 'dotenv'
import {parse as parseYaml, YAMLParseError} from 'yaml'
import type {ZodIssue} from 'zod'
import {invalidInput} from '../errors.js'
import {defaults} from './defaults.js'
import {configSchema, environments, type OrdermonConfig} from './schema.js'
import {isSecretPath} from './redact.js'
import {configFiles, envVars, genericEnvPrefix} from './sources.js'

/** Where a value came from: `default`, `config/order.yaml`, `.env.production`, `env`, `flag`, `derived`. */
export interface Source {
  origin: string
  /** The key as written at the origin: `validation.min_quantity` in order.yaml, `DB_PORT` in .env. */
  key: string
}

export interface LoadedConfig {
  config: OrdermonConfig
  sources: Map<string, Source>
  /** Absolute paths, resolved once so every part of the engine agrees on them. */
  paths: {home: string; configDir: string; logDir: string; sqliteFile?: string}
}

export interface LoadOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Highest layer: values from command-line flags, by config path (`database.url`). */
  overrides?: Record<string, unknown>
  configDir?: string
}

type Tree = Record<string, unknown>

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = tree
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null || Array.isArray(node[p])) node[p] = {}
    node = node[p] as Tree
  }
  node[parts.at(-1)!] = value
}

function isPlainObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

class Layers {
  readonly tree: Tree = {}
  readonly sources = new Map<string, Source>()

  /** Merges a (possibly nested) value leaf by leaf; arrays are leaves. */
  apply(path: string, value: unknown, origin: string, key: string): void {
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) this.apply(`${path}.${k}`, v, origin, `${key}.${k}`)
      return
    }
    setPath(this.tree, path, value)
    this.sources.set(path, {origin, key})
  }

  sourceOf(path: string): Source | undefined {
    const parts = path.split('.')
    for (let n = parts.length; n > 0; n--) {
      const s = this.sources.get(parts.slice(0, n).join('.'))
      if (s) return s
    }
    return undefined
  }
}

function readDotenv(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined
  return parseDotenv(readFileSync(file))
}

function applyEnvVars(layers: Layers, vars: Record<string, string | undefined>, origin: string): void {
  for (const [name, raw] of Object.entries(vars)) {
    if (raw === undefined) continue
    const mapping = envVars[name]
    if (mapping) {
      if (mapping.accept && !mapping.accept(raw)) continue
      layers.apply(mapping.path, mapping.transform ? mapping.transform(raw) : raw, origin, name)
    } else if (name.startsWith(genericEnvPrefix) && name.length > genericEnvPrefix.length) {
      const path = name.slice(genericEnvPrefix.length).toLowerCase().split('__').join('.')
      layers.apply(path, raw, origin, name)
    }
  }
}

function applyYamlFiles(layers: Layers, configDir: string, displayDir: string): void {
  for (const [file, sections] of Object.entries(configFiles)) {
    const full = join(configDir, file)
    if (!existsSync(full)) continue
    const origin = `${displayDir}/${file}`
    let doc: unknown
    try {
      doc = parseYaml(readFileSync(full, 'utf8'))
    } catch (error) {
      const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : ''
      const what = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw invalidInput(`Invalid configuration in ${origin}${where}: not valid YAML (${what})`, `Fix the file or remove it to use the defaults.`)
    }
    if (doc === null || doc === undefined) continue
    if (!isPlainObject(doc)) throw invalidInput(`Invalid configuration in ${origin}: expected a mapping of sections (${Object.keys(sections).join(', ')})`)
    for (const [section, value] of Object.entries(doc)) {
      const target = sections[section]
      if (!target) throw invalidInput(`Invalid configuration in ${origin}: unknown section '${section}' (allowed: ${Object.keys(sections).join(', ')})`)
      layers.apply(target, value, origin, section)
    }
  }
}

function describeIssue(issue: ZodIssue, layers: Layers): string {
  const path = issue.path.join('.')
  if (issue.code === 'unrecognized_keys') {
    const key = `${path ? path + '.' : ''}${issue.keys[0]}`
    const src = layers.sourceOf(key)
    const where = src ? `${src.origin}: ${src.key}` : key
    return `${where}: unknown key (check the spelling; see \`ordermon system config\` for the known keys)`
  }
  const src = layers.sourceOf(path)
  const where = src ? `${src.origin}: ${src.key}` : path
  const got = layers.sources.has(path) && !isSecretPath(path) ? ` (got ${JSON.stringify(getPath(layers.tree, path))})` : ''
  let message = issue.message
  if (issue.code === 'invalid_enum_value') message = `must be one of ${issue.options.join(', ')}`
  else if (issue.code === 'too_small' && issue.type === 'number') message = `must be at least ${issue.minimum}`
  else if (issue.code === 'too_big' && issue.type === 'number') message = `must be at most ${issue.maximum}`
  else if (issue.code === 'invalid_type' && issue.received === 'undefined') message = 'is required'
  return `${where}: ${message}${got}`
}

function getPath(tree: Tree, path: string): unknown {
  let node: unknown = tree
  for (const p of path.split('.')) node = isPlainObject(node) ? node[p] : undefined
  return node
}

/**
 * Loads configuration in layers: defaults < config/*.yaml < .env < .env.<environment> < environment
 * variables < flags. Every value remembers its origin so errors and `system config` can name it.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const overrides = options.overrides ?? {}
  const layers = new Layers()

  for (const [key, value] of Object.entries(defaults)) layers.apply(key, value, 'default', key)

  const configDirRaw = options.configDir ?? env.ORDERMON_CONFIG_DIR ?? 'config'
  const configDir = isAbsolute(configDirRaw) ? configDirRaw : resolve(cwd, configDirRaw)
  applyYamlFiles(layers, configDir, configDirRaw.replace(/\/+$/, ''))

  const baseDotenv = readDotenv(join(cwd, '.env'))
  const envName = String(overrides.env ?? env.ORDERMON_ENV ?? baseDotenv?.ORDERMON_ENV ?? 'development').trim().toLowerCase()
  if (!(environments as readonly string[]).includes(envName)) {
    const origin = overrides.env ? 'flag --env' : env.ORDERMON_ENV ? 'env: ORDERMON_ENV' : '.env: ORDERMON_ENV'
    throw invalidInput(`Invalid configuration in ${origin}: must be one of ${environments.join(', ')} (got "${envName}")`)
  }
  if (baseDotenv) applyEnvVars(layers, baseDotenv, '.env')
  const envDotenv = readDotenv(join(cwd, `.env.${envName}`))
  if (envDotenv) applyEnvVars(layers, envDotenv, `.env.${envName}`)
  applyEnvVars(layers, env, 'env')
  for (const [path, value] of Object.entries(overrides)) if (value !== undefined) layers.apply(path, value, 'flag', path)
  layers.apply('env', envName, layers.sourceOf('env')?.origin ?? 'default', 'env')

  const parsed = configSchema.safeParse(layers.tree)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw invalidInput(`Invalid configuration: ${describeIssue(issue, layers)}`, undefined, {
      issues: parsed.error.issues.map((i) => describeIssue(i, layers)),
    })
  }
  const config = parsed.data
  const home = resolve(cwd, config.home)
  const logDir = resolve(home, config.logging.dir ?? 'logs')
  deriveDatabase(config, layers, home)
  const sqliteFile = config.database.client === 'sqlite' ? resolve(home, config.database.filename!) : undefined
  return {config, sources: layers.sources, paths: {home, configDir, logDir, sqliteFile}}
}

/**
 * ORDERMON_DATABASE_URL (or a configured host/socket) selects MySQL/MariaDB; otherwise the embedded
 * SQLite file under ORDERMON_HOME, so a newcomer needs no server at all.
 */
function deriveDatabase(config: OrdermonConfig, layers: Layers, home: string): void {
  const db = config.database
  if (!db.client) {
    if (db.url) {
      const scheme = db.url.split(':')[0]!.toLowerCase()
      if (scheme === 'mysql' || scheme === 'mariadb') db.client = 'mysql'
      else if (scheme === 'sqlite' || scheme === 'file') db.client = 'sqlite'
      else {
        const src = layers.sourceOf('database.url')
        throw invalidInput(`Invalid configuration in ${src?.origin ?? 'database.url'}: ${src?.key ?? 'database.url'}: the URL scheme must be mysql://, mariadb:// or sqlite: (got "${scheme}:")`)
      }
    } else db.client = db.host || db.socket_path ? 'mysql' : 'sqlite'
    layers.sources.set('database.client', {origin: 'derived', key: db.url ? 'from database.url' : db.client === 'mysql' ? 'from database.host' : 'no database configured'})
  }
  if (db.client === 'sqlite' && !db.filename) {
    db.filename = db.url ? db.url.replace(/^(sqlite|file):(\/\/)?/i, '') || 'ordermon.db' : join(home, 'ordermon.db')
    layers.sources.set('database.filename', {origin: 'derived', key: db.url ? 'from database.url' : 'ORDERMON_HOME/ordermon.db'})
  }
}
