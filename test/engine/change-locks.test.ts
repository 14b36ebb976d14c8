import knexFactory, {type Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {EngineHandle} from '../../src/engine/handle.js'
import type {Actor} from '../../src/engine/index.js'
import {backendKinds} from '../helpers/backends.js'
import {useEngine} from '../helpers/suite.js'

/**
 * What the change detector's reads cost others: the dirty rows come in the table's own order, through
 * the dirty index; and while the detector holds its transaction, only the changed rows it found are
 * locked — a new order (the engine's and the CLI's inserts) and a raw UPDATE of another row go
 * through at once instead of waiting for it (a locking scan of the dirty index locked its gaps).
 */

const cli: Actor = {name: 'test', source: 'cli'}

describe.each(backendKinds)('change detector reads on %s', (kind) => {
  const ctx = useEngine(kind)
  let h: EngineHandle
  let seq = 0
  const newUser = (userId?: string) => h.users.create({username: `lock_${++seq}_${kind}`, password: 'password123', user_id: userId}, cli)

  beforeAll(() => {
    if (!ctx.error) h = ctx.engine
  })

  it('lists dirty rows in the order they were made, not by their key (custom ids sort otherwise)', async () => {
    const later = await newUser(`zz${seq}`)
    const earlier = await newUser(`aa${seq}`)
    await h.db.knex.raw("UPDATE users SET status = 'suspended' WHERE user_id IN (?, ?)", [later.user_id, earlier.user_id])
    const rows = (await h.store.changes.dirtyRows('users', 100)).map((r) => r.id)
    expect(rows.indexOf(later.user_id)).toBeGreaterThanOrEqual(0)
    expect(rows.indexOf(later.user_id)).toBeLessThan(rows.indexOf(earlier.user_id))
    expect(await h.store.changes.dirtyTables()).toContain('users')
  })

  if (kind === 'mariadb') {
    let other: Knex
    beforeAll(() => {
      if (ctx.error) return
      // A second client, as an outside writer, that gives up on a lock after one second.
      other = knexFactory({client: 'mysql2', connection: ctx.backend.env.ORDERMON_DATABASE_URL, pool: {min: 1, max: 1, afterCreate: (c: any, done: any) => c.query('SET SESSION innodb_lock_wait_timeout = 1', (e: Error) => done(e, c))}})
    })
    afterAll(async () => {
      await other?.destroy()
    })

    it('locks only the rows it found: inserts and raw UPDATEs of other rows do not wait for its transaction', async () => {
      const u = await newUser()
      const dirty = (await h.orders.create({user_id: u.user_id, symbol: 'LCK', side: 'buy', quantity: 10, price: 10}, cli)).order
      const bystander = (await h.orders.create({user_id: u.user_id, symbol: 'LCK', side: 'buy', quantity: 10, price: 10}, cli)).order
      await h.db.knex.raw("UPDATE orders SET status = 'cancelled' WHERE order_id = ?", [dirty.order_id])
      const ids = (await h.store.changes.dirtyRows('orders', 100)).map((r) => r.id)
      expect(ids).toContain(dirty.order_id)
      await h.store.transaction(async (tx) => {
        const locked = await tx.changes.lockDirty('orders', ids)
        expect(locked.map((r) => r.id)).toContain(dirty.order_id)
        expect(locked.find((r) => r.id === dirty.order_id)!.status).toBe('cancelled')
        // Meanwhile, from outside: a new order and a change to another order, each within the 1 s lock timeout.
        const t0 = Date.now()
        await other('orders').insert({order_id: `ORDLCK${seq}`, user_id: u.user_id, symbol: 'LCK', side: 'sell', order_type: 'limit', time_in_force: 'GTC', quantity: 1, price: 11, status: 'pending'})
        await other.raw('UPDATE orders SET price = 12 WHERE order_id = ?', [bystander.order_id])
        expect(Date.now() - t0).toBeLessThan(900)
        // The found row itself is locked: an outside write to it waits, and gives up.
        await expect(other.raw('UPDATE orders SET price = 13 WHERE order_id = ?', [dirty.order_id])).rejects.toMatchObject({code: 'ER_LOCK_WAIT_TIMEOUT'})
      })
      expect(Number((await h.db.knex('orders').where({order_id: bystander.order_id}).first('price')).price)).toBe(12)
    })
  }
})
