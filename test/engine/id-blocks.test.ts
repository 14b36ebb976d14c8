import {describe, expect, it} from 'vitest'
import {openHandle} from '../../src/engine/handle.js'
import {IdBlocks} from '../../src/engine/domain/id-blocks.js'
import {backendKinds, type BackendKind} from '../helpers/backends.js'
import {useEngine} from '../helpers/suite.js'

/**
 * Order ids come from blocks reserved ahead of the order's transaction (so concurrent orders do not
 * queue on the sequence row's lock). On both backends: one process placing orders one at a time gets
 * consecutive ids; two processes taking values concurrently never get the same one; a value given
 * back is used next; concurrent creates through the service all get distinct ids.
 */
describe.each(backendKinds)('id blocks on %s', (kind: BackendKind) => {
  const ctx = useEngine(kind)
  const actor = {name: 'test', source: 'cli' as const}

  it('a lone taker gets consecutive values, and a value given back comes out next', async () => {
    const ids = new IdBlocks(ctx.engine.store)
    const a = await ids.take('t_lone', 1)
    const b = await ids.take('t_lone', 1)
    const c = await ids.take('t_lone', 3)
    expect([...a, ...b, ...c]).toEqual([1, 2, 3, 4, 5])
    ids.giveBack('t_lone', [c[2]!])
    expect(await ids.take('t_lone', 1)).toEqual([c[2]])
  })

  it('two processes taking values at once never share one, and the sequence row covers them all', async () => {
    const other = await openHandle({loaded: ctx.backend.loaded})
    try {
      const mine = new IdBlocks(ctx.engine.store)
      const theirs = new IdBlocks(other.store)
      const takes = Array.from({length: 200}, (_, i) => (i % 2 ? mine : theirs).take('t_shared', 1 + (i % 3)))
      const values = (await Promise.all(takes)).flat()
      expect(values.length).toBe(200 + Array.from({length: 200}, (_, i) => i % 3).reduce((x, y) => x + y, 0))
      expect(new Set(values).size).toBe(values.length)
      // Every value handed out was reserved from the database's counter.
      const row = await ctx.engine.db.knex('sequences').where({name: 't_shared'}).first('value')
      expect(Math.max(...values)).toBeLessThanOrEqual(Number(row.value))
    } finally {
      await other.close()
    }
  })

  it('concurrent order creates get distinct ids; a refused order does not use one up', async () => {
    const user = await ctx.engine.users.create({username: `ids_${kind}`, password: 'Id-blocks-pw-1'}, actor)
    const order = {user_id: user.user_id, symbol: 'AAPL', side: 'buy', order_type: 'market', quantity: 10}
    const made = await Promise.all(Array.from({length: 40}, () => ctx.engine.orders.create(order, actor)))
    expect(new Set(made.map((r) => r.order.order_id)).size).toBe(40)
    // One at a time: the id a refused order took is the next order's, not skipped.
    const num = (id: string) => Number(id.replace(/\D/g, ''))
    const before = num((await ctx.engine.orders.create(order, actor)).order.order_id)
    const taken = num((await ctx.engine.orders.create(order, actor)).order.order_id)
    await expect(ctx.engine.orders.create({...order, user_id: 'U999999'}, actor)).rejects.toThrow(/No user/)
    const after = num((await ctx.engine.orders.create(order, actor)).order.order_id)
    expect(taken).toBeGreaterThan(before)
    expect(after).toBe(taken + 1)
  })
})
