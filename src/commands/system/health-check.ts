import {BaseCommand} from '../../cli/base-command.js'
import {renderTable} from '../../cli/output.js'
import {checkHealth, OrdermonError, type Check, type Health} from '../../engine/index.js'

export default class HealthCheck extends BaseCommand<typeof HealthCheck> {
  static override summary = 'Check database, schema, Redis, engine heartbeat, log directory and disk; exit 1 if any fails.'
  static override examples = ['<%= config.bin %> system health-check', '<%= config.bin %> system health-check --json']

  async run(): Promise<Health> {
    const h = await checkHealth(this.config_())
    this.log(renderTable<Check>([{header: 'Check', get: (c) => c.name}, {header: 'OK', get: (c) => (c.ok ? 'ok' : 'FAIL')}, {header: 'Detail', get: (c) => c.detail}, {header: 'ms', get: (c) => c.ms}], h.checks))
    this.log(`System: ${h.status}`)
    if (h.status !== 'healthy') {
      if (this.jsonEnabled()) process.exitCode = 1
      else throw new OrdermonError('internal', `Unhealthy: ${h.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}`)
    }
    return h
  }
}
