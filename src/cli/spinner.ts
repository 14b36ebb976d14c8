export interface Spinner {
  update(text?: string): void
  succeed(text: string): void
  fail(text: string): void
  stop(): void
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** A spinner on stderr while something is awaited; drawn only on a terminal, silent otherwise. */
export function spinner(label: string): Spinner {
  const tty = Boolean(process.stderr.isTTY) && process.env.ORDERMON_OUTPUT?.toLowerCase() !== 'plain'
  let text = label
  let i = 0
  const draw = () => process.stderr.write(`\r\u001B[2K${frames[i++ % frames.length]} ${text}`)
  const timer = tty ? setInterval(draw, 80) : undefined
  timer?.unref()
  if (tty) draw()
  const end = (line?: string) => {
    if (!tty) return
    clearInterval(timer)
    process.stderr.write(`\r\u001B[2K${line ? `${line}\n` : ''}`)
  }
  return {
    update(next) {
      if (next !== undefined) text = next
    },
    succeed: (line) => end(`✔ ${line}`),
    fail: (line) => end(`✖ ${line}`),
    stop: () => end(),
  }
}
