import {wantsTable} from './output.js'

/** A one-line progress bar on stderr, drawn only on a terminal and at most ten times a second. */
export function progressBar(label: string): {update(done: number, total: number): void; done(): void} {
  const tty = Boolean(process.stderr.isTTY) && wantsTable()
  let last = 0
  let drawn = false
  return {
    update(done, total) {
      if (!tty) return
      const now = Date.now()
      if (now - last < 100 && done < total) return
      last = now
      drawn = true
      const width = 30
      const ratio = total > 0 ? Math.min(1, done / total) : 1
      const fill = Math.round(ratio * width)
      process.stderr.write(`\r${label} [${'█'.repeat(fill)}${'░'.repeat(width - fill)}] ${done}/${total} ${(ratio * 100).toFixed(0)}%`)
    },
    done() {
      // Ends the bar's line once; a bar never drawn (nothing to do) leaves no blank line.
      if (tty && drawn) process.stderr.write('\n')
      drawn = false
    },
  }
}
