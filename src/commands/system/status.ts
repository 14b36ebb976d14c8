import {BaseCommand} from '../../cli/base-command.js'
import {heading, renderRecord} from '../../cli/output.js'
import {enginesTable} from '../../cli/views/engines.js'
import {systemStatus, type SystemStatus} from '../../engine/index.js'

const fmt = (m: Record<string, number> | undefined) => (m && Object.keys(m).length ? Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ') : '-')
const num = (v: number | null, unit = '') => (v === null ? '-' : `${Math.round(v * 10) / 10}${unit}`)

function uptime(s: number): string {
  if (!s) return '-'
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return [d ? `${d}d` : '', h ? `${h}h` : '', `${m}m`, d ? '' : `${s % 60}s`].filter(Boolean).join(' ')
}

export default class SystemStatusCommand extends BaseCommand<typeof SystemStatusCommand> {
  static override summary = 'System overview: status, uptime, performance and business metrics of the running engine, health of each part, counts by status.'
  static override description = 'With --json, the manual\'s shape: {system_status, uptime, performance, business_metrics}, plus engine, checks and counts.'
  static override examples = ['<%= config.bin %> system status', '<%= config.bin %> system status --json']

  async run(): Promise<SystemStatus> {
    const s = await systemStatus(this.config_())
    const p = s.performance
    const b = s.business_metrics
    this.log(
      renderRecord([
        ['System', s.system_status],
        ['Engine', s.engine.running ? `running (${s.engine.instance_id}, heartbeat ${s.engine.heartbeat_age_s}s ago)` : s.engine.status ? `not running (last: ${s.engine.status})` : 'never started on this database'],
        ['Uptime', uptime(s.uptime)],
      ]),
    )
    this.log(`\n${heading('Performance')}`)
    this.log(renderRecord([['CPU', num(p.cpu_usage, '%')], ['Memory', num(p.memory_usage, '%')], ['Disk used', num(p.disk_usage, '%')], ['Network I/O', num(p.network_io, ' KB/s')]]))
    this.log(`\n${heading('Business')}`)
    this.log(
      renderRecord([
        ['Active users', num(b.active_users)],
        ['Running strategies', num(b.running_strategies)],
        ['Pending orders', num(b.pending_orders)],
        ['Fills today', num(b.daily_trades)],
        ['TPS', num(b.system_tps)],
        ['Average latency', num(b.average_latency, ' ms')],
        ['Users', fmt(s.counts?.users)],
        ['Strategies', fmt(s.counts?.strategies)],
        ['Orders', fmt(s.counts?.orders)],
      ]),
    )
    // Several engines share the database (engine.sharing): each one, with its part of the users.
    if (s.engines.length > 1 || s.engines.some((e) => e.shards !== null)) this.log(`\n${heading(`Engines (${s.engines.length})`)}\n${enginesTable(s.engines)}`)
    this.log(`\n${heading('Checks')}`)
    this.log(renderRecord(s.checks.map((c): [string, unknown] => [c.name, `${c.ok ? 'ok' : 'FAIL'}  ${c.detail}`])))
    return s
  }
}
