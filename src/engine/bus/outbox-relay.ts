import type {Store} from '../store/index.js'
import {channels, toMessage, type EventMessage} from './channels.js'
import type {RedisClient} from './redis.js'

export interface RelayOptions {
  /** Offset name in relay_offsets: one per engine instance. */
  name: string
  channelPrefix: string
  batchSize?: number
}

/**
 * Publishes the `events` outbox to Redis in id order and records how far it got. Publish first,
 * then record: a crash in between republishes those ids, so a subscriber that dedupes by id sees
 * every event exactly once, and none is ever lost.
 */
export class OutboxRelay {
  private last = -1
  published = 0

  constructor(private readonly store: Store, private readonly redis: RedisClient, private readonly options: RelayOptions) {}

  /**
   * Where to continue. A relay that has never run starts at the newest event: pub/sub keeps nothing
   * for absent subscribers, so replaying the whole history on first start would only flood them.
   */
  async position(): Promise<number> {
    if (this.last >= 0) return this.last
    const saved = await this.store.events.offset(this.options.name)
    if (saved > 0 || (await this.store.events.hasOffset(this.options.name))) this.last = saved
    else {
      this.last = await this.store.events.maxId()
      await this.store.events.setOffset(this.options.name, this.last)
    }
    return this.last
  }

  /** Publishes one batch; returns how many events went out (0 when caught up). */
  async relayOnce(onEvent?: (m: EventMessage) => void): Promise<number> {
    const from = await this.position()
    const events = await this.store.events.after(from, this.options.batchSize ?? 2000)
    if (events.length === 0) return 0
    const pipeline = this.redis.pipeline()
    const all = channels.all(this.options.channelPrefix)
    for (const e of events) {
      const m = toMessage(e)
      const json = JSON.stringify(m)
      pipeline.publish(all, json)
      pipeline.publish(channels.entity(this.options.channelPrefix, e.entity_type), json)
      onEvent?.(m)
    }
    const results = await pipeline.exec()
    const failed = results?.find(([err]) => err)
    if (failed) throw failed[0]
    this.last = events.at(-1)!.id
    await this.store.events.setOffset(this.options.name, this.last)
    this.published += events.length
    return events.length
  }
}
