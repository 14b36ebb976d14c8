import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {loadConfig, openEngine, startEngineHere, type RunningEngine} from '../engine/index.js'

export default class Demo extends BaseCommand<typeof Demo> {
  static override summary = 'See it all in one command: a throwaway database, sample traders, the engine and the live panel.'
  static override description = `Creates a temporary embedded database with sample users and strategies, runs the engine (sim market, paper venue) in this process and opens the panel: orders flow within seconds. Everything is removed on exit (--keep to keep it). --headless (or no terminal) runs without the panel and prints a summary.`
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --headless --seconds 10 --json']

  static override flags = {
    headless: Flags.boolean({description: 'No panel: run for --seconds and print what happened.'}),
    seconds: Flags.integer({default: 10, min: 1, max: 3600, description: 'With --headless: how long to run.'}),
    keep: Flags.boolean({description: 'Keep the temporary database and logs (the path is printed).'}),
  }

  async run(): Promise<unknown> {
    // Without a terminal there is no panel to show: run headless instead of failing (CI, pipes).
    const headless = this.flags.headless || !(process.stdout.isTTY && process.stdin.isTTY)
    if (headless && !this.flags.headless) this.logToStderr(`No terminal: running the demo without the panel for ${this.flags.seconds}s.`)
    const dir = mkdtempSync(join(tmpdir(), 'ordermon-demo-'))
    // The demo ignores any configured database or Redis: it is always embedded and throwaway.
    const loaded = loadConfig({cwd: dir, env: {}, overrides: {home: join(dir, 'home'), 'engine.tick_ms': 250, 'engine.paper_latency_ms': 300}})
    const setup = await openEngine({loaded, create: true, requireSchema: false})
    let engine: RunningEngine | undefined
    try {
      await setup.schema.migrate()
      await setup.schema.seedDemo(this.actor())
      await setup.close()
      engine = await startEngineHere({loaded, version: this.config.version})
      if (headless) {
        await new Promise((r) => setTimeout(r, this.flags.seconds * 1000))
        const s = engine.status()
        const summary = {home: loaded.paths.home, seconds: this.flags.seconds, events: s.events_total, transitions: s.transitions_total, users: s.users, strategies: s.strategies, open_orders: s.open_orders}
        this.log(`Demo ran ${this.flags.seconds}s: ${s.events_total} events, ${s.transitions_total} order transitions, ${s.strategies} strategies running.`)
        return summary
      }
      const {LiveFeed} = await import('../tui/feed.js')
      const {runPanel} = await import('../tui/run.js')
      const feed = new LiveFeed(loaded)
      await feed.start()
      try {
        await runPanel(feed)
      } finally {
        await feed.stop()
      }
      return undefined
    } finally {
      await engine?.stop().catch(() => {})
      await setup.close().catch(() => {})
      if (this.flags.keep) this.logToStderr(`Demo data kept in ${dir}`)
      else rmSync(dir, {recursive: true, force: true})
    }
  }
}
