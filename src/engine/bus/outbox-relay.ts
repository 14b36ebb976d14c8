import type {Store} from '../store/index.js'
import {channels, toMessage, type EventMessage} from './channels.js'
import {OutboxCursor} from './outbox-cursor.js'
import type {RedisClient} from './redis.js'

export interface RelayOptions {
  /** Offset name in relay_offsets: one per engine instance. */
  name: string
  channelPrefix: string
  batchSize?: number
  gapTimeoutMs?: number
}

/**
 * Publishes the `events` outbox to Redis and records how far it got. Publish first, then record: a
 * crash in between republishes those ids, so a subscriber that dedupes by id sees every event once,
 * and none is ever lost, including events whose transaction committed after a later one's.
 * A relay that has never run starts at the newest event: pub/sub keeps nothing for absent
 * subscribers, so replaying the whole history would only flood them.
 */
export class OutboxRelay {
  private readonly cursor: OutboxCursor
  published = 0

  constructor(store: Store, private readonly redis: RedisClient, private readonly options: RelayOptions) {
    this.cursor = new OutboxCursor(store, {name: options.name, gapTimeoutMs: options.gapTimeoutMs})
  }

  async position(): Promise<number> {
    if (this.cursor.position < 0) await this.cursor.init()
    return this.cursor.position
  }

  /** Publishes one batch; returns how many events went out (0 when caught up). */
  async relayOnce(onEvent?: (m: EventMessage) => void): Promise<number> {
    await this.position()
    const events = await this.cursor.next(this.options.batchSize ?? 2000)
    if (events.length === 0) {
      await this.cursor.commit()
      return 0
    }
    const pipeline = this.redis.pipeline()
    const all = channels.all(this.options.channelPrefix)
    for (const e of events) {
      const m = toMessage(e)
      const json = JSON.stringify(m)
      pipeline.publish(all, json)
      pipeline.publish(channels.entity(this.options.channelPrefix, e.entity_type), json)
      onEvent?.(m)
    }
    try {
      const results = await pipeline.exec()
      const failed = results?.find(([err]) => err)
      if (failed) throw failed[0]
    } catch (error) {
      // Not published: read the batch again next time instead of counting it as done.
      this.cursor.rewind()
      throw error
    }
    await this.cursor.commit()
    this.published += events.length
    return events.length
  }
}
