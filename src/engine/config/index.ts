export {loadConfig, type LoadedConfig, type LoadOptions, type Source} from './load.js'
export {configSchema, type OrdermonConfig} from './schema.js'
export {isSecretPath, redactUrl, redactValue, REDACTED} from './redact.js'
export {describeConfig, type ConfigEntry} from './describe.js'
