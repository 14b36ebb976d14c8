import {Redis, type RedisOptions} from 'ioredis'
import {REDIS_URL} from './backends.js'

/**
 * A subscriber to `channel` (on the shared Redis unless `url` says otherwise), connected and subscribed
 * when this resolves. Connection errors are left to its retry strategy; disconnect() it in afterAll.
 */
export async function subscribe(channel: string, onMessage: (raw: string, channel: string) => void, options: RedisOptions & {url?: string} = {}): Promise<Redis> {
  const {url = REDIS_URL, ...redisOptions} = options
  const sub = new Redis(url, {lazyConnect: true, maxRetriesPerRequest: 1, ...redisOptions})
  sub.on('error', () => {})
  await sub.connect()
  sub.on('message', (ch: string, raw: string) => onMessage(raw, ch))
  await sub.subscribe(channel)
  return sub
}

/** Deletes every key under `prefix` (a suite's unique key prefix) on the shared Redis. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const plain = new Redis(url, {maxRetriesPerRequest: 1})
  plain.on('error', () => {})
  try {
    const keys = await plain.keys(`${prefix}*`)
    if (keys.length) await plain.del(...keys)
  } finally {
    plain.disconnect()
  }
}
