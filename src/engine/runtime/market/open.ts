import {connectRedis} from '../../bus/redis.js'
import type {OrdermonConfig} from '../../config/index.js'
import {OrdermonError} from '../../errors.js'
import {RedisMarket} from './redis-feed.js'
import {ReplayMarket} from './replay.js'
import {SimMarket} from './sim.js'
import type {MarketData} from './types.js'

/** The market data source engine.market names: sim, replay (a CSV file) or redis (an outside feed). */
export async function openMarket(config: OrdermonConfig, redisConfigured: boolean): Promise<MarketData> {
  const e = config.engine
  if (e.market === 'redis') {
    if (!redisConfigured) throw new OrdermonError('invalidInput', 'engine.market is redis but no Redis is configured.', {hint: 'Set ORDERMON_REDIS_URL, or use --market sim.'})
    // A connection of its own: a subscribed connection can do nothing else.
    const feed = new RedisMarket(await connectRedis(config), `${config.redis.key_prefix}ticks`)
    await feed.open()
    return feed
  }
  return e.market === 'replay' ? new ReplayMarket(e.replay_file ?? 'ticks.csv') : new SimMarket(e.market_seed)
}
