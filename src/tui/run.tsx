import {render} from 'ink'
import {App, type PanelSource} from './app.js'

/** Draws the panel until the user quits; restores the terminal on the way out. */
export async function runPanel(source: PanelSource): Promise<void> {
  const instance = render(<App source={source} />, {exitOnCtrlC: true})
  await instance.waitUntilExit()
}
