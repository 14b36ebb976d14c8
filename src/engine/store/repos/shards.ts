import type {Knex} from 'knex'
import type {Dialect} from '../dialect.js'

/** One shard's lease as the database sees it now. */
export interface ShardLease {
  shard: number
  owner: string | null
  token: number
  /** Past expires_at by the database's clock (or never taken). */
  expired: boolean
}

/** A lease this engine holds: the shard and the fencing token its writes must show. */
export interface HeldShard {
  shard: number
  token: number
}

/**
 * shard_leases: which engine handles which shard of users. Every condition on time uses the
 * database's clock, so engines on hosts with skewed clocks agree on which lease has expired.
 */
export class ShardRepo {
  constructor(private readonly knex: Knex, private readonly dialect: Dialect) {}

  private get now() {
    return this.dialect.nowSql()
  }

  /** Rows for shards 0..count-1 (those already there are left as they are). */
  async ensure(count: number): Promise<void> {
    const rows = Array.from({length: count}, (_, shard) => ({shard, owner: null, token: 0, expires_at: null}))
    for (let i = 0; i < rows.length; i += 400) await this.knex('shard_leases').insert(rows.slice(i, i + 400)).onConflict('shard').ignore()
  }

  async all(): Promise<ShardLease[]> {
    const rows = await this.knex('shard_leases')
      .select('shard', 'owner', 'token', this.knex.raw(`(expires_at IS NULL OR expires_at < ${this.now}) AS expired`))
      .orderBy('shard')
    return rows.map((r: Record<string, unknown>) => ({shard: Number(r.shard), owner: (r.owner as string) ?? null, token: Number(r.token), expired: Boolean(Number(r.expired))}))
  }

  /**
   * Takes a shard that is free or whose lease has expired, for `ttlMs`; the token rises by one.
   * Returns the new token, or undefined if another engine holds a live lease on it.
   */
  async acquire(shard: number, owner: string, ttlMs: number): Promise<number | undefined> {
    const n = await this.knex('shard_leases')
      .where({shard})
      .where((q) => q.whereNull('owner').orWhereNull('expires_at').orWhereRaw(`expires_at < ${this.now}`))
      .update({owner, token: this.knex.raw('?? + 1', ['token']), expires_at: this.knex.raw(this.dialect.nowPlusMsSql(), [ttlMs])})
    if (n !== 1) return undefined
    const r = await this.knex('shard_leases').where({shard, owner}).first('token')
    return r ? Number(r.token) : undefined
  }

  /** Extends every live lease of `owner` by `ttlMs`; returns the shards it still holds, with their tokens. */
  async renew(owner: string, ttlMs: number): Promise<HeldShard[]> {
    await this.knex('shard_leases')
      .where({owner})
      .whereRaw(`expires_at >= ${this.now}`)
      .update({expires_at: this.knex.raw(this.dialect.nowPlusMsSql(), [ttlMs])})
    return this.held(owner)
  }

  /** The shards `owner` holds a live lease on. */
  async held(owner: string): Promise<HeldShard[]> {
    const rows = await this.knex('shard_leases').where({owner}).whereRaw(`expires_at >= ${this.now}`).orderBy('shard').select('shard', 'token')
    return rows.map((r: Record<string, unknown>) => ({shard: Number(r.shard), token: Number(r.token)}))
  }

  /** Gives shards up at once (a graceful stop, or handing over to balance): another engine may take them now. */
  async release(owner: string, shards: number[]): Promise<number> {
    if (shards.length === 0) return 0
    return this.knex('shard_leases').where({owner}).whereIn('shard', shards).update({owner: null, expires_at: null})
  }

  /** Frees every lease of an engine known to be dead (its process is gone): no need to wait for expiry. */
  async releaseAll(owner: string): Promise<number> {
    return this.knex('shard_leases').where({owner}).update({owner: null, expires_at: null})
  }

  /**
   * Inside the writer's transaction: true while `owner` still holds `shard` with `token`. On MySQL the
   * row is share-locked until the transaction ends, so the lease cannot change hands between this
   * check and the commit; SQLite's single writer gives the same.
   */
  async fence(shard: number, owner: string, token: number): Promise<boolean> {
    return (await this.fenceMany(owner, [{shard, token}])).has(shard)
  }

  /** fence() for several leases in one statement: the shards among them `owner` still holds. */
  async fenceMany(owner: string, leases: readonly HeldShard[]): Promise<Set<number>> {
    if (leases.length === 0) return new Set()
    const q = this.knex('shard_leases')
      .where({owner})
      .whereRaw(`expires_at >= ${this.now}`)
      .where((w) => {
        for (const l of leases) w.orWhere((x) => x.where({shard: l.shard, token: l.token}))
      })
      .select('shard')
    const rows = await this.dialect.forShare(q)
    return new Set(rows.map((r: Record<string, unknown>) => Number(r.shard)))
  }
}
