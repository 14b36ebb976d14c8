import {describe, expect, it, vi} from 'vitest'
import {RecentCounts} from '../../src/engine/domain/recent-counts.js'

/** The list totals the API answers from: fresh enough, one count at a time per key, bounded. */
describe('recent counts', () => {
  const counter = () => {
    let value = 0
    const fn = vi.fn(async () => {
      await new Promise((r) => setTimeout(r, 5))
      return ++value
    })
    return fn
  }

  it('concurrent callers share one count; within maxAgeMs no new count runs', async () => {
    const c = new RecentCounts({maxAgeMs: 1000, staleLimitMs: 5000, maxKeys: 10})
    const count = counter()
    const all = await Promise.all(Array.from({length: 20}, () => c.get('k', count)))
    expect(new Set(all)).toEqual(new Set([1]))
    expect(count).toHaveBeenCalledTimes(1)
    expect(await c.get('k', count)).toBe(1)
    expect(count).toHaveBeenCalledTimes(1)
  })

  it('past maxAgeMs answers the last count while one fresh count runs; past staleLimitMs it waits for the new one', async () => {
    vi.useFakeTimers({toFake: ['Date']})
    try {
      const c = new RecentCounts({maxAgeMs: 1000, staleLimitMs: 5000, maxKeys: 10})
      const count = counter()
      expect(await c.get('k', count)).toBe(1)
      vi.setSystemTime(Date.now() + 1500)
      expect(await Promise.all([c.get('k', count), c.get('k', count)])).toEqual([1, 1])
      await new Promise((r) => setTimeout(r, 20))
      expect(count).toHaveBeenCalledTimes(2)
      expect(await c.get('k', count)).toBe(2)
      vi.setSystemTime(Date.now() + 6000)
      expect(await c.get('k', count)).toBe(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('clear() makes the next call count again, and a count started before it is not kept', async () => {
    const c = new RecentCounts({maxAgeMs: 60_000, staleLimitMs: 60_000, maxKeys: 10})
    const count = counter()
    const early = c.get('k', count)
    c.clear()
    expect(await early).toBe(1)
    expect(await c.get('k', count)).toBe(2)
    c.clear()
    expect(await c.get('k', count)).toBe(3)
  })

  it('holds at most maxKeys keys, dropping the oldest', async () => {
    const c = new RecentCounts({maxAgeMs: 60_000, staleLimitMs: 60_000, maxKeys: 3})
    for (const k of ['a', 'b', 'c', 'd']) await c.get(k, async () => 7)
    const again = vi.fn(async () => 8)
    expect(await c.get('d', again)).toBe(7)
    expect(await c.get('a', again)).toBe(8)
    expect((c as unknown as {entries: Map<string, unknown>}).entries.size).toBe(3)
  })
})
