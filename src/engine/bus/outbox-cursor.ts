import type {Store, StoredEvent} from '../store/index.js'

export interface CursorOptions {
  /** Persist progress in relay_offsets under this name; omit for an in-memory follower. */
  name?: string
  /** How long a missing id is waited for before it is taken for a rolled-back transaction. */
  gapTimeoutMs?: number
  /** The most missing ids remembered at once (a huge jump is a bulk rollback, not live transactions). */
  maxGaps?: number
  /** Write a moved position at most this often (a panel polling 4 times a second need not write each time). */
  persistEveryMs?: number
  /** Write the position at least this often even when unchanged: it tells housekeeping the reader is alive. */
  touchEveryMs?: number
}

/**
 * Reads the events outbox in id order without losing events whose transaction commits after a later
 * one's (on MySQL ids are taken at insert, so id N+1 can be visible before N). Ids skipped over are
 * remembered as gaps and read again until they appear or time out; the persisted offset only moves
 * past ids that are resolved, so after a crash nothing is lost (some events may come twice).
 */
export class OutboxCursor {
  private resolvedUpTo = -1
  private maxSeen = 0
  private readonly gaps = new Map<number, number>()
  private lastWriteAt = 0
  private written = -1

  constructor(private readonly store: Store, private readonly options: CursorOptions = {}) {}

  /** Starts after `startAt`, or after the persisted offset, or (first run) after the newest event. */
  async init(startAt?: number): Promise<void> {
    const {name} = this.options
    let from = startAt
    if (from === undefined && name && (await this.store.events.hasOffset(name))) from = await this.store.events.offset(name)
    if (from === undefined) {
      from = await this.store.events.maxId()
      if (name) await this.store.events.setOffset(name, from)
    }
    this.written = from
    this.lastWriteAt = Date.now()
    this.resolvedUpTo = from
    this.maxSeen = from
    this.gaps.clear()
  }

  get position(): number {
    return this.resolvedUpTo
  }

  get openGaps(): number {
    return this.gaps.size
  }

  /** The next events: late arrivals that fill earlier gaps first, then new ones, each exactly once. */
  async next(limit: number, now = Date.now()): Promise<StoredEvent[]> {
    if (this.resolvedUpTo < 0) await this.init()
    const late = this.gaps.size ? await this.store.events.byIds([...this.gaps.keys()]) : []
    for (const e of late) this.gaps.delete(e.id)
    const fresh = await this.store.events.after(this.maxSeen, limit)
    let expected = this.maxSeen + 1
    const maxGaps = this.options.maxGaps ?? 100_000
    for (const e of fresh) {
      for (let id = expected; id < e.id && this.gaps.size < maxGaps; id++) this.gaps.set(id, now)
      expected = e.id + 1
    }
    if (fresh.length) this.maxSeen = fresh.at(-1)!.id
    const timeout = this.options.gapTimeoutMs ?? 10_000
    for (const [id, since] of this.gaps) if (now - since > timeout) this.gaps.delete(id)
    return late.length ? [...late, ...fresh] : fresh
  }

  /**
   * Forgets what was read since the last commit, so the next read returns it again: for a caller
   * that could not handle a batch (Redis down, database gone mid-way). Nothing is skipped.
   */
  rewind(): void {
    this.maxSeen = this.resolvedUpTo
    this.gaps.clear()
  }

  /** A loop, not Math.min(...keys): up to maxGaps (100,000) arguments would overflow the call stack. */
  private oldestGap(): number {
    let min = Infinity
    for (const id of this.gaps.keys()) if (id < min) min = id
    return min
  }

  /** Stops waiting for missing ids (rolled-back transactions): the next commit moves past them. */
  giveUpGaps(): void {
    this.gaps.clear()
  }

  /** Records progress once the events returned so far are handled (published, applied). */
  async commit(now = Date.now()): Promise<void> {
    this.resolvedUpTo = this.gaps.size ? this.oldestGap() - 1 : this.maxSeen
    if (!this.options.name) return
    const since = now - this.lastWriteAt
    const moved = this.resolvedUpTo !== this.written
    if ((moved && since >= (this.options.persistEveryMs ?? 0)) || since >= (this.options.touchEveryMs ?? 30_000)) await this.persist(now)
  }

  /** Writes the position now (at a graceful stop, so nothing is read twice after it). */
  async persist(now = Date.now()): Promise<void> {
    if (!this.options.name || this.resolvedUpTo < 0) return
    await this.store.events.setOffset(this.options.name, this.resolvedUpTo)
    this.written = this.resolvedUpTo
    this.lastWriteAt = now
  }

  /** Forgets this reader's persisted position: for readers that come and go (panels), not relays. */
  async release(): Promise<void> {
    if (this.options.name) await this.store.events.dropReader(this.options.name)
  }
}
