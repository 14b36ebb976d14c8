import {appendFile, mkdir} from 'node:fs/promises'
import {join} from 'node:path'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const rank: Record<LogLevel, number> = {error: 0, warn: 1, info: 2, debug: 3}

/**
 * Per-user log files, as in the original: logs/users/user_{id}/user_{id}_{YYYY-MM-DD}.log, one JSON
 * line per entry. Lines are buffered and appended in one write per file every `flushMs`, so ten
 * thousand users cost no open file handles and one syscall per busy file per flush.
 */
export class UserLogs {
  private pending = new Map<string, string[]>()
  private timer?: NodeJS.Timeout
  private flushing: Promise<void> = Promise.resolve()
  private readonly dirsMade = new Set<string>()

  private closed = false
  /** Lines that could not be written (disk full, directory not writable): counted, never thrown. */
  dropped = 0

  constructor(
    private readonly logDir: string,
    private readonly level: LogLevel = 'info',
    private readonly flushMs = 500,
    /** Told once per failing flush; a log that cannot be written must never stop the engine. */
    private readonly onError: (error: unknown, file: string) => void = () => {},
  ) {}

  static fileFor(logDir: string, userId: string, date: Date): string {
    const safe = userId.replace(/[^A-Za-z0-9_-]/g, '_')
    const day = date.toISOString().slice(0, 10)
    return join(logDir, 'users', `user_${safe}`, `user_${safe}_${day}.log`)
  }

  log(userId: string, level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    if (this.closed || rank[level] > rank[this.level]) return
    const now = new Date()
    const file = UserLogs.fileFor(this.logDir, userId, now)
    const line = JSON.stringify({timestamp: now.toISOString(), level, user_id: userId, message, ...meta})
    const list = this.pending.get(file)
    if (list) list.push(line)
    else this.pending.set(file, [line])
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs)
  }

  /** Writes everything buffered so far; resolves when it is on disk (called on shutdown too). Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.pending
    this.pending = new Map()
    this.flushing = this.flushing.then(async () => {
      let failed: {error: unknown; file: string} | undefined
      for (const [file, lines] of batch) {
        try {
          await this.append(file, `${lines.join('\n')}\n`)
        } catch (error) {
          this.dropped += lines.length
          failed ??= {error, file}
        }
      }
      if (failed) this.onError(failed.error, failed.file)
    })
    return this.flushing
  }

  /** Flushes and takes no more lines. */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
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
