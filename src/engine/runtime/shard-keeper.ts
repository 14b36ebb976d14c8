import {planBalance, shardOf, type WriteFence} from '../domain/shards.js'
import type {HeldShard, Store} from '../store/index.js'

export interface ShardKeeperOptions {
  store: Store
  instanceId: string
  shardCount: number
  /** How long a lease lasts without renewal (engine.shard_lease_ms). */
  leaseMs(): number
  /** Ids of the engines alive on this database (their heartbeat), this one included or not. */
  liveEngines(): Promise<string[]>
  /** Shards this engine took and lost in a step: load the users of the first, drop those of the second. */
  onChange(gained: number[], lost: number[]): Promise<void> | void
}

/**
 * This engine's share of the users when several engines run on one database. Each step renews its
 * leases, notices any it lost (it was frozen past expiry and another took them), gives up surplus
 * shards while another engine is short, and takes free or expired ones up to its fair share. One
 * extra lease (shard number `shardCount`) makes its holder the leader, which alone runs what must
 * run once per database: the raw-SQL change detector, the relay to Redis and housekeeping.
 */
export class ShardKeeper {
  private held = new Map<number, number>()

  constructor(private readonly options: ShardKeeperOptions) {}

  get leaderShard(): number {
    return this.options.shardCount
  }

  /** Shards held (leader lease excluded), ascending. */
  get shards(): number[] {
    return [...this.held.keys()].filter((s) => s !== this.leaderShard).sort((a, b) => a - b)
  }

  get isLeader(): boolean {
    return this.held.has(this.leaderShard)
  }

  shardOf(userId: string): number {
    return shardOf(userId, this.options.shardCount)
  }

  /** True while this engine holds the lease of the user's shard (as of its last step). */
  owns(userId: string): boolean {
    return this.held.has(this.shardOf(userId))
  }

  /** The lease a write for this user must show (the fence), if this engine holds it. */
  leaseFor(userId: string): HeldShard | undefined {
    const shard = this.shardOf(userId)
    const token = this.held.get(shard)
    return token === undefined ? undefined : {shard, token}
  }

  /** The write fence for this engine's transactions: users whose lease it still holds, checked in the transaction. */
  readonly fence: WriteFence = async (tx, userIds) => {
    const leases = new Map<number, number>()
    for (const id of userIds) {
      const l = this.leaseFor(id)
      if (l) leases.set(l.shard, l.token)
    }
    const valid = await tx.shards.fenceMany(this.options.instanceId, [...leases].map(([shard, token]) => ({shard, token})))
    return new Set(userIds.filter((id) => valid.has(this.shardOf(id))))
  }

  /** `deadHere`: engines known dead (this host, pid gone): their leases are freed now instead of waited out. */
  async start(deadHere: (instanceId: string) => Promise<boolean> = async () => false): Promise<void> {
    const {store} = this.options
    await store.shards.ensure(this.options.shardCount + 1)
    const owners = [...new Set((await store.shards.all()).flatMap((l) => (l.owner && l.owner !== this.options.instanceId && !l.expired ? [l.owner] : [])))]
    for (const owner of owners) if (await deadHere(owner)) await store.shards.releaseAll(owner)
    await this.step()
  }

  async step(): Promise<{gained: number[]; lost: number[]}> {
    const {store, instanceId} = this.options
    const ttl = this.options.leaseMs()
    const before = new Map(this.held)
    const now = new Map((await store.shards.renew(instanceId, ttl)).map((h) => [h.shard, h.token]))
    const all = await store.shards.all()
    const live = (await this.options.liveEngines()).filter((id) => id !== instanceId)
    const plan = planBalance(
      instanceId,
      all.filter((l) => l.shard !== this.leaderShard),
      live,
    )
    if (plan.release.length) {
      await store.shards.release(instanceId, plan.release)
      for (const s of plan.release) now.delete(s)
    }
    for (const s of plan.acquire) {
      const token = await store.shards.acquire(s, instanceId, ttl)
      if (token !== undefined) now.set(s, token)
    }
    const leader = all.find((l) => l.shard === this.leaderShard)
    if (!now.has(this.leaderShard) && (!leader || leader.owner === null || leader.expired)) {
      const token = await store.shards.acquire(this.leaderShard, instanceId, ttl)
      if (token !== undefined) now.set(this.leaderShard, token)
    }
    this.held = now
    // A shard kept under a new token was lost and taken back in between: reload it too.
    const gained = [...now].filter(([s, t]) => before.get(s) !== t).map(([s]) => s)
    const lost = [...before].filter(([s, t]) => now.get(s) !== t).map(([s]) => s)
    if (gained.length || lost.length) await this.options.onChange(gained, lost)
    return {gained, lost}
  }

  /** A graceful stop: every lease given up at once, for the other engines to take. */
  async stop(): Promise<void> {
    const shards = [...this.held.keys()]
    this.held.clear()
    await this.options.store.shards.release(this.options.instanceId, shards)
  }
}
