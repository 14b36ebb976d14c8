import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {reportFlags, runReportCommand} from '../../cli/report.js'
import type {PeriodReport} from '../../engine/index.js'

export default class ReportDaily extends BaseCommand<typeof ReportDaily> {
  static override summary = 'Daily report: orders, fills, P&L, rejects, alerts and system metrics of one day, against the day before.'
  static override description = 'The format follows the --output extension (.pdf, .json, .csv, .md) unless --format is given; without --output the report is printed as Markdown. Periods are counted in reports.timezone (UTC by default). Figures: orders by status, fills/volume/turnover by symbol, activity and realized P&L (average cost, net of fees) per user and strategy, top and bottom strategies, rejected and cancelled orders with reasons, alerts, TPS/latency/CPU/memory over time; each beside the previous period.'
  static override examples = ['<%= config.bin %> report daily --date 2024-01-15 --output daily_report_20240115.pdf', '<%= config.bin %> report daily --date 2024-01-15 --format csv > report.csv']

  static override flags = {
    date: Flags.string({description: 'Day (YYYY-MM-DD) in the report time zone; default today.'}),
    ...reportFlags,
  }

  async run(): Promise<PeriodReport> {
    return runReportCommand(this.config_(), 'daily', this.flags.date, this.flags, {log: (t) => this.log(t), json: this.jsonEnabled()})
  }
}
