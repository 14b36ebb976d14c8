import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {renderTable, success, type Column} from '../../cli/output.js'
import {performanceReportFor, type DailyPerformance, type PerformanceReport} from '../../engine/index.js'

const columns: Column<DailyPerformance>[] = [
  {header: 'Date', get: (d) => d.date},
  {header: 'Avg TPS', get: (d) => d.avg_tps},
  {header: 'Peak TPS', get: (d) => d.peak_tps},
  {header: 'Avg ms', get: (d) => d.avg_latency_ms},
  {header: 'P99 ms', get: (d) => d.p99_latency_ms},
  {header: 'Orders', get: (d) => d.orders},
  {header: 'Fills', get: (d) => d.fills},
  {header: 'Volume', get: (d) => d.volume},
  {header: 'Turnover', get: (d) => d.turnover},
  {header: 'Rejected', get: (d) => d.rejected},
  {header: 'Error %', get: (d) => d.error_rate_pct},
  {header: 'CPU % avg/peak', get: (d) => (d.avg_cpu_pct === null ? null : `${d.avg_cpu_pct}/${d.peak_cpu_pct}`)},
  {header: 'Mem % avg/peak', get: (d) => (d.avg_memory_pct === null ? null : `${d.avg_memory_pct}/${d.peak_memory_pct}`)},
]

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
    else this.log(renderTable(columns, [...report.daily, {date: 'all days', ...report.summary}]))
    return report
  }
}
