/**
 * Fixed-window request counters, one per key (a client address, a signed-in user). The map is
 * dropped whole when the window turns, so it never holds more than one window's keys. Counts are
 * per API process: two processes on one database each allow the limit.
 */
export class RateLimiter {
  private counts = new Map<string, number>()
  private windowEnds = 0

  constructor(private readonly windowS: number) {}

  /** Counts one request for `key`; returns the seconds to wait when it is over `limit`, else 0. */
  hit(key: string, limit: number, now = Date.now()): number {
    if (now >= this.windowEnds) {
      this.counts = new Map()
      this.windowEnds = (Math.floor(now / (this.windowS * 1000)) + 1) * this.windowS * 1000
    }
    const n = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, n)
    return n > limit ? Math.max(1, Math.ceil((this.windowEnds - now) / 1000)) : 0
  }
}
