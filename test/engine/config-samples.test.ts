import {cpSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/engine/config/index.js'
import {configFiles, envVars, genericEnvPrefix} from '../../src/engine/config/sources.js'

/**
 * The shipped samples must work as shipped: examples/config/*.yaml loads and validates as a config
 * folder, and every variable .env.example names is one ordermon actually reads.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ordermon-samples-'))
  dirs.push(d)
  return d
}

/** Variables the CLI reads directly (not configuration): the source that reads each one. */
const cliOnly: Record<string, string> = {ORDERMON_ACTOR: 'src/cli/base-command.ts', ORDERMON_OUTPUT: 'src/cli/output.ts'}

/** `NAME=value` from every line of .env.example, commented out or not. */
function exampleVars(): Array<[string, string]> {
  const text = readFileSync(join(root, '.env.example'), 'utf8')
  const out: Array<[string, string]> = []
  for (const line of text.split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m) out.push([m[1]!, m[2]!.trim()])
  }
  return out
}

describe('examples/config', () => {
  const files = readdirSync(join(root, 'examples/config')).filter((f) => f.endsWith('.yaml'))

  it('has the manual files, each one the loader knows', () => {
    expect(files.sort()).toEqual(['cache.yaml', 'database.yaml', 'notification.yaml', 'order.yaml', 'server.yaml', 'strategy.yaml'])
    for (const f of files) expect(Object.keys(configFiles)).toContain(f)
  })

  it('loads and validates as a config folder, every file contributing', () => {
    const cwd = tempDir()
    cpSync(join(root, 'examples/config'), join(cwd, 'config'), {recursive: true})
    const loaded = loadConfig({cwd, env: {}})
    const c = loaded.config
    expect(c.server).toMatchObject({host: '0.0.0.0', port: 8000, workers: 4, timeout: 30, ssl: {enabled: true, cert_file: '/path/to/cert.pem'}})
    expect(c.database).toMatchObject({client: 'mysql', host: 'localhost', port: 3306, name: 'order_monitor', user: 'order_user', charset: 'utf8mb4'})
    expect(c.database.pool).toEqual({size: 20, max_overflow: 30, timeout: 30, recycle: 3600})
    expect(c.redis).toMatchObject({host: 'localhost', port: 6379, db: 0, pool: {size: 20, timeout: 5}})
    expect(c.cache).toEqual({default_ttl: 3600, max_size: 1_000_000})
    expect(c.order).toEqual({max_concurrent: 10000, timeout: 30, retry_attempts: 3, validation: {min_quantity: 1, max_quantity: 1_000_000, min_price: 0.01, max_price: 10000}})
    expect(c.strategy).toEqual({max_per_user: 10, default_timeout: 300, risk_management: {max_daily_loss: 10000, max_drawdown: 0.2, position_limit: 100000}})
    expect(c.notification.email).toMatchObject({smtp_server: 'smtp.example.com', smtp_port: 587})
    expect(c.notification.sms).toMatchObject({provider: 'aliyun'})
    expect(c.notification.alerts.map((a) => a.name)).toEqual(['high_cpu_usage', 'database_connection_error', 'system_down'])
    const origins = new Set([...loaded.sources.values()].map((s) => s.origin))
    for (const f of files) expect(origins).toContain(`config/${f}`)
  })
})

describe('.env.example', () => {
  const vars = exampleVars()

  it('names every variable the configuration loader maps', () => {
    const names = vars.map(([n]) => n)
    for (const name of [...Object.keys(envVars), 'ORDERMON_CONFIG_DIR']) expect(names, `${name} missing from .env.example`).toContain(name)
  })

  it.each(vars)('%s is read by ordermon and its sample value is accepted', (name, value) => {
    if (cliOnly[name]) {
      expect(readFileSync(join(root, cliOnly[name]), 'utf8')).toContain(`process.env.${name}`)
      return
    }
    const cwd = tempDir()
    if (name === 'ORDERMON_CONFIG_DIR') {
      expect(loadConfig({cwd, env: {[name]: value}}).paths.configDir).toBe(join(cwd, value))
      return
    }
    const known = name in envVars || (name.startsWith(genericEnvPrefix) && name.length > genericEnvPrefix.length)
    expect(known, `${name} is not read by the configuration loader`).toBe(true)
    const loaded = loadConfig({cwd, env: {[name]: value}})
    // ORDERMON_ENV is re-recorded under its path once the environment is settled.
    const read = [...loaded.sources.values()].some((s) => s.origin === 'env' && s.key === (name === 'ORDERMON_ENV' ? 'env' : name))
    expect(read, `${name}=${value} did not reach the configuration`).toBe(true)
  })
})
