import type {Redis as RedisClient, RedisOptions} from 'ioredis'
import type {OrdermonConfig} from '../config/index.js'
import {redactUrl} from '../config/index.js'
import {classifyFailure, OrdermonError} from '../errors.js'

export type {RedisClient}

/** True when Redis is configured at all; without it the engine runs on the embedded default. */
export function redisConfigured(config: OrdermonConfig): boolean {
  return Boolean(config.redis.url || config.redis.host)
}

export function describeRedis(config: OrdermonConfig): string {
  const r = config.redis
  if (r.url) return redactUrl(r.url)
  return `redis://${r.password ? ':********@' : ''}${r.host ?? '127.0.0.1'}:${r.port}/${r.db}`
}

/**
 * Connects to Redis and proves it answers. Keys get the configured prefix, so tests and several
 * deployments can share one server. ioredis is imported lazily: most commands never touch Redis.
 */
export async function connectRedis(config: OrdermonConfig, overrides: {keyPrefix?: string} = {}): Promise<RedisClient> {
  const {Redis} = await import('ioredis')
  const r = config.redis
  const options: RedisOptions = {
    keyPrefix: overrides.keyPrefix ?? r.key_prefix,
    lazyConnect: true,
    connectTimeout: r.pool.timeout * 1000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  }
  const client = r.url ? new Redis(r.url, options) : new Redis({...options, host: r.host ?? '127.0.0.1', port: r.port, password: r.password || undefined, db: r.db})
  // Errors surface through the calls that fail; an unhandled 'error' event would crash the process.
  // The socket error is kept: connect() itself only says "Connection is closed".
  let socketError: (Error & {code?: string}) | undefined
  client.on('error', (err) => (socketError ??= err))
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    client.disconnect()
    const {reason} = classifyFailure(socketError ?? error)
    throw new OrdermonError('redisUnavailable', `Cannot reach Redis at ${describeRedis(config)}: ${reason}.`, {
      hint: 'Check that Redis is running and ORDERMON_REDIS_URL is right, or unset it to run without Redis.',
      cause: error,
    })
  }
  return client
}
