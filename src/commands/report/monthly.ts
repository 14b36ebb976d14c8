import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {reportFlags, runReportCommand} from '../../cli/report.js'
import type {PeriodReport} from '../../engine/index.js'

export default class ReportMonthly extends BaseCommand<typeof ReportMonthly> {
  static override summary = 'Monthly report over a calendar month, against the month before.'
  static override description = 'The format follows the --output extension (.pdf, .json, .csv, .md) unless --format is given; without --output the report is printed as Markdown. Periods are counted in reports.timezone (UTC by default). Figures: orders by status, fills/volume/turnover by symbol, activity and realized P&L (average cost, net of fees) per user and strategy, top and bottom strategies, rejected and cancelled orders with reasons, alerts, TPS/latency/CPU/memory over time; each beside the previous period.'
  static override examples = ['<%= config.bin %> report monthly --month 2024-01 --output monthly_report_202401.pdf', '<%= config.bin %> report monthly --month 2024-01 --format csv > report.csv']

  static override flags = {
    month: Flags.string({description: 'Month (YYYY-MM); default this month.'}),
    ...reportFlags,
  }

  async run(): Promise<PeriodReport> {
    return runReportCommand(this.config_(), 'monthly', this.flags.month, this.flags, {log: (t) => this.log(t), json: this.jsonEnabled()})
  }
}
