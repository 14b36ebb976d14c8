import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {heading, renderTable} from '../../cli/output.js'
import {alertColumns, checkLines, undeliveredColumns} from '../../cli/views/alerts.js'
import {alertLevelNames, alertStatuses, openAlertWatch, type AlertList, type AlertStatus} from '../../engine/index.js'

export default class MonitorAlerts extends BaseCommand<typeof MonitorAlerts> {
  static override summary = 'Alerts raised by the rules of config/notification.yaml, newest first, with what was notified.'
  static override description =
    'Shows alerts and, per channel, whether their notifications went out. --watch also evaluates the watcher rules (engine_dead, system_status ...) every --interval seconds, so a dead engine is reported while it runs, and prints each change as a line until Ctrl-C.'
  static override examples = [
    '<%= config.bin %> monitor alerts --level warning --last-hours 24',
    '<%= config.bin %> monitor alerts --status active',
    '<%= config.bin %> monitor alerts --watch --interval 5',
  ]

  static override flags = {
    level: Flags.string({options: [...alertLevelNames], description: 'Only alerts of this level or above.'}),
    'last-hours': Flags.integer({min: 1, max: 87_600, description: 'Only alerts raised in the last N hours.'}),
    status: Flags.string({options: [...alertStatuses], multiple: true, description: 'Only alerts in this status (repeatable).'}),
    limit: Flags.integer({default: 50, min: 1, max: 10_000, description: 'At most this many alerts.'}),
    watch: Flags.boolean({description: 'Keep evaluating the watcher rules and print each change until interrupted.'}),
    interval: Flags.integer({default: 5, min: 1, max: 3600, description: 'Seconds between checks with --watch.'}),
  }

  async run(): Promise<AlertList | undefined> {
    const f = this.flags
    const engine = await this.engine()
    const list = await engine.alerts.list({level: f.level as (typeof alertLevelNames)[number] | undefined, lastHours: f['last-hours'], statuses: f.status as AlertStatus[] | undefined, limit: f.limit})
    this.log(list.alerts.length ? renderTable(alertColumns, list.alerts) : 'No alerts.')
    if (list.undelivered.length) this.log(`\n${heading('Undelivered notifications')}\n${renderTable(undeliveredColumns, list.undelivered)}`)
    if (!f.watch) return list
    // --watch --json: newline-delimited JSON, the list first, then one document per change.
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(list)}\n`)
    await this.watch(f.interval)
    return undefined
  }

  /** Checks every interval until SIGINT/SIGTERM; each change is a line (or a JSON line with --json). */
  private async watch(intervalS: number): Promise<void> {
    const watch = await openAlertWatch({loaded: this.config_(), version: this.config.version})
    let stop!: () => void
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      if (!this.jsonEnabled()) this.logToStderr(`Watching ${watch.monitorStats.rules} watcher rule(s) every ${intervalS}s; Ctrl-C to stop.`)
      for (;;) {
        const check = await watch.check()
        // log() is silent under --json; watch mode writes one JSON document per change instead.
        if (this.jsonEnabled()) for (const c of check.changes) process.stdout.write(`${JSON.stringify({at: check.at, ...c})}\n`)
        else for (const line of checkLines(check)) this.log(line)
        const timer = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), intervalS * 1000))
        if ((await Promise.race([timer, stopped.then(() => 'stop' as const)])) === 'stop') break
      }
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await watch.close()
    }
  }
}
