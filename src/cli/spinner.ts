/**
 * A one-line spinner on stderr for waits with no measurable progress (starting or stopping the engine).
 * Drawn only when stderr is a terminal and the command's output is not --json; otherwise every method
 * does nothing, so scripts and pipes see exactly what they would without it.
 */
export interface Spinner {
  /** Changes the text after the frame (keeps the label when omitted). */
  update(text?: string): void
  /** Clears the line and leaves `✔ text`. */
  succeed(text: string): void
  /** Clears the line and leaves `✖ text`. */
  fail(text: string): void
  /** Clears the line and leaves nothing. */
  stop(): void
}

export interface SpinnerOptions {
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WriteStream
  /** Force drawing on or off (default: the stream is a TTY and --json was not given). */
  enabled?: boolean
  /** Milliseconds between frames (80-100 reads as smooth without costing CPU). */
  intervalMs?: number
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** --json on the command line (before a `--`), as oclif decides it; its stdout must stay one document. */
export function jsonRequested(argv: string[] = process.argv.slice(2)): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

export function spinner(label: string, options: SpinnerOptions = {}): Spinner {
  const stream = options.stream ?? process.stderr
  const enabled = options.enabled ?? (Boolean(stream.isTTY) && !jsonRequested())
  if (!enabled) return {update() {}, succeed() {}, fail() {}, stop() {}}

  let text = label
  let frame = 0
  let active = true
  const draw = () => {
    stream.write(`\r\u001B[2K${frames[frame % frames.length]} ${text}`)
    frame++
  }
  draw()
  const timer = setInterval(draw, Math.min(100, Math.max(80, options.intervalMs ?? 90)))
  // A spinner never keeps the process alive on its own.
  timer.unref()
  const end = (final?: string) => {
    if (!active) return
    active = false
    clearInterval(timer)
    stream.write(`\r\u001B[2K${final ? `${final}\n` : ''}`)
  }
  return {
    update(next) {
      if (!active) return
      text = next ?? label
      draw()
    },
    succeed: (t) => end(`✔ ${t}`),
    fail: (t) => end(`✖ ${t}`),
    stop: () => end(),
  }
}
