import type {LoadedConfig} from '../config/index.js'
import {parseDay} from '../domain/time.js'
import {show} from '../domain/validate.js'
import {invalidInput} from '../errors.js'
import {openHandle} from '../handle.js'
import {performanceReport, type PerformanceReport} from './performance.js'
import {checkReportPath, writeReportFile} from './report-file.js'

/** A longer report is almost surely a typo; a year (and a leap day) is the longest asked for. */
export const MAX_REPORT_DAYS = 366

export interface PerformanceReportOptions {
  /** First day, YYYY-MM-DD (UTC). */
  start_date: string
  /** Last day, inclusive, YYYY-MM-DD (UTC). */
  end_date: string
  /** Also write the report as JSON to this file (atomically). */
  output?: string
}

/** The UTC days from start_date through end_date as a half-open span; bad or reversed dates are refused. */
export function reportPeriod(startDate: string, endDate: string): {from: Date; to: Date} {
  const from = parseDay('start-date', startDate).start
  const to = parseDay('end-date', endDate).end
  if (to <= from) throw invalidInput(`end-date ${show(endDate)} is before start-date ${show(startDate)} (expected an end on or after the start).`)
  const days = Math.round((to.getTime() - from.getTime()) / 86_400_000)
  if (days > MAX_REPORT_DAYS) throw invalidInput(`${startDate}..${endDate} is ${days} days; a performance report covers at most ${MAX_REPORT_DAYS}.`, 'Split it into several reports.')
  return {from, to}
}

/**
 * `monitor performance-report`: dates and the output path are checked before the database is
 * opened, so a typo costs nothing; the file, if asked for, is written only once the report is whole.
 */
export async function runPerformanceReport(loaded: LoadedConfig, options: PerformanceReportOptions): Promise<PerformanceReport> {
  const range = reportPeriod(options.start_date, options.end_date)
  if (options.output !== undefined) checkReportPath(options.output)
  const h = await openHandle({loaded})
  let report: PerformanceReport
  try {
    report = await performanceReport(h.store, {...range, rawStepS: loaded.config.monitoring.store_interval})
  } finally {
    await h.close()
  }
  if (options.output !== undefined) writeReportFile(options.output, `${JSON.stringify(report, null, 2)}\n`)
  return report
}
