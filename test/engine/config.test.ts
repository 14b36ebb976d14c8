import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {describeConfig, isSecretPath, loadConfig, redactUrl, redactValue, REDACTED, sharesDatabase, type LoadedConfig} from '../../src/engine/config/index.js'
import {OrdermonError} from '../../src/engine/errors.js'

/**
 * Configuration loading is pure: every case gets its own temp project directory and an explicit `env`
 * object, so neither the real process environment nor a stray .env in the repository leaks in.
 */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-config-'))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), {recursive: true})
    writeFileSync(join(dir, name), content)
  }
  return dir
}

function load(files: Record<string, string>, env: Record<string, string> = {}, overrides?: Record<string, unknown>): LoadedConfig {
  return loadConfig({cwd: project(files), env, overrides})
}

/** The OrdermonError a load throws (fails the test when it does not throw one). */
function loadError(files: Record<string, string>, env: Record<string, string> = {}, overrides?: Record<string, unknown>): OrdermonError {
  try {
    load(files, env, overrides)
  } catch (error) {
    expect(error).toBeInstanceOf(OrdermonError)
    return error as OrdermonError
  }
  throw new Error('expected loadConfig to throw')
}

const source = (loaded: LoadedConfig, path: string) => loaded.sources.get(path)
const row = (loaded: LoadedConfig, key: string) => describeConfig(loaded).find((r) => r.key === key)

describe('loadConfig defaults', () => {
  it('uses the embedded SQLite file under ./.ordermon relative to cwd', () => {
    const cwd = project()
    const loaded = loadConfig({cwd, env: {}})
    expect(loaded.config.env).toBe('development')
    expect(loaded.config.database.client).toBe('sqlite')
    expect(loaded.paths.home).toBe(join(cwd, '.ordermon'))
    expect(loaded.paths.sqliteFile).toBe(join(cwd, '.ordermon', 'ordermon.db'))
    expect(loaded.paths.logDir).toBe(join(cwd, '.ordermon', 'logs'))
    expect(loaded.paths.configDir).toBe(join(cwd, 'config'))
    expect(loaded.config.logging.level).toBe('info')
    expect(loaded.config.order.validation).toEqual({min_quantity: 1, max_quantity: 1_000_000, min_price: 0.01, max_price: 10_000})
    expect(loaded.config.redis.url).toBeUndefined()
    expect(source(loaded, 'database.client')).toEqual({origin: 'derived', key: 'no database configured'})
    expect(source(loaded, 'logging.level')).toEqual({origin: 'default', key: 'logging.level'})
    expect(row(loaded, 'logging.level')).toEqual({key: 'logging.level', value: 'info', source: 'default'})
  })

  it('resolves a relative ORDERMON_HOME against cwd, an absolute one as is', () => {
    const cwd = project()
    const rel = loadConfig({cwd, env: {ORDERMON_HOME: 'state/here'}})
    expect(rel.paths.home).toBe(join(cwd, 'state', 'here'))
    expect(rel.paths.sqliteFile).toBe(join(cwd, 'state', 'here', 'ordermon.db'))
    expect(source(rel, 'home')).toEqual({origin: 'env', key: 'ORDERMON_HOME'})

    const abs = join(project(), 'abs-home')
    const absolute = loadConfig({cwd, env: {ORDERMON_HOME: abs}})
    expect(absolute.paths.home).toBe(abs)
    expect(absolute.paths.sqliteFile).toBe(join(abs, 'ordermon.db'))
  })

  it('does not read the real process environment when env is given', () => {
    const before = process.env.LOG_LEVEL
    process.env.LOG_LEVEL = 'debug'
    try {
      expect(loadConfig({cwd: project(), env: {}}).config.logging.level).toBe('info')
    } finally {
      if (before === undefined) delete process.env.LOG_LEVEL
      else process.env.LOG_LEVEL = before
    }
  })
})

describe('loadConfig layers: defaults < config/*.yaml < .env < .env.<env> < environment < flags', () => {
  const yaml = {'config/logging.yaml': 'logging:\n  retention_days: 11\n'}
  const dotenv = {'.env': 'LOG_RETENTION_DAYS=12\n'}
  const dotenvEnv = {'.env.development': 'LOG_RETENTION_DAYS=13\n'}
  const env = {LOG_RETENTION_DAYS: '14'}
  const flags = {'logging.retention_days': 15}

  it('default', () => {
    const l = load({})
    expect(l.config.logging.retention_days).toBe(7)
    expect(source(l, 'logging.retention_days')).toEqual({origin: 'default', key: 'logging.retention_days'})
  })

  it('config/logging.yaml overrides the default', () => {
    const l = load({...yaml})
    expect(l.config.logging.retention_days).toBe(11)
    expect(source(l, 'logging.retention_days')).toEqual({origin: 'config/logging.yaml', key: 'logging.retention_days'})
    expect(row(l, 'logging.retention_days')?.source).toBe('config/logging.yaml: logging.retention_days')
  })

  it('.env overrides YAML', () => {
    const l = load({...yaml, ...dotenv})
    expect(l.config.logging.retention_days).toBe(12)
    expect(source(l, 'logging.retention_days')).toEqual({origin: '.env', key: 'LOG_RETENTION_DAYS'})
  })

  it('.env.<environment> overrides .env', () => {
    const l = load({...yaml, ...dotenv, ...dotenvEnv})
    expect(l.config.logging.retention_days).toBe(13)
    expect(source(l, 'logging.retention_days')).toEqual({origin: '.env.development', key: 'LOG_RETENTION_DAYS'})
  })

  it('environment variables override .env.<environment>', () => {
    const l = load({...yaml, ...dotenv, ...dotenvEnv}, env)
    expect(l.config.logging.retention_days).toBe(14)
    expect(source(l, 'logging.retention_days')).toEqual({origin: 'env', key: 'LOG_RETENTION_DAYS'})
    expect(row(l, 'logging.retention_days')?.source).toBe('env: LOG_RETENTION_DAYS')
  })

  it('overrides (flags) override everything', () => {
    const l = load({...yaml, ...dotenv, ...dotenvEnv}, env, flags)
    expect(l.config.logging.retention_days).toBe(15)
    expect(source(l, 'logging.retention_days')).toEqual({origin: 'flag', key: 'logging.retention_days'})
  })

  it('a layer only replaces the keys it sets', () => {
    const l = load({'config/logging.yaml': 'logging:\n  retention_days: 11\n  level: debug\n', '.env': 'LOG_RETENTION_DAYS=12\n'})
    expect(l.config.logging.level).toBe('debug')
    expect(source(l, 'logging.level')).toEqual({origin: 'config/logging.yaml', key: 'logging.level'})
    expect(l.config.logging.retention_days).toBe(12)
  })
})

describe('choosing the environment', () => {
  const files = {
    '.env': 'LOG_RETENTION_DAYS=10\n',
    '.env.development': 'LOG_RETENTION_DAYS=21\n',
    '.env.testing': 'LOG_RETENTION_DAYS=22\n',
    '.env.production': 'LOG_RETENTION_DAYS=23\n',
  }

  it('loads .env.development by default', () => {
    const l = load(files)
    expect(l.config.env).toBe('development')
    expect(l.config.logging.retention_days).toBe(21)
  })

  it('ORDERMON_ENV picks .env.<env> (case-insensitive)', () => {
    const l = load(files, {ORDERMON_ENV: 'Production'})
    expect(l.config.env).toBe('production')
    expect(l.config.logging.retention_days).toBe(23)
    expect(source(l, 'logging.retention_days')).toEqual({origin: '.env.production', key: 'LOG_RETENTION_DAYS'})
    expect(source(l, 'env')?.origin).toBe('env')
  })

  it('overrides.env (--env) beats ORDERMON_ENV', () => {
    const l = load(files, {ORDERMON_ENV: 'production'}, {env: 'testing'})
    expect(l.config.env).toBe('testing')
    expect(l.config.logging.retention_days).toBe(22)
    expect(source(l, 'logging.retention_days')?.origin).toBe('.env.testing')
  })

  it('ORDERMON_ENV in the base .env picks the environment file', () => {
    const l = load({...files, '.env': 'ORDERMON_ENV=testing\nLOG_RETENTION_DAYS=10\n'})
    expect(l.config.env).toBe('testing')
    expect(l.config.logging.retention_days).toBe(22)
  })

  it('falls back to .env when the chosen environment has no file', () => {
    const l = load({'.env': 'LOG_RETENTION_DAYS=10\n', '.env.development': 'LOG_RETENTION_DAYS=21\n'}, {ORDERMON_ENV: 'production'})
    expect(l.config.logging.retention_days).toBe(10)
    expect(source(l, 'logging.retention_days')?.origin).toBe('.env')
  })
})

describe("the manual's YAML shapes", () => {
  it('config/database.yaml: database: and pool: sections', () => {
    const l = load({
      'config/database.yaml':
        'database:\n  host: localhost\n  port: 3307\n  name: order_monitor\n  user: order_user\n  password: secure_password\n  charset: utf8mb4\n\npool:\n  size: 25\n  max_overflow: 35\n  timeout: 31\n  recycle: 3601\n',
    })
    const db = l.config.database
    expect(db).toMatchObject({host: 'localhost', port: 3307, name: 'order_monitor', user: 'order_user', password: 'secure_password', charset: 'utf8mb4', client: 'mysql'})
    expect(db.pool).toEqual({size: 25, max_overflow: 35, timeout: 31, recycle: 3601})
    expect(l.paths.sqliteFile).toBeUndefined()
    expect(source(l, 'database.pool.size')).toEqual({origin: 'config/database.yaml', key: 'pool.size'})
    expect(source(l, 'database.host')).toEqual({origin: 'config/database.yaml', key: 'database.host'})
    expect(source(l, 'database.client')).toEqual({origin: 'derived', key: 'from database.host'})
  })

  it('config/order.yaml: order: and validation: sections', () => {
    const l = load({
      'config/order.yaml': 'order:\n  max_concurrent: 5000\n  timeout: 45\n  retry_attempts: 4\n\nvalidation:\n  min_quantity: 2\n  max_quantity: 900000\n  min_price: 0.05\n  max_price: 9000\n',
    })
    expect(l.config.order).toEqual({
      max_concurrent: 5000,
      timeout: 45,
      retry_attempts: 4,
      validation: {min_quantity: 2, max_quantity: 900_000, min_price: 0.05, max_price: 9000},
    })
    expect(source(l, 'order.validation.min_quantity')).toEqual({origin: 'config/order.yaml', key: 'validation.min_quantity'})
  })

  it('config/strategy.yaml: strategy.max_per_user and risk_management', () => {
    const l = load({
      'config/strategy.yaml': 'strategy:\n  max_per_user: 12\n  default_timeout: 301\n\nrisk_management:\n  max_daily_loss: 5000\n  max_drawdown: 0.15\n  position_limit: 50000\n',
    })
    expect(l.config.strategy.max_per_user).toBe(12)
    expect(l.config.strategy.default_timeout).toBe(301)
    expect(l.config.strategy.risk_management).toEqual({max_daily_loss: 5000, max_drawdown: 0.15, position_limit: 50_000})
    expect(source(l, 'strategy.max_per_user')).toEqual({origin: 'config/strategy.yaml', key: 'strategy.max_per_user'})
    expect(source(l, 'strategy.risk_management.max_drawdown')).toEqual({origin: 'config/strategy.yaml', key: 'risk_management.max_drawdown'})
  })

  it('config/cache.yaml and config/server.yaml', () => {
    const l = load({
      'config/cache.yaml': 'redis:\n  host: cache-host\n  port: 6380\n  db: 3\n\npool:\n  size: 7\n  timeout: 6\n\ncache:\n  default_ttl: 60\n  max_size: 1000\n',
      'config/server.yaml': 'server:\n  host: 0.0.0.0\n  port: 8080\n\nssl:\n  enabled: true\n  cert_file: /path/to/cert.pem\n',
    })
    expect(l.config.redis).toMatchObject({host: 'cache-host', port: 6380, db: 3, pool: {size: 7, timeout: 6}})
    expect(l.config.cache).toEqual({default_ttl: 60, max_size: 1000})
    expect(l.config.server).toMatchObject({host: '0.0.0.0', port: 8080, ssl: {enabled: true, cert_file: '/path/to/cert.pem'}})
  })

  it('an empty YAML file changes nothing', () => {
    const l = load({'config/order.yaml': '# nothing yet\n'})
    expect(l.config.order.timeout).toBe(30)
    expect(source(l, 'order.timeout')?.origin).toBe('default')
  })
})

describe("the manual's .env names", () => {
  it('.env.production from the manual', () => {
    const l = load(
      {'.env.production': 'DEBUG=false\nLOG_LEVEL=WARNING\nDB_HOST=prod-db-server\nDB_NAME=order_monitor_prod\nREDIS_DB=0\nSSL_ENABLED=true\n'},
      {ORDERMON_ENV: 'production'},
    )
    expect(l.config.debug).toBe(false)
    expect(l.config.logging.level).toBe('warn')
    expect(source(l, 'logging.level')).toEqual({origin: '.env.production', key: 'LOG_LEVEL'})
    expect(l.config.database.host).toBe('prod-db-server')
    expect(l.config.database.name).toBe('order_monitor_prod')
    expect(l.config.database.client).toBe('mysql')
    expect(source(l, 'database.name')).toEqual({origin: '.env.production', key: 'DB_NAME'})
    expect(l.config.redis.db).toBe(0)
    expect(l.config.server.ssl.enabled).toBe(true)
  })

  it('.env.development from the manual', () => {
    const l = load({'.env.development': 'DEBUG=true\nLOG_LEVEL=DEBUG\nDB_HOST=localhost\nDB_NAME=order_monitor_dev\nREDIS_DB=1\n'})
    expect(l.config.debug).toBe(true)
    expect(l.config.logging.level).toBe('debug')
    expect(l.config.redis.db).toBe(1)
    expect(source(l, 'redis.db')).toEqual({origin: '.env.development', key: 'REDIS_DB'})
    expect(l.config.database.name).toBe('order_monitor_dev')
  })

  it('LOG_LEVEL CRITICAL maps to error', () => {
    expect(load({}, {LOG_LEVEL: 'CRITICAL'}).config.logging.level).toBe('error')
  })

  it('MYSQL_* names', () => {
    const l = load({}, {MYSQL_HOST: 'db.internal', MYSQL_PORT: '3310', MYSQL_USER: 'om', MYSQL_PASSWORD: 'MyPw', MYSQL_DATABASE: 'om_db'})
    expect(l.config.database).toMatchObject({host: 'db.internal', port: 3310, user: 'om', password: 'MyPw', name: 'om_db', client: 'mysql'})
    expect(source(l, 'database.port')).toEqual({origin: 'env', key: 'MYSQL_PORT'})
  })

  it('REDIS_HOST / REDIS_PORT / REDIS_DB', () => {
    const l = load({'.env': 'REDIS_HOST=r.internal\nREDIS_PORT=6390\nREDIS_DB=2\n'})
    expect(l.config.redis).toMatchObject({host: 'r.internal', port: 6390, db: 2})
  })

  it('the generic ORDERMON__SECTION__KEY form', () => {
    const l = load({}, {ORDERMON__ORDER__VALIDATION__MAX_QUANTITY: '5000', ORDERMON__STRATEGY__MAX_PER_USER: '3'})
    expect(l.config.order.validation.max_quantity).toBe(5000)
    expect(l.config.strategy.max_per_user).toBe(3)
    expect(source(l, 'order.validation.max_quantity')).toEqual({origin: 'env', key: 'ORDERMON__ORDER__VALIDATION__MAX_QUANTITY'})
  })

  it('ORDERMON_DATABASE_URL=mysql://... selects mysql', () => {
    const l = load({}, {ORDERMON_DATABASE_URL: 'mysql://u:pw@db.example:3307/om'})
    expect(l.config.database.client).toBe('mysql')
    expect(l.config.database.url).toBe('mysql://u:pw@db.example:3307/om')
    expect(l.paths.sqliteFile).toBeUndefined()
    expect(source(l, 'database.client')).toEqual({origin: 'derived', key: 'from database.url'})
  })

  it('ORDERMON_DATABASE_URL=mariadb:// also selects mysql; sqlite: selects a file', () => {
    expect(load({}, {ORDERMON_DATABASE_URL: 'mariadb://u@h/om'}).config.database.client).toBe('mysql')
    const cwd = project()
    const l = loadConfig({cwd, env: {ORDERMON_DATABASE_URL: 'sqlite:data/x.db'}})
    expect(l.config.database.client).toBe('sqlite')
    expect(l.paths.sqliteFile).toBe(join(cwd, '.ordermon', 'data', 'x.db'))
  })

  it('DEBUG=ordermon* (the debug module) is ignored, not a config error', () => {
    for (const value of ['ordermon*', 'ordermon:*', '*']) {
      const l = load({}, {DEBUG: value})
      expect(l.config.debug).toBe(false)
      expect(source(l, 'debug')?.origin).toBe('default')
    }
    expect(load({}, {DEBUG: 'yes'}).config.debug).toBe(true)
  })
})

describe('configuration errors (OrdermonError invalidInput)', () => {
  it('a wrong value names the file, the key and what is allowed', () => {
    const e = loadError({'config/order.yaml': 'validation: {min_quantity: abc}\n'})
    expect(e.kind).toBe('invalidInput')
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain('config/order.yaml')
    expect(e.message).toContain('validation.min_quantity')
    expect(e.message).toContain('expected a number')
    expect(e.message).toContain('"abc"')
  })

  it('an enum value lists the allowed values', () => {
    const e = loadError({'config/logging.yaml': 'logging:\n  level: verbose\n'})
    expect(e.message).toContain('config/logging.yaml: logging.level')
    expect(e.message).toContain('must be one of error, warn, info, debug')
  })

  it('an out-of-range number gives the bound, naming the environment variable', () => {
    const e = loadError({'.env': 'DB_PORT=70000\n'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('.env: DB_PORT')
    expect(e.message).toContain('must be at most 65535')
  })

  it('an unknown section in a YAML file lists the allowed sections', () => {
    const e = loadError({'config/order.yaml': 'orders:\n  timeout: 30\n'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('config/order.yaml')
    expect(e.message).toContain("unknown section 'orders'")
    expect(e.message).toContain('order, validation')
  })

  it('an unknown key in a YAML file', () => {
    const e = loadError({'config/order.yaml': 'validation:\n  min_qty: 1\n'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('config/order.yaml: validation.min_qty')
    expect(e.message).toContain('unknown key')
  })

  it('an unknown key in the generic environment form', () => {
    const e = loadError({}, {ORDERMON__ORDER__NO_SUCH_KEY: '1'})
    expect(e.message).toContain('env: ORDERMON__ORDER__NO_SUCH_KEY')
    expect(e.message).toContain('unknown key')
  })

  it('malformed YAML reports the file and a line number', () => {
    const e = loadError({'config/order.yaml': 'order:\n  timeout: 30\n  retry_attempts: [3, 4\n'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('config/order.yaml')
    expect(e.message).toMatch(/at line [34], column \d+/)
    expect(e.message).toContain('not valid YAML')
  })

  it('a YAML file that is not a mapping', () => {
    const e = loadError({'config/order.yaml': '- a\n- b\n'})
    expect(e.message).toContain('config/order.yaml')
    expect(e.message).toContain('expected a mapping')
  })

  it('an invalid ORDERMON_ENV lists the allowed environments', () => {
    const e = loadError({}, {ORDERMON_ENV: 'staging'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('ORDERMON_ENV')
    expect(e.message).toContain('development, testing, production')
    expect(e.message).toContain('staging')
    const flag = loadError({}, {}, {env: 'qa'})
    expect(flag.message).toContain('--env')
    expect(flag.message).toContain('development, testing, production')
  })

  it('min_quantity > max_quantity is refused', () => {
    const e = loadError({'config/order.yaml': 'validation:\n  min_quantity: 10\n  max_quantity: 5\n'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('config/order.yaml: validation.min_quantity')
    expect(e.message).toContain('must not exceed max_quantity')
  })

  it('a postgres:// database URL is refused, without echoing its password', () => {
    const e = loadError({}, {ORDERMON_DATABASE_URL: 'postgres://u:PgSecret7@h/db'})
    expect(e.kind).toBe('invalidInput')
    expect(e.message).toContain('ORDERMON_DATABASE_URL')
    expect(e.message).toContain('mysql://')
    expect(e.message).toContain('postgres')
    expect(e.message).not.toContain('PgSecret7')
  })

  it('an error about a secret value never echoes the secret', () => {
    // YAML reads `password: 98765432` as a number. Accepting it or refusing it are both fine; printing it is not.
    for (const [file, text] of [
      ['config/database.yaml', 'database:\n  host: h\n  password: 98765432\n'],
      ['config/notification.yaml', 'email:\n  password: 98765432\n'],
    ] as const) {
      let text2 = ''
      try {
        load({[file]: text})
      } catch (error) {
        expect(error).toBeInstanceOf(OrdermonError)
        text2 = `${(error as OrdermonError).message} ${JSON.stringify((error as OrdermonError).details ?? {})}`
      }
      expect(text2, file).not.toContain('98765432')
    }
  })
})

describe('redaction', () => {
  it('describeConfig never shows DB_PASSWORD, URL passwords, redis or notification secrets', () => {
    const l = load(
      {
        'config/notification.yaml':
          'email:\n  smtp_server: smtp.example.com\n  username: alerts\n  password: MailPw77x\nsms:\n  provider: aliyun\n  access_key: SmsAccessK1\n  secret_key: SmsSecretK2\nwebhook:\n  url: https://hooks.example.com/x?token=HookTok3\n  secret: HookSecret4\n',
      },
      {
        DB_PASSWORD: 'DbPassw0rd55',
        ORDERMON_DATABASE_URL: 'mysql://u:UrlPw9xq@db.example/om',
        REDIS_PASSWORD: 'RedisPw66',
        ORDERMON_REDIS_URL: 'redis://:RedisUrlPw88@cache.example:6379/1',
      },
    )
    const rows = describeConfig(l)
    const all = JSON.stringify(rows)
    for (const secret of ['DbPassw0rd55', 'UrlPw9xq', 'RedisPw66', 'RedisUrlPw88', 'MailPw77x', 'SmsAccessK1', 'HookTok3', 'HookSecret4'])
      expect(all, secret).not.toContain(secret)
    const value = (key: string) => rows.find((r) => r.key === key)?.value
    expect(value('database.password')).toBe(REDACTED)
    expect(value('database.url')).toBe('mysql://u:********@db.example/om')
    expect(value('redis.url')).toBe('redis://:********@cache.example:6379/1')
    expect(value('redis.password')).toBe(REDACTED)
    expect(value('notification.email.password')).toBe(REDACTED)
    // Non-secrets stay readable.
    expect(value('notification.email.username')).toBe('alerts')
    expect(value('notification.email.smtp_server')).toBe('smtp.example.com')
    expect(rows.find((r) => r.key === 'database.password')?.source).toBe('env: DB_PASSWORD')
  })

  it('describeConfig shows only the origin of a webhook URL: its path is often the credential', () => {
    const l = load({'config/notification.yaml': 'webhook:\n  url: https://hooks.slack.example/services/T000/B000/PathSecret5\n'})
    const rows = describeConfig(l)
    expect(rows.find((r) => r.key === 'notification.webhook.url')?.value).toBe('https://hooks.slack.example/********')
    expect(JSON.stringify(rows)).not.toContain('PathSecret5')
  })

  it('describeConfig hides the SMS secret_key', () => {
    const l = load({'config/notification.yaml': 'sms:\n  provider: aliyun\n  access_key: SmsAccessK1\n  secret_key: SmsSecretK2\n'})
    const rows = describeConfig(l)
    expect(rows.find((r) => r.key === 'notification.sms.secret_key')?.value).toBe(REDACTED)
    expect(JSON.stringify(rows)).not.toContain('SmsSecretK2')
  })

  it('redactUrl', () => {
    expect(redactUrl('mysql://u:pw@h/db')).toBe('mysql://u:********@h/db')
    expect(redactUrl('mysql://root@127.0.0.1:3306/x')).toBe('mysql://root@127.0.0.1:3306/x')
    expect(redactUrl('redis://:pw123@127.0.0.1:1')).toBe('redis://:********@127.0.0.1:1')
    expect(redactUrl('redis://h:6379/0?token=abc&db=1')).toBe('redis://h:6379/0?token=********&db=1')
    expect(redactUrl('mysql://u:pw@h/db?password=Qx1')).toBe('mysql://u:********@h/db?password=********')
    expect(redactUrl('https://h/x?sig=abc&api_key=zz')).toBe('https://h/x?sig=********&api_key=********')
    // Not parseable as a URL: the user:password@ part is still hidden.
    expect(redactUrl('//u:pw@h')).toBe('//u:********@h')
    expect(redactUrl('mysql://u:pw@h/db?x=%zz')).not.toContain(':pw@')
  })

  it('redactValue', () => {
    expect(redactValue('database.password', 'hunter22')).toBe(REDACTED)
    expect(redactValue('redis.password', 'x')).toBe(REDACTED)
    expect(redactValue('database.password', '')).toBe('')
    expect(redactValue('database.password', undefined)).toBeUndefined()
    expect(redactValue('database.url', 'mysql://u:pw@h/db')).toBe('mysql://u:********@h/db')
    expect(redactValue('logging.level', 'info')).toBe('info')
    expect(redactValue('server.port', 8000)).toBe(8000)
    expect(redactValue('server.host', 'a:b@c')).toBe('a:b@c')
  })

  it('isSecretPath', () => {
    for (const p of ['database.password', 'redis.password', 'notification.email.password', 'notification.webhook.secret', 'notification.sms.access_key', 'api.token', 'x.api_key', 'x.private_key', 'x.credentials'])
      expect(isSecretPath(p), p).toBe(true)
    for (const p of ['database.user', 'security.password_min_length', 'security.password_max_length', 'order.timeout', 'redis.key_prefix', 'notification.email.username'])
      expect(isSecretPath(p), p).toBe(false)
  })

  it('isSecretPath: notification.sms.secret_key is a secret', () => {
    expect(isSecretPath('notification.sms.secret_key')).toBe(true)
    expect(redactValue('notification.sms.secret_key', 'SmsSecretK2')).toBe(REDACTED)
  })
})

describe('engine.sharing: auto, true or false', () => {
  const mysql = {ORDERMON_DATABASE_URL: 'mysql://root@127.0.0.1:3306/x'}
  it('auto by default: engines share a MySQL/MariaDB database, not the embedded SQLite file', () => {
    expect(load({}).config.engine.sharing).toBe('auto')
    expect(sharesDatabase(load({}).config)).toBe(false)
    expect(sharesDatabase(load({}, mysql).config)).toBe(true)
  })

  it('false keeps one engine per MariaDB database; true and its spellings turn it on', () => {
    expect(sharesDatabase(load({}, {...mysql, ORDERMON__ENGINE__SHARING: 'false'}).config)).toBe(false)
    expect(sharesDatabase(load({}, {...mysql, ORDERMON__ENGINE__SHARING: 'off'}).config)).toBe(false)
    expect(sharesDatabase(load({}, {...mysql, ORDERMON__ENGINE__SHARING: 'yes'}).config)).toBe(true)
    expect(load({'config/engine.yaml': 'engine:\n  sharing: AUTO\n'}).config.engine.sharing).toBe('auto')
    expect(load({'config/engine.yaml': 'engine:\n  sharing: false\n'}).config.engine.sharing).toBe(false)
  })

  it('anything else is refused with what is allowed', () => {
    for (const bad of ['maybe', '2', ' ']) {
      const e = loadError({}, {ORDERMON__ENGINE__SHARING: bad})
      expect(e.message).toContain('ORDERMON__ENGINE__SHARING')
      expect(e.message).toContain('expected auto, true or false')
    }
  })
})
