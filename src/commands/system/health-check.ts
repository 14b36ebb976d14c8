import {Errors} from '@oclif/core'
import {BaseCommand, describeError} from '../../cli/base-command.js'
import {renderTable} from '../../cli/output.js'
import {checkHealth, type Check, type Health} from '../../engine/index.js'

/**
 * Exit codes for monitoring systems, in the Nagios plugin convention: OK, WARNING, CRITICAL,
 * UNKNOWN. They differ from other commands' codes on purpose: a check that could not run must not
 * read as "down".
 */
export const HEALTH_EXIT = {healthy: 0, degraded: 1, down: 2, unknown: 3} as const

export default class HealthCheck extends BaseCommand<typeof HealthCheck> {
  static override summary = 'Check database, schema, Redis, engine heartbeat, log directory, disk and permissions.'
  static override description =
    'Exit codes for monitoring systems (Nagios convention): 0 healthy, 1 degraded (a part failed: Redis, the engine, logs, disk, permissions), 2 down (the database cannot be reached), 3 the check itself could not run (bad flags or configuration, an internal error).'
  static override examples = ['<%= config.bin %> system health-check', '<%= config.bin %> system health-check --json']

  async run(): Promise<Health> {
    const h = await checkHealth(this.config_())
    this.log(renderTable<Check>([{header: 'Check', get: (c) => c.name}, {header: 'OK', get: (c) => (c.ok ? 'ok' : 'FAIL')}, {header: 'Detail', get: (c) => c.detail}, {header: 'ms', get: (c) => c.ms}], h.checks))
    this.log(`System: ${h.status}`)
    if (h.status !== 'healthy' && !this.jsonEnabled())
      process.stderr.write(`Unhealthy (${h.status}): ${h.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}\n`)
    process.exitCode = HEALTH_EXIT[h.status]
    return h
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const {kind, message, hint} = describeError(err)
    if (this.jsonEnabled()) this.logJson({error: {code: kind, exit_code: HEALTH_EXIT.unknown, message, hint: hint ?? null}})
    else process.stderr.write(`Error: ${message}${hint ? ` ${hint}` : ''}\n`)
    this.exit(HEALTH_EXIT.unknown)
  }
}
