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

  /**
   * At a graceful stop, once nothing more will be written by this engine: publishes everything
   * committed. Ids still missing after `graceMs` belong to transactions that rolled back (ours are
   * all done by now), so they are given up and the position reaches the newest event. Returns
   * how many went out; throws if Redis fails (the rest then goes out at the next start).
   */
  async drain(options: {graceMs?: number; deadlineMs?: number} = {}): Promise<number> {
    const t0 = Date.now()
    const grace = options.graceMs ?? 1000
    const deadline = t0 + (options.deadlineMs ?? 10_000)
    let total = 0
    while (Date.now() < deadline) {
      const n = await this.relayOnce()
      total += n
      if (n > 0) continue
      if (this.cursor.openGaps === 0) break
      if (Date.now() - t0 >= grace) {
        this.cursor.giveUpGaps()
        await this.cursor.commit()
        break
      }
      await new Promise((r) => setTimeout(r, 25))
    }
    await this.cursor.persist()
    return total
  }
}
