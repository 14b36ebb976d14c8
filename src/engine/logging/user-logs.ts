import {appendFile, mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import {utcDay} from '../domain/time.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const rank: Record<LogLevel, number> = {error: 0, warn: 1, info: 2, debug: 3}

/** Lines held in memory at most: past this the disk is not keeping up, and lines are dropped (counted). */
export const MAX_PENDING_LINES = 50_000
/** Files appended to at once: enough to keep the I/O threads busy, few enough to hold few handles. */
const CONCURRENT_APPENDS = 8

/**
 * Per-user log files, as in the original: logs/users/user_{id}/user_{id}_{YYYY-MM-DD}.log, one JSON
 * line per entry. Lines are buffered and appended in one write per file, so ten thousand users cost
 * no open file handles and one syscall per busy file per flush. One flush runs at a time and takes
 * whatever arrived meanwhile on its next round, so a slow disk delays lines instead of queueing
 * batch after batch in memory; past MAX_PENDING_LINES new lines are dropped and counted.
 */
export class UserLogs {
  private pending = new Map<string, string[]>()
  private pendingLines = 0
  private timer?: NodeJS.Timeout
  private running?: Promise<void>
  private again = false
  private readonly dirsMade = new Set<string>()
  private closed = false
  private droppedUnreported = 0
  /** Lines not written (disk full, directory not writable, disk too slow): counted, never thrown. */
  dropped = 0

  constructor(
    private readonly logDir: string,
    private readonly level: LogLevel = 'info',
    private readonly flushMs = 500,
    /** Told once per flush that lost lines; a log that cannot be written must never stop the engine. */
    private readonly onError: (error: unknown, file: string) => void = () => {},
  ) {}

  static fileFor(logDir: string, userId: string, date: Date): string {
    const safe = userId.replace(/[^A-Za-z0-9_-]/g, '_')
    const day = utcDay(date)
    return join(logDir, 'users', `user_${safe}`, `user_${safe}_${day}.log`)
  }

  log(userId: string, level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    if (this.closed || rank[level] > rank[this.level]) return
    if (this.pendingLines >= MAX_PENDING_LINES) {
      this.dropped++
      this.droppedUnreported++
      return
    }
    const now = new Date()
    const file = UserLogs.fileFor(this.logDir, userId, now)
    const line = JSON.stringify({timestamp: now.toISOString(), level, user_id: userId, message, ...meta})
    const list = this.pending.get(file)
    if (list) list.push(line)
    else this.pending.set(file, [line])
    this.pendingLines++
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs)
  }

  /** Writes everything buffered so far; resolves when it is on disk (called on shutdown too). Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.running) {
      // The flush in progress takes these lines on its next round.
      this.again = true
      return this.running
    }
    this.running = this.drain().finally(() => (this.running = undefined))
    return this.running
  }

  /** Flushes and takes no more lines. */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
  }

  private async drain(): Promise<void> {
    do {
      this.again = false
      const batch = [...this.pending]
      this.pending = new Map()
      this.pendingLines = 0
      let failed: {error: unknown; file: string} | undefined
      for (let i = 0; i < batch.length; i += CONCURRENT_APPENDS) {
        await Promise.all(
          batch.slice(i, i + CONCURRENT_APPENDS).map(async ([file, lines]) => {
            try {
              await this.append(file, `${lines.join('\n')}\n`)
            } catch (error) {
              this.dropped += lines.length
              failed ??= {error, file}
            }
          }),
        )
      }
      if (failed) this.onError(failed.error, failed.file)
      if (this.droppedUnreported) {
        this.onError(new Error(`${this.droppedUnreported} line(s) dropped: the log directory is not keeping up`), this.logDir)
        this.droppedUnreported = 0
      }
    } while (this.again || (this.closed && this.pending.size > 0))
  }

  private async append(file: string, text: string): Promise<void> {
    const dir = file.slice(0, file.lastIndexOf('/'))
    if (!this.dirsMade.has(dir)) {
      await mkdir(dir, {recursive: true, mode: 0o700})
      this.dirsMade.add(dir)
    }
    try {
      await appendFile(file, text, {mode: 0o600})
    } catch (error) {
      // Log retention removes a user's directory once all its files are old: make it again.
      if ((error as {code?: string}).code !== 'ENOENT') throw error
      this.dirsMade.delete(dir)
      await mkdir(dir, {recursive: true, mode: 0o700})
      this.dirsMade.add(dir)
      await appendFile(file, text, {mode: 0o600})
    }
  }
}
