import {BaseCommand} from '../../cli/base-command.js'
import {heading, renderRecord} from '../../cli/output.js'
import {checkHealth, type Health} from '../../engine/index.js'

const fmt = (m: Record<string, number> | undefined) => (m && Object.keys(m).length ? Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ') : '-')

export default class SystemStatus extends BaseCommand<typeof SystemStatus> {
  static override summary = 'System overview: health of each part and counts of users, strategies and orders by status.'
  static override examples = ['<%= config.bin %> system status']

  async run(): Promise<Health> {
    const h = await checkHealth(this.config_(), {counts: true})
    this.log(renderRecord([['System', h.status], ...h.checks.map((c): [string, unknown] => [c.name, `${c.ok ? 'ok' : 'FAIL'}  ${c.detail}`])]))
    if (h.counts) {
      this.log(`\n${heading('Business')}`)
      this.log(renderRecord([['Users', fmt(h.counts.users)], ['Strategies', fmt(h.counts.strategies)], ['Orders', fmt(h.counts.orders)]]))
    }
    return h
  }
}
