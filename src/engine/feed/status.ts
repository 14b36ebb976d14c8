import {describeRedis, redisConfigured} from '../bus/redis.js'
import type {LoadedConfig} from '../config/index.js'

export type Connection = 'connecting' | 'live' | 'reconnecting'

export interface FeedStatus {
  connection: Connection
  source: 'redis' | 'database'
  target: string
  error?: string
}

/** Where a live feed on this configuration follows events from, before it has connected. */
export function initialFeedStatus(loaded: LoadedConfig): FeedStatus {
  const redis = redisConfigured(loaded.config)
  return {connection: 'connecting', source: redis ? 'redis' : 'database', target: redis ? describeRedis(loaded.config) : loaded.paths.sqliteFile ?? 'database'}
}
/** How often the embedded feed reads the outbox, and how often the engine's vital signs are read. */
export const POLL_MS = 250
export const ENGINE_CHECK_MS = 1000
/** Metric history loaded at start: the trend lines' worth. */
export const HISTORY_MS = 10 * 60_000
