/**
 * Lets timers and I/O callbacks run before going on: for a long task that otherwise only awaits
 * already-settled promises (microtasks never give the event loop a turn), such as a market tick
 * over thousands of runners and orders with nothing to commit.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export interface LoopStats {
  name: string
  runs: number
  failures: number
  last_ms: number
  max_ms: number
}

interface Loop {
  stats: LoopStats
  timer?: NodeJS.Timeout
  running?: Promise<void>
  /** Set by wake() during a run: run again as soon as this one ends. */
  again?: boolean
  run?: () => void
}

/**
 * Runs each named task again `interval()` ms after its previous run ended: never overlapping itself,
 * and holding at most one timer handle per loop however long the engine runs. A failing run is
 * reported to `onError` and the loop carries on. stop() clears the timers and waits for runs in flight.
 */
export class LoopScheduler {
  private readonly loops = new Map<string, Loop>()
  private stopped = false

  constructor(private readonly onError: (loop: string, error: unknown) => void) {}

  /** Starts `task` now, then every `interval()` ms (read each time, so a reload changes it). */
  every(name: string, task: () => Promise<unknown>, interval: () => number, firstDelayMs = 0): void {
    if (this.loops.has(name)) throw new Error(`loop ${name} is already scheduled`)
    const loop: Loop = {stats: {name, runs: 0, failures: 0, last_ms: 0, max_ms: 0}}
    this.loops.set(name, loop)
    const run = () => {
      loop.timer = undefined
      if (this.stopped) return
      const t0 = performance.now()
      loop.running = task()
        .catch((error) => {
          loop.stats.failures++
          this.onError(name, error)
        })
        .then(() => {
          const ms = performance.now() - t0
          loop.stats.runs++
          loop.stats.last_ms = Math.round(ms * 10) / 10
          loop.stats.max_ms = Math.max(loop.stats.max_ms, loop.stats.last_ms)
          loop.running = undefined
          if (this.stopped) return
          if (loop.again) {
            // Woken mid-run: what woke it may have come after this run's read.
            loop.again = false
            loop.timer = setTimeout(run, 0)
          } else loop.timer = setTimeout(run, interval())
        })
    }
    loop.run = run
    loop.timer = setTimeout(run, firstDelayMs)
  }

  /**
   * Runs a loop now instead of at its next timer: for a loop that has work the moment something
   * else commits (the relay after the change detector or the batcher wrote events). A loop mid-run
   * runs again right after; many wakes before it starts make one run. Unknown names are ignored.
   */
  wake(name: string): void {
    const loop = this.loops.get(name)
    if (!loop || this.stopped) return
    if (loop.running) {
      loop.again = true
      return
    }
    if (loop.timer) clearTimeout(loop.timer)
    loop.timer = setTimeout(loop.run!, 0)
  }

  /** Timer handles held right now: at most one per loop (a loop mid-run holds none). */
  get handles(): number {
    let n = 0
    for (const loop of this.loops.values()) if (loop.timer) n++
    return n
  }

  stats(): LoopStats[] {
    return [...this.loops.values()].map((l) => ({...l.stats}))
  }

  /** No new runs; resolves once every run in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const loop of this.loops.values()) {
      if (loop.timer) clearTimeout(loop.timer)
      loop.timer = undefined
    }
    await Promise.all([...this.loops.values()].map((l) => l.running))
  }
}
