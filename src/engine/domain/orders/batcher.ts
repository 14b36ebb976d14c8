import {isOrdermonError} from '../../errors.js'
import type {Order, Store} from '../../store/index.js'
import type {WriteFence} from '../shards.js'
import type {ChangeSource} from '../statuses.js'
import {planChange, type ChangePlan, type ChangeRequest} from './lifecycle.js'

export type TransitionRequest = {order_id: string} & Omit<ChangeRequest, 'source' | 'actor' | 'modify'>

export interface BatcherOptions {
  source: ChangeSource
  actor: string
  /** At most this many requests per transaction; an idle batcher starts one as soon as this many wait... */
  maxBatch?: number
  /** ...or when the oldest has waited this long. */
  maxDelayMs?: number
  /** Called right after a batch that wrote events commits, with how many: the engine wakes its relay. */
  onCommit?: (events: number) => void
  /** Several engines on one database: changes for users whose shard this engine lost are refused. */
  fence?: WriteFence
}

interface Pending {
  seq: number
  at: number
  req: TransitionRequest
  resolve: (o: Order | undefined) => void
  reject: (e: unknown) => void
}

export interface BatchStats {
  batches: number
  transitions: number
  refused: number
}

/**
 * Applies order transitions (fills, cancels, expiries) in batches: one transaction per batch that
 * locks the orders, plans every change with the same rules as a single change (planChange), and
 * writes the order rows, order_logs, fills and events in a handful of multi-row statements. This is
 * what lets the engine sustain thousands of transitions per second; one commit per transition cannot.
 * A request the rules refuse (an overfill, a final order) resolves to undefined and the rest commit.
 *
 * Batches form by themselves: while a transaction is in flight, requests queue, and the next one
 * takes everything queued (up to maxBatch) the moment it ends. So the busier the database, the bigger
 * the batches and the smaller the fixed cost (round trips, commit) per request; cutting a batch every
 * maxDelayMs instead queued ever more small transactions behind a slow one (2.7k/s under load).
 */
export class TransitionBatcher {
  private queue: Pending[] = []
  private timer?: NodeJS.Timeout
  /** One transaction at a time, so each order's changes apply in submission order. */
  private working = false
  private submitted = 0
  /** Every request numbered below this is committed or refused. */
  private settled = 0
  private waiters: Array<{upTo: number; resolve: () => void}> = []
  readonly stats: BatchStats = {batches: 0, transitions: 0, refused: 0}
  /** Submit-to-commit times (ms) since the last drainLatencies(): what the metrics report. */
  private latencies: number[] = []

  constructor(private readonly store: Store, private readonly options: BatcherOptions) {}

  submit(req: TransitionRequest): Promise<Order | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({seq: this.submitted++, at: performance.now(), req, resolve, reject})
      // A transaction in flight takes it when it ends.
      if (this.working) return
      if (this.queue.length >= this.maxBatch) this.start()
      else this.timer ??= setTimeout(() => this.start(), this.options.maxDelayMs ?? 10)
    })
  }

  private get maxBatch(): number {
    return this.options.maxBatch ?? 2000
  }

  drainLatencies(): number[] {
    const out = this.latencies
    this.latencies = []
    return out
  }

  get pending(): number {
    return this.queue.length
  }

  private start(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.working || this.queue.length === 0) return
    this.working = true
    void this.work()
  }

  /** Takes batches off the queue until it is empty: each transaction takes what queued during the last. */
  private async work(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch)
        await this.commit(batch)
        this.settled = batch.at(-1)!.seq + 1
        const due = this.waiters.filter((w) => w.upTo <= this.settled)
        this.waiters = this.waiters.filter((w) => w.upTo > this.settled)
        for (const w of due) w.resolve()
      }
    } finally {
      this.working = false
    }
  }

  /** Commits everything submitted so far; resolves once all of it is committed (or refused). */
  flush(): Promise<void> {
    const upTo = this.submitted
    this.start()
    if (this.settled >= upTo) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({upTo, resolve}))
  }

  private async commit(batch: Pending[]): Promise<void> {
    let outcome: Array<Order | undefined | Error>
    try {
      outcome = await this.store.transaction(async (tx) => {
        const ids = [...new Set(batch.map((p) => p.req.order_id))]
        const current = new Map((await tx.orders.findManyForUpdate(ids)).map((o) => [o.order_id, o]))
        if (this.options.fence) {
          const allowed = await this.options.fence(tx, [...new Set([...current.values()].map((o) => o.user_id))])
          for (const [id, o] of current) if (!allowed.has(o.user_id)) current.delete(id)
        }
        const plans: ChangePlan[] = []
        const results: Array<Order | undefined | Error> = []
        const now = new Date()
        for (const {req} of batch) {
          const order = current.get(req.order_id)
          if (!order) {
            results.push(undefined)
            continue
          }
          try {
            // Several changes to one order in a batch apply in order, each on the previous result.
            const plan = planChange(order, {...req, source: this.options.source, actor: this.options.actor}, now)
            current.set(order.order_id, plan.after)
            plans.push(plan)
            results.push(plan.after)
          } catch (error) {
            results.push(isOrdermonError(error) ? undefined : (error as Error))
          }
        }
        if (plans.length) {
          const finalStates = new Map(plans.map((p) => [p.after.order_id, p.after]))
          await tx.orders.writeStates([...finalStates.values()])
          await tx.orders.insertLogs(plans.map((p) => p.log))
          await tx.orders.insertFills(plans.flatMap((p) => (p.fill ? [p.fill] : [])))
          await tx.events.append(plans.map((p) => p.event))
        }
        return results
      })
    } catch (error) {
      for (const p of batch) p.reject(error)
      return
    }
    this.stats.batches++
    const written = outcome.reduce((n, r) => (r && !(r instanceof Error) ? n + 1 : n), 0)
    if (written) this.options.onCommit?.(written)
    const done = performance.now()
    if (this.latencies.length < 100_000) for (const p of batch) this.latencies.push(done - p.at)
    batch.forEach((p, i) => {
      const r = outcome[i]
      if (r instanceof Error) p.reject(r)
      else {
        if (r) this.stats.transitions++
        else this.stats.refused++
        p.resolve(r)
      }
    })
  }
}
