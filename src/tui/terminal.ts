/** Switch to the terminal's alternate screen and hide the cursor: the operator's scrollback stays. */
export const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[?25l'
/** Back to the normal screen (as it was before the panel) with the cursor shown. */
export const LEAVE_ALT_SCREEN = '\u001B[?1049l\u001B[?25h'

export interface Output {
  write(chunk: string): unknown
}

export interface AltScreen {
  /** Leaves the alternate screen; only the first call writes. Safe to call from any exit path. */
  restore(): void
  readonly active: boolean
  /**
   * Runs just before leaving, on every way out: stop whatever draws on the screen here, or its
   * last frame lands on the normal screen (over the operator's scrollback).
   */
  beforeLeave?: () => void
}

/**
 * Enters the alternate screen on `out` and makes sure it is left however the process ends: call
 * restore() on the normal way out; an uncaught exception (or an unhandled rejection, which Node
 * raises as one) and process exit restore it too. The process-level hooks only observe: they do
 * not change how Node reports the error or which exit code it uses, and restore() removes them.
 */
export function enterAltScreen(out: Output, proc: NodeJS.Process = process): AltScreen {
  let active = true
  const restore = () => {
    if (!active) return
    active = false
    proc.off('exit', restore)
    proc.off('uncaughtExceptionMonitor', restore)
    try {
      screen.beforeLeave?.()
    } catch {
      // Leaving the screen matters more than a clean stop of what drew on it.
    }
    try {
      out.write(LEAVE_ALT_SCREEN)
    } catch {
      // A closed terminal has no screen to restore.
    }
  }
  // Before the stack trace: Node prints it after the monitor, so it lands on the normal screen.
  proc.on('uncaughtExceptionMonitor', restore)
  proc.on('exit', restore)
  const screen: AltScreen = {
    restore,
    get active() {
      return active
    },
  }
  out.write(ENTER_ALT_SCREEN)
  return screen
}
