/**
 * Where each layer of configuration comes from and how its keys map onto the effective config tree.
 * The YAML shapes are the manual's (config/database.yaml has top-level `database:` and `pool:`), so each
 * file declares which config path each of its top-level sections lands on.
 */
export const configFiles: Record<string, Record<string, string>> = {
  'server.yaml': {server: 'server', ssl: 'server.ssl', rate_limit: 'server.rate_limit'},
  'database.yaml': {database: 'database', pool: 'database.pool'},
  'cache.yaml': {redis: 'redis', pool: 'redis.pool', cache: 'cache'},
  'logging.yaml': {logging: 'logging'},
  'monitoring.yaml': {monitoring: 'monitoring'},
  'security.yaml': {security: 'security'},
  'engine.yaml': {engine: 'engine'},
  'reports.yaml': {reports: 'reports'},
  'order.yaml': {order: 'order', validation: 'order.validation'},
  'strategy.yaml': {strategy: 'strategy', risk_management: 'strategy.risk_management'},
  'notification.yaml': {email: 'notification.email', sms: 'notification.sms', webhook: 'notification.webhook', recipients: 'notification.recipients', alerts: 'notification.alerts'},
}

const lower = (v: string) => v.trim().toLowerCase()
// The manual's LOG_LEVEL uses Python's names (DEBUG, INFO, WARNING, CRITICAL).
const logLevel = (v: string) => ({warning: 'warn', critical: 'error', fatal: 'error'})[lower(v)] ?? lower(v)

export interface EnvMapping {
  path: string
  transform?: (value: string) => unknown
  /** Skip the variable when it does not look like a value for us (DEBUG=ordermon* is the debug module's). */
  accept?: (value: string) => boolean
}

/** Environment variable names (in .env files and the process environment), the manual's and our own. */
export const envVars: Record<string, EnvMapping> = {
  ORDERMON_ENV: {path: 'env', transform: lower},
  ORDERMON_HOME: {path: 'home'},
  ORDERMON_DATABASE_URL: {path: 'database.url'},
  ORDERMON_REDIS_URL: {path: 'redis.url'},
  ORDERMON_LOG_LEVEL: {path: 'logging.level', transform: logLevel},
  ORDERMON_LOG_DIR: {path: 'logging.dir'},
  DEBUG: {path: 'debug', accept: (v) => /^(true|false|1|0|yes|no)$/i.test(v.trim())},
  LOG_LEVEL: {path: 'logging.level', transform: logLevel},
  LOG_RETENTION_DAYS: {path: 'logging.retention_days'},
  DB_HOST: {path: 'database.host'},
  DB_PORT: {path: 'database.port'},
  DB_NAME: {path: 'database.name'},
  DB_USER: {path: 'database.user'},
  DB_PASSWORD: {path: 'database.password'},
  MYSQL_HOST: {path: 'database.host'},
  MYSQL_PORT: {path: 'database.port'},
  MYSQL_USER: {path: 'database.user'},
  MYSQL_PASSWORD: {path: 'database.password'},
  MYSQL_DATABASE: {path: 'database.name'},
  REDIS_HOST: {path: 'redis.host'},
  REDIS_PORT: {path: 'redis.port'},
  REDIS_PASSWORD: {path: 'redis.password'},
  REDIS_DB: {path: 'redis.db'},
  SSL_ENABLED: {path: 'server.ssl.enabled'},
  SERVER_ENABLED: {path: 'server.enabled'},
  JWT_SECRET_KEY: {path: 'security.jwt_secret'},
  REPORT_TIMEZONE: {path: 'reports.timezone'},
  MONITORING_ENABLED: {path: 'monitoring.enabled'},
  MONITORING_SCAN_INTERVAL: {path: 'monitoring.scan_interval'},
}

/** Any key can also be set as ORDERMON__SECTION__KEY (double underscores between path parts). */
export const genericEnvPrefix = 'ORDERMON__'
