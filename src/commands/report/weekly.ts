import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {reportFlags, runReportCommand} from '../../cli/report.js'
import type {PeriodReport} from '../../engine/index.js'

export default class ReportWeekly extends BaseCommand<typeof ReportWeekly> {
  static override summary = 'Weekly report over an ISO week (Monday to Sunday), against the week before.'
  static override description = 'The format follows the --output extension (.pdf, .json, .csv, .md) unless --format is given; without --output the report is printed as Markdown. Periods are counted in reports.timezone (UTC by default). Figures: orders by status, fills/volume/turnover by symbol, activity and realized P&L (average cost, net of fees) per user and strategy, top and bottom strategies, rejected and cancelled orders with reasons, alerts, TPS/latency/CPU/memory over time; each beside the previous period.'
  static override examples = ['<%= config.bin %> report weekly --week 2024-W03 --output weekly_report_2024W03.pdf', '<%= config.bin %> report weekly --week 2024-W03 --format csv > report.csv']

  static override flags = {
    week: Flags.string({description: 'ISO week (YYYY-Www, e.g. 2024-W03); default this week.'}),
    ...reportFlags,
  }

  async run(): Promise<PeriodReport> {
    return runReportCommand(this.config_(), 'weekly', this.flags.week, this.flags, {log: (t) => this.log(t), json: this.jsonEnabled()})
  }
}
