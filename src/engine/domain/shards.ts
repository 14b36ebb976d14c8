import {crc32} from 'node:zlib'
import type {ShardLease, Store} from '../store/index.js'

/**
 * Several engines on one database share the users out by shard: a user belongs to shard
 * shardOf(user_id), and the engine holding that shard's lease handles the user's strategies and
 * orders. These are the pure rules; the leases themselves live in shard_leases (ShardRepo).
 */

/** Users are split into this many shards (fixed: a user's shard must not change while engines run). */
export const SHARD_COUNT = 64

/**
 * The shard of a user: CRC-32 of the id's UTF-8 bytes, stable across processes, hosts and versions,
 * and the same as SQL's `CRC32(user_id) % count` (built into MySQL/MariaDB, registered on SQLite), so
 * an engine reads its share of the rows without reading the rest.
 */
export function shardOf(userId: string, shardCount: number): number {
  return crc32(userId) % shardCount
}

/**
 * How many shards each live engine should hold: an even split, the first `count % engines` (in
 * id order, so every engine computes the same split) holding one more.
 */
export function fairShare(engineIds: readonly string[], shardCount: number): Map<string, number> {
  const ids = [...new Set(engineIds)].sort()
  const base = Math.floor(shardCount / Math.max(1, ids.length))
  const extra = shardCount % Math.max(1, ids.length)
  return new Map(ids.map((id, i) => [id, base + (i < extra ? 1 : 0)]))
}

export interface BalancePlan {
  /** Free or expired shards to try to take (others may take them first). */
  acquire: number[]
  /** Shards to give up now, so that an engine below its share can take them. */
  release: number[]
}

/**
 * One engine's next step towards the fair split, from the leases as the database has them and the
 * engines that are alive. It only takes shards nobody holds (a live lease of a dead engine is waited
 * out, never broken: that is what the fencing relies on), and gives up its surplus only while
 * another live engine is below its share, so shards never sit unowned for nothing. Which free shards
 * it tries first is spread by its id, so engines starting together do not all race for shard 0.
 */
export function planBalance(me: string, leases: readonly ShardLease[], liveEngines: readonly string[]): BalancePlan {
  const share = fairShare([...liveEngines, me], leases.length)
  const target = share.get(me)!
  const holding = (id: string) => leases.filter((l) => l.owner === id && !l.expired)
  const mine = holding(me).map((l) => l.shard)
  if (mine.length < target) {
    const free = leases.filter((l) => l.owner === null || l.expired).map((l) => l.shard)
    const offset = shardOf(me, Math.max(1, leases.length))
    free.sort((a, b) => ((a - offset + leases.length) % leases.length) - ((b - offset + leases.length) % leases.length))
    return {acquire: free.slice(0, target - mine.length), release: []}
  }
  if (mine.length > target) {
    const wanting = [...share].some(([id, want]) => id !== me && holding(id).length < want)
    if (wanting) return {acquire: [], release: mine.slice(target)}
  }
  return {acquire: [], release: []}
}

/**
 * Called inside a writer's transaction with the users it is about to write for: returns those whose
 * shard this engine still holds, checked against the lease rows in that transaction (and locked
 * there on MySQL), so an engine that lost a shard writes nothing more for its users.
 */
export type WriteFence = (tx: Store, userIds: readonly string[]) => Promise<ReadonlySet<string>>
