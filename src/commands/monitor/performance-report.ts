import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {renderTable, success} from '../../cli/output.js'
import {performanceColumns} from '../../cli/views/performance.js'
import {performanceReportFor, type PerformanceReport} from '../../engine/index.js'

export default class MonitorPerformanceReport extends BaseCommand<typeof MonitorPerformanceReport> {
  static override summary = 'TPS, latency, fills, volume, error rate and CPU/memory per day over a date range.'
  static override description = 'Days are UTC; a day without samples shows "-" for the metric figures. Metric history older than monitoring.raw_retention_hours is read from its rolled-up rows.'
  static override examples = [
    '<%= config.bin %> monitor performance-report --start-date 2024-01-01 --end-date 2024-01-31',
    '<%= config.bin %> monitor performance-report --start-date 2024-01-01 --end-date 2024-01-31 --output report.json',
  ]

  static override flags = {
    'start-date': Flags.string({required: true, description: 'First day (YYYY-MM-DD, UTC).'}),
    'end-date': Flags.string({required: true, description: 'Last day, inclusive (YYYY-MM-DD, UTC; at most 366 days in all).'}),
    output: Flags.string({char: 'o', description: 'Write the report as JSON to this file (the directory must exist).'}),
  }

  async run(): Promise<PerformanceReport> {
    const f = this.flags
    const report = await performanceReportFor(this.config_(), {start_date: f['start-date'], end_date: f['end-date'], output: f.output})
    if (f.output !== undefined) this.log(success(`Performance report ${report.period.start_date}..${report.period.end_date} (${report.period.days} days) written to ${f.output}.`))
    else this.log(renderTable(performanceColumns, [...report.daily, {date: 'all days', ...report.summary}]))
    return report
  }
}
