import {render} from 'ink'
import {App, type PanelSource} from './app.js'
import {enterAltScreen} from './terminal.js'

export interface PanelIO {
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
}

/**
 * Draws the panel on the terminal's alternate screen until the user quits, so the operator's
 * scrollback is left as it was; the normal screen comes back on every way out (q, Ctrl-C, an error
 * while rendering, an uncaught error or exit of the process).
 */
export async function runPanel(source: PanelSource, {stdout = process.stdout, stdin = process.stdin}: PanelIO = {}): Promise<void> {
  const screen = enterAltScreen(stdout)
  try {
    const instance = render(<App source={source} />, {stdout, stdin, exitOnCtrlC: true})
    // On process exit or an uncaught error Ink would draw its last frame after we leave (its own
    // exit hook runs after ours), on the normal screen: stop it first.
    screen.beforeLeave = () => instance.unmount()
    await instance.waitUntilExit()
  } finally {
    screen.restore()
  }
}
