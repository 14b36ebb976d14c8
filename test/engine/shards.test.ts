import {describe, expect, it} from 'vitest'
import {fairShare, planBalance, shardOf} from '../../src/engine/domain/shards.js'
import {openHandle} from '../../src/engine/handle.js'
import type {ShardLease} from '../../src/engine/store/index.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {momentum, newUser, restingOrder, runningStrategy} from '../helpers/engine-parts.js'
import {useEngine} from '../helpers/suite.js'

/**
 * Shard leases for several engines on one database: the pure rules (which shard a user is in, the
 * fair split, one engine's next step) and the leases on both backends (exclusive, expiring by the
 * database's clock, a token that rises with every change of owner, the fence a writer checks).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const lease = (shard: number, owner: string | null, expired = false): ShardLease => ({shard, owner, token: 1, expired})

describe('shard rules', () => {
  it('a user is always in the same shard, and users spread evenly', () => {
    expect(shardOf('U000123', 64)).toBe(shardOf('U000123', 64))
    const counts = new Array(16).fill(0)
    for (let i = 1; i <= 16_000; i++) counts[shardOf(`U${String(i).padStart(6, '0')}`, 16)]++
    expect(Math.min(...counts)).toBeGreaterThan(800)
    expect(Math.max(...counts)).toBeLessThan(1200)
  })

  it('the fair split gives every engine its share, the same whatever order the ids come in', () => {
    expect([...fairShare(['b', 'a', 'c'], 64)]).toEqual([['a', 22], ['b', 21], ['c', 21]])
    expect([...fairShare(['c', 'a', 'b', 'a'], 64)]).toEqual([['a', 22], ['b', 21], ['c', 21]])
    expect([...fairShare(['only'], 64)]).toEqual([['only', 64]])
  })

  it('an engine takes free and expired shards up to its share, never a live lease of another', () => {
    const leases = [lease(0, 'x'), lease(1, null), lease(2, 'x', true), lease(3, null)]
    const plan = planBalance('me', leases, ['x'])
    expect(plan.release).toEqual([])
    // Its share of 4 between two engines is 2, from the free (1, 3) and the expired (2): never 0.
    expect(plan.acquire).toHaveLength(2)
    for (const s of plan.acquire) expect([1, 2, 3]).toContain(s)
    // x is dead (not among the live engines) but its lease on 0 has not expired: waited out.
    expect(planBalance('me', leases, []).acquire.sort()).toEqual([1, 2, 3])
  })

  it('an engine over its share gives up the surplus only while another live engine is below its own', () => {
    const all = [0, 1, 2, 3].map((s) => lease(s, 'me'))
    expect(planBalance('me', all, ['new'])).toEqual({acquire: [], release: [2, 3]})
    // The other engine already has its share elsewhere (here: nothing left for it): keep.
    expect(planBalance('me', all, [])).toEqual({acquire: [], release: []})
    const balanced = [lease(0, 'me'), lease(1, 'me'), lease(2, 'new'), lease(3, 'new')]
    expect(planBalance('me', balanced, ['new'])).toEqual({acquire: [], release: []})
  })

  it('engines starting together try different free shards first', () => {
    const free = Array.from({length: 64}, (_, s) => lease(s, null))
    const firsts = new Set(['e1', 'e2', 'e3', 'e4'].map((id) => planBalance(id, free, ['e1', 'e2', 'e3', 'e4']).acquire[0]))
    expect(firsts.size).toBeGreaterThan(1)
  })
})

describe.each(backendKinds)('shard leases on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)

  it('one owner at a time; renewal keeps it; expiry lets another take it with a higher token; the old owner is fenced out', async () => {
    const shards = ctx.engine.store.shards
    await shards.ensure(4)
    await shards.ensure(4)
    expect((await shards.all()).map((l) => l.shard)).toEqual([0, 1, 2, 3])
    const t1 = await shards.acquire(0, 'A', 400)
    expect(t1).toBe(1)
    expect(await shards.acquire(0, 'B', 400)).toBeUndefined()
    expect(await shards.fence(0, 'A', t1!)).toBe(true)
    expect(await shards.fence(0, 'B', t1!)).toBe(false)
    await sleep(250)
    expect(await shards.renew('A', 400)).toEqual([{shard: 0, token: 1}])
    await sleep(250)
    // Renewed: still A's, 500 ms after it was first taken with a 400 ms lease.
    expect(await shards.acquire(0, 'B', 400)).toBeUndefined()
    await sleep(500)
    expect((await shards.all())[0]).toMatchObject({owner: 'A', expired: true})
    const t2 = await shards.acquire(0, 'B', 10_000)
    expect(t2).toBe(2)
    expect(await shards.fence(0, 'A', t1!)).toBe(false)
    expect(await shards.renew('A', 400)).toEqual([])
    expect(await shards.held('B')).toEqual([{shard: 0, token: 2}])
    // A graceful hand-over: released, taken at once by the next owner, the token up again.
    expect(await shards.release('B', [0])).toBe(1)
    expect(await shards.acquire(0, 'A', 10_000)).toBe(3)
  })

  it('two engines racing for the same free shards never both get one', async () => {
    const other = await openHandle({loaded: ctx.backend.loaded})
    try {
      await ctx.engine.store.shards.ensure(16)
      await ctx.engine.store.shards.release('A', [0, 1, 2, 3])
      const mine = ctx.engine.store.shards
      const theirs = other.store.shards
      const tries = await Promise.all([...Array(16).keys()].flatMap((s) => [mine.acquire(s, 'R1', 10_000).then((t) => (t ? `R1:${s}` : '')), theirs.acquire(s, 'R2', 10_000).then((t) => (t ? `R2:${s}` : ''))]))
      const won = tries.filter(Boolean)
      const shardsWon = won.map((w) => w.split(':')[1])
      expect(new Set(shardsWon).size).toBe(shardsWon.length)
      const owners = (await mine.all()).filter((l) => !l.expired)
      expect(owners.every((l) => l.owner === 'R1' || l.owner === 'R2')).toBe(true)
    } finally {
      await other.close()
    }
  })

  if (kind === 'mariadb')
    it('a lease cannot change hands while a writer that checked the fence is still in its transaction', async () => {
      const other = await openHandle({loaded: ctx.backend.loaded})
      try {
        const shards = ctx.engine.store.shards
        await shards.ensure(32)
        const token = (await shards.acquire(31, 'W', 300))!
        let takenAt = 0
        let committedAt = 0
        await ctx.engine.store.transaction(async (tx) => {
          expect(await tx.shards.fence(31, 'W', token)).toBe(true)
          await sleep(400) // the lease expires while the writer holds the fence
          void other.store.shards.acquire(31, 'T', 10_000).then(() => (takenAt = Date.now()))
          await sleep(300)
          committedAt = Date.now()
        })
        await sleep(200)
        expect(takenAt).toBeGreaterThanOrEqual(committedAt)
        expect(await shards.fence(31, 'W', token)).toBe(false)
        expect((await shards.all())[31]).toMatchObject({owner: 'T', token: token + 1})
      } finally {
        await other.close()
      }
    })
})

describe.each(backendKinds)("one engine's share of the rows, selected by the database on %s", (kind: BackendKind) => {
  const ctx = useEngine(kind)

  it("the database's CRC32(user_id) % count is shardOf, for any id", async () => {
    for (const id of ['U000001', 'U999999', 'user-ü-ß', '用户42', "x'; DROP TABLE users; --", ''])
      for (const count of [64, 7]) {
        const rows = await ctx.engine.db.knex.raw('SELECT (CRC32(?) % ?) AS s', [id, count])
        const s = kind === 'mariadb' ? rows[0][0].s : rows[0].s
        expect(Number(s), `${id} % ${count}`).toBe(shardOf(id, count))
      }
  })

  it('active users, running strategies and open orders of some shards: exactly their rows, none of the others', async () => {
    const users = []
    for (let i = 0; i < 24; i++) users.push(await newUser(ctx.engine, 'scope'))
    for (const u of users.slice(0, 12)) {
      await runningStrategy(ctx.engine, u.user_id, momentum())
      await restingOrder(ctx.engine, u.user_id)
    }
    const {store} = ctx.engine
    const mine = [...new Set(users.slice(0, 6).map((u) => shardOf(u.user_id, 64)))]
    const scope = {count: 64, shards: mine}
    const inScope = (id: string) => mine.includes(shardOf(id, 64))
    const ids = (rows: Array<{user_id: string}>) => rows.map((r) => r.user_id).sort()
    const all = {users: await store.users.active(), strategies: await store.strategies.running('all'), orders: await store.orders.openForUsers('all')}
    expect(ids(await store.users.active(scope))).toEqual(ids(all.users.filter((u) => inScope(u.user_id))))
    expect(ids(await store.strategies.running('all', scope))).toEqual(ids(all.strategies.filter((s) => inScope(s.user_id))))
    expect(ids(await store.orders.openForUsers('all', scope))).toEqual(ids(all.orders.filter((o) => inScope(o.user_id))))
    // Not trivially everything: some users fall outside the scope, and with no shards nothing is read.
    expect((await store.users.active(scope)).length).toBeLessThan(all.users.length)
    expect((await store.users.active(scope)).length).toBeGreaterThanOrEqual(6)
    expect(await store.users.active({count: 64, shards: []})).toEqual([])
    expect(ids(await store.users.active({count: 64, shards: Array.from({length: 64}, (_, i) => i)}))).toEqual(ids(all.users))
    expect(await store.orders.openForUsers('all', {count: 64, shards: []})).toEqual([])
  })
})
