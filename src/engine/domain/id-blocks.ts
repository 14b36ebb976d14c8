import type {Store} from '../store/index.js'

/**
 * Hands out sequence values (the numbers behind ORD000123) from blocks reserved ahead, so placing an
 * order does not hold the sequence row's lock until its transaction commits: with that lock every
 * concurrent order waited for the one before it (about 450 orders/s over the API at 50 connections).
 * A block is reserved in its own short transaction, before the order's transaction begins.
 *
 * The block grows while values are taken quickly (doubling up to `max`) and shrinks when they are
 * not, so a command that places one order reserves one value and ids stay consecutive in the usual
 * case. Values are unique across every process on the database and increase within a process; a
 * process that exits leaves the rest of its block unused (a gap, never a duplicate). Values given
 * back (an order refused after its id was taken) are used first next time.
 */

interface Pool {
  free: number[]
  size: number
  lastReserveAt: number
  /** The reservation under way: concurrent takers wait for it instead of each reserving. */
  reserving?: Promise<void>
}

/** Taken again within this long: demand is high, reserve more next time. */
const BUSY_MS = 1000
/** Not needed for this long: reserve less. */
const IDLE_MS = 10_000

export class IdBlocks {
  private readonly pools = new Map<string, Pool>()

  constructor(private readonly store: Store, private readonly max = 256) {}

  /** `count` unused values of sequence `name`. Call outside any transaction. */
  async take(name: string, count: number): Promise<number[]> {
    const pool = this.pool(name)
    while (pool.free.length < count) {
      if (pool.reserving) {
        await pool.reserving
        continue
      }
      const now = Date.now()
      const since = now - pool.lastReserveAt
      pool.size = since < BUSY_MS ? Math.min(this.max, pool.size * 2) : since > IDLE_MS ? 1 : pool.size
      pool.lastReserveAt = now
      const n = Math.max(pool.size, count - pool.free.length)
      pool.reserving = this.store
        .transaction((tx) => tx.sequences.allocate(name, n))
        .then((first) => {
          for (let k = 0; k < n; k++) pool.free.push(first + k)
        })
        .finally(() => (pool.reserving = undefined))
      await pool.reserving
    }
    return pool.free.splice(0, count)
  }

  /** Values taken but not used (the order was refused): offered again first. */
  giveBack(name: string, values: number[]): void {
    if (values.length === 0) return
    const pool = this.pool(name)
    pool.free.push(...values)
    pool.free.sort((a, b) => a - b)
  }

  private pool(name: string): Pool {
    let p = this.pools.get(name)
    if (!p) this.pools.set(name, (p = {free: [], size: 1, lastReserveAt: 0}))
    return p
  }
}
