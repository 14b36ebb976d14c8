import type {Order, Store} from '../../store/index.js'
import type {ChangeSource} from '../statuses.js'
import {isOrdermonError} from '../../errors.js'
import {planChange, type ChangePlan, type ChangeRequest} from './lifecycle.js'

export type TransitionRequest = {order_id: string} & Omit<ChangeRequest, 'source' | 'actor' | 'modify'>

export interface BatcherOptions {
  source: ChangeSource
  actor: string
  /** Flush when this many requests wait... */
  maxBatch?: number
  /** ...or when the oldest has waited this long. */
  maxDelayMs?: number
}

interface Pending {
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
 */
export class TransitionBatcher {
  private queue: Pending[] = []
  private timer?: NodeJS.Timeout
  private running: Promise<void> = Promise.resolve()
  readonly stats: BatchStats = {batches: 0, transitions: 0, refused: 0}
  /** Submit-to-commit times (ms) since the last drainLatencies(): what the metrics report. */
  private latencies: number[] = []

  constructor(private readonly store: Store, private readonly options: BatcherOptions) {}

  submit(req: TransitionRequest): Promise<Order | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({at: performance.now(), req, resolve, reject})
      if (this.queue.length >= (this.options.maxBatch ?? 2000)) void this.flush()
      else this.timer ??= setTimeout(() => void this.flush(), this.options.maxDelayMs ?? 10)
    })
  }

  drainLatencies(): number[] {
    const out = this.latencies
    this.latencies = []
    return out
  }

  get pending(): number {
    return this.queue.length
  }

  /** Commits everything submitted so far; batches run one after another, in submission order. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.queue
    this.queue = []
    if (batch.length === 0) return this.running
    this.running = this.running.then(() => this.commit(batch))
    return this.running
  }

  private async commit(batch: Pending[]): Promise<void> {
    let outcome: Array<Order | undefined | Error>
    try {
      outcome = await this.store.transaction(async (tx) => {
        const ids = [...new Set(batch.map((p) => p.req.order_id))]
        const current = new Map((await tx.orders.findManyForUpdate(ids)).map((o) => [o.order_id, o]))
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
