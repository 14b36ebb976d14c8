import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {OrdermonError} from '../../engine/index.js'
// The panel's key map: plain data, no Ink or React (those load only when the panel runs).
import {keySummary} from '../../tui/keys.js'

export default class MonitorRealTime extends BaseCommand<typeof MonitorRealTime> {
  static override summary = 'The live monitoring panel: system and business metrics, activity, users, strategies, orders, alerts.'
  static override description = `${keySummary} Follows Redis when ORDERMON_REDIS_URL is set, else the database outbox (run the engine in another terminal). --once prints one snapshot as tables (with --json: one JSON document for scripts).`
  static override examples = ['<%= config.bin %> monitor real-time', '<%= config.bin %> monitor real-time --once', '<%= config.bin %> monitor real-time --once --json']

  static override flags = {
    once: Flags.boolean({description: 'Print one snapshot (engine, connection, metrics, counts, recent activity) and exit; with --json, machine-readable.'}),
  }

  async run(): Promise<unknown> {
    const loaded = this.config_()
    if (!this.flags.once && !(process.stdout.isTTY && process.stdin.isTTY))
      throw new OrdermonError('invalidInput', 'monitor real-time needs an interactive terminal.', {hint: 'Use `ordermon monitor real-time --once --json` in scripts.'})
    const {LiveFeed} = await import('../../tui/feed.js')
    const feed = new LiveFeed(loaded)
    try {
      await feed.start()
      if (this.flags.once) {
        const {panelSnapshot} = await import('../../tui/snapshot.js')
        const snap = panelSnapshot(feed.model, feed.status)
        if (!this.jsonEnabled()) {
          const {renderPanelSnapshot} = await import('../../cli/views/panel-snapshot.js')
          this.log(renderPanelSnapshot(snap))
        }
        return snap
      }
      // Ink and React load only here: no other command pays for them.
      const {runPanel} = await import('../../tui/run.js')
      await runPanel(feed)
      return undefined
    } finally {
      await feed.stop()
    }
  }
}
