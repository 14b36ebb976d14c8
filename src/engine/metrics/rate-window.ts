/**
 * A count per second over a sliding window, kept in one bucket per second: memory stays the same
 * whatever the rate (an array of timestamps would hold every event of the window).
 */
export class RateWindow {
  private readonly counts: number[]
  private readonly seconds: number[]

  constructor(private readonly windowS = 10) {
    this.counts = new Array(windowS).fill(0)
    this.seconds = new Array(windowS).fill(-1)
  }

  add(n = 1, now = Date.now()): void {
    const s = Math.floor(now / 1000)
    const i = s % this.windowS
    if (this.seconds[i] !== s) {
      this.seconds[i] = s
      this.counts[i] = 0
    }
    this.counts[i]! += n
  }

  /** Events per second over the last full `windowS` seconds (the current second excluded: it is not over). */
  rate(now = Date.now()): number {
    const s = Math.floor(now / 1000)
    let total = 0
    for (let i = 0; i < this.windowS; i++) {
      const at = this.seconds[i]!
      if (at < s && at >= s - this.windowS) total += this.counts[i]!
    }
    return Math.round((total / this.windowS) * 10) / 10
  }
}

/**
 * Latency samples of the last `windowS` seconds, at most `perSecond` kept per second (evenly
 * thinned beyond that), so a p99 over a busy window costs bounded memory and sorting.
 */
export class LatencyWindow {
  private readonly slots: {second: number; samples: number[]}[] = []

  constructor(private readonly windowS = 10, private readonly perSecond = 2000) {}

  add(samples: number[], now = Date.now()): void {
    if (samples.length === 0) return
    const second = Math.floor(now / 1000)
    const step = samples.length > this.perSecond ? samples.length / this.perSecond : 1
    const kept: number[] = []
    for (let i = 0; i < samples.length && kept.length < this.perSecond; i += step) kept.push(samples[Math.floor(i)]!)
    this.slots.push({second, samples: kept})
    while (this.slots.length && this.slots[0]!.second <= second - this.windowS) this.slots.shift()
    // Several adds within one second are fine; cap the slot count too.
    while (this.slots.length > this.windowS * 4) this.slots.shift()
  }

  samples(now = Date.now()): number[] {
    const second = Math.floor(now / 1000)
    return this.slots.filter((s) => s.second > second - this.windowS).flatMap((s) => s.samples)
  }
}
