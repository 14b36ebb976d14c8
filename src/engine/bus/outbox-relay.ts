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
  /** Publish through a server-side script (default) or one PUBLISH command per channel and event. */
  publish?: 'script' | 'commands'
}

/**
 * Publishes ARGV[2], ARGV[3] ... as (entity channel, message) pairs: each message to ARGV[1] (the
 * all-events channel), then to its entity channel, in order. One script call carries hundreds of
 * events: a PUBLISH command each costs the relay ~10 µs of client work (command object, reply,
 * promise), which capped it near 17,000 events a second, and the message crosses the wire once.
 */
const PUBLISH_SCRIPT = `local all = ARGV[1]
for i = 2, #ARGV, 2 do
  redis.call('PUBLISH', all, ARGV[i + 1])
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
return (#ARGV - 1) / 2`
/** Events per script call: a call blocks Redis while it runs (~1 ms for 500 events, 2 subscribers). */
const SCRIPT_CHUNK = 500

/**
 * Publishes the `events` outbox to Redis and records how far it got. Publish first, then record: a
 * crash in between republishes those ids, so a subscriber that dedupes by id sees every event once,
 * and none is ever lost, including events whose transaction committed after a later one's.
 * A relay that has never run starts at the newest event: pub/sub keeps nothing for absent
 * subscribers, so replaying the whole history would only flood them.
 */
export class OutboxRelay {
  private readonly cursor: OutboxCursor
  private mode: 'script' | 'commands'
  private scriptSha?: string
  published = 0
  /** Commit-to-publish age of the newest event of the last batch (0 once caught up), for metrics. */
  private lastLagMs: number | null = null

  constructor(store: Store, private readonly redis: RedisClient, private readonly options: RelayOptions) {
    this.cursor = new OutboxCursor(store, {name: options.name, gapTimeoutMs: options.gapTimeoutMs})
    this.mode = options.publish ?? 'script'
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
      this.lastLagMs = 0
      return 0
    }
    const prefix = this.options.channelPrefix
    const messages: string[] = []
    const entityChannels: string[] = []
    for (const e of events) {
      const m = toMessage(e)
      // One JSON string per event, sent to both channels.
      messages.push(JSON.stringify(m))
      entityChannels.push(channels.entity(prefix, e.entity_type))
      onEvent?.(m)
    }
    try {
      await this.publish(channels.all(prefix), entityChannels, messages)
    } catch (error) {
      // Not published (or not all): read the batch again next time instead of counting it as done.
      this.cursor.rewind()
      throw error
    }
    await this.cursor.commit()
    this.published += events.length
    this.lastLagMs = Math.max(0, Date.now() - Date.parse(events[events.length - 1]!.created_at))
    return events.length
  }

  lagMs(): number | null {
    return this.lastLagMs
  }

  private async publish(all: string, entityChannels: string[], messages: string[]): Promise<void> {
    if (this.mode === 'script') {
      try {
        await this.publishScript(all, entityChannels, messages)
        return
      } catch (error) {
        // A server that refuses scripts (disabled, ACL) gets plain commands from now on; anything
        // else (connection lost) is a failure as before. Whatever went out goes out again
        // (at-least-once: subscribers dedupe by id).
        const text = String((error as Error)?.message ?? error)
        if (!/unknown command|NOPERM|not allowed|disabled|ERR.*script/i.test(text)) throw error
        this.mode = 'commands'
      }
    }
    const pipeline = this.redis.pipeline()
    for (let i = 0; i < messages.length; i++) {
      pipeline.publish(all, messages[i]!)
      pipeline.publish(entityChannels[i]!, messages[i]!)
    }
    const results = await pipeline.exec()
    const failed = results?.find(([err]) => err)
    if (failed) throw failed[0]
  }

  private async publishScript(all: string, entityChannels: string[], messages: string[], retry = true): Promise<void> {
    this.scriptSha ??= String(await this.redis.script('LOAD', PUBLISH_SCRIPT))
    const pipeline = this.redis.pipeline()
    for (let i = 0; i < messages.length; i += SCRIPT_CHUNK) {
      const args: string[] = [all]
      for (let j = i; j < Math.min(messages.length, i + SCRIPT_CHUNK); j++) args.push(entityChannels[j]!, messages[j]!)
      pipeline.evalsha(this.scriptSha, 0, ...args)
    }
    const results = await pipeline.exec()
    const failed = results?.find(([err]) => err)
    if (!failed) return
    // The script cache was emptied (Redis restarted, SCRIPT FLUSH): load it again and resend.
    if (retry && /NOSCRIPT/.test(String(failed[0]))) {
      this.scriptSha = undefined
      return this.publishScript(all, entityChannels, messages, false)
    }
    throw failed[0]
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
