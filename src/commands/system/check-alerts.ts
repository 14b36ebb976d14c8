import {BaseCommand} from '../../cli/base-command.js'
import {renderRecord} from '../../cli/output.js'
import {checkLines} from '../../cli/views/alerts.js'
import {checkAlertsOnce, type AlertCheck} from '../../engine/index.js'

export default class CheckAlerts extends BaseCommand<typeof CheckAlerts> {
  static override summary = 'Evaluate the watcher rules once (dead engine, system down) and send their notifications: for cron.'
  static override description =
    'The engine evaluates the rules about its own metrics; a dead engine cannot. This checks, from outside the engine, the rules that read engine_heartbeat_age_s, engine_running or system_status (the default engine_dead rule among them), records and notifies what changed, and exits 0 (1 when a rule is firing). Run it every minute from cron or a systemd timer.'
  static override examples = ['<%= config.bin %> system check-alerts', '* * * * * ordermon system check-alerts --json >> /var/log/ordermon-check.log']

  async run(): Promise<AlertCheck> {
    const check = await checkAlertsOnce({loaded: this.config_(), version: this.config.version})
    for (const line of checkLines(check)) this.log(line)
    this.log(
      renderRecord([
        ['Rules', check.rules.join(', ') || '-'],
        ['Firing', check.firing.map((f) => `${f.rule} (${f.level})`).join(', ') || 'none'],
        ['System', String(check.inputs.system_status)],
        ['Engine heartbeat', check.inputs.engine_heartbeat_age_s === undefined ? 'none (no engine, or stopped cleanly)' : `${String(check.inputs.engine_heartbeat_age_s)} s ago`],
      ]),
    )
    if (check.firing.length) process.exitCode = 1
    return check
  }
}
