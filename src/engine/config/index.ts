import type {OrdermonConfig} from './schema.js'
export {loadConfig, type LoadedConfig, type LoadOptions, type Source} from './load.js'
export {configSchema, type OrdermonConfig} from './schema.js'
export {isSecretPath, redactUrl, redactValue, REDACTED} from './redact.js'
export {describeConfig, type ConfigEntry} from './describe.js'

/** Engines can share this database: MySQL/MariaDB only; the embedded SQLite file runs one. */
export const canShareDatabase = (config: OrdermonConfig): boolean => config.database.client === 'mysql'

/** Whether engines on this configuration share the database (engine.sharing, auto: wherever they can). */
export const sharesDatabase = (config: OrdermonConfig): boolean => (config.engine.sharing === 'auto' ? canShareDatabase(config) : config.engine.sharing)
