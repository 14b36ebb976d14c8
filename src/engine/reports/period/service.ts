import {extname} from 'node:path'
import type {LoadedConfig} from '../../config/index.js'
import {currentPeriodValue, resolvePeriod, type PeriodKind} from '../../domain/reports/period.js'
import {optionalText, requireOneOf, show} from '../../domain/validate.js'
import {invalidInput, notFound} from '../../errors.js'
import {openHandle} from '../../handle.js'
import {checkReportPath, writeReportFile, writeReportStream} from '../report-file.js'
import {buildPeriodReport} from './build.js'
import {renderCsv} from './render-csv.js'
import {renderMarkdown} from './render-markdown.js'
import type {PeriodReport, ReportFilter, ReportFormat} from './types.js'

/**
 * `report daily|weekly|monthly`: everything a typo can break (period, zone, format, output path,
 * filter syntax) is checked before the database is opened; the file appears whole or not at all.
 */

export const REPORT_FORMATS: readonly ReportFormat[] = ['pdf', 'json', 'csv', 'md']

export interface PeriodReportOptions {
  kind: PeriodKind
  /** 2024-01-15 / 2024-W03 / 2024-01; the current period when omitted. */
  value?: string
  /** Write here; the format follows the extension unless `format` says otherwise. */
  output?: string
  format?: string
  /** Overrides reports.timezone. */
  timezone?: string
  user_id?: string
  strategy_id?: string
  group?: string
  /** Fills read so far of all to read, then PDF pages laid out (total 0: not known yet) and drawn, for a progress bar. */
  onProgress?: (done: number, total: number, stage: 'reading' | 'paginating' | 'rendering') => void
  now?: Date
}

export interface PeriodReportResult {
  report: PeriodReport
  format: ReportFormat
  /** Where the file was written, or undefined when `text` is for the terminal. */
  output?: string
  text?: string
  bytes?: number
}

const EXTENSIONS: Record<string, ReportFormat> = {'.pdf': 'pdf', '.json': 'json', '.csv': 'csv', '.md': 'md', '.markdown': 'md'}

export function reportFormat(output: string | undefined, format: string | undefined): ReportFormat {
  if (format !== undefined) return requireOneOf('--format', format.toLowerCase(), REPORT_FORMATS)
  if (output === undefined) return 'md'
  const ext = extname(output).toLowerCase()
  const f = EXTENSIONS[ext]
  if (!f) throw invalidInput(`--output ${show(output)}: ${ext === '' ? 'no extension' : `the extension ${show(ext)} is not a report format`} (expected .pdf, .json, .csv or .md).`, 'Or name the format with --format.')
  return f
}

const TITLES: Record<PeriodKind, string> = {daily: 'Daily trading report', weekly: 'Weekly trading report', monthly: 'Monthly trading report'}
const ID = {max: 32, pattern: /^[A-Za-z0-9_-]+$/, patternHelp: 'letters, digits, _ and -'}

export async function runPeriodReport(loaded: LoadedConfig, o: PeriodReportOptions): Promise<PeriodReportResult> {
  const timezone = o.timezone ?? loaded.config.reports.timezone
  const now = o.now ?? new Date()
  const period = resolvePeriod(o.kind, o.value ?? currentPeriodValue(o.kind, timezone, now), timezone, now)
  const format = reportFormat(o.output, o.format)
  if (format === 'pdf' && o.output === undefined) throw invalidInput('A PDF report needs --output FILE.pdf (a terminal cannot show it).', 'Or leave out --format to print Markdown.')
  if (o.output !== undefined) checkReportPath(o.output)
  const filter: ReportFilter = {}
  const user = optionalText('--user-id', o.user_id, ID)
  const strategy = optionalText('--strategy-id', o.strategy_id, ID)
  const group = optionalText('--group', o.group, {max: 64})
  if (user !== undefined) filter.user_id = user
  if (strategy !== undefined) filter.strategy_id = strategy
  if (group !== undefined) filter.group = group

  const h = await openHandle({loaded})
  let report: PeriodReport
  try {
    if (user !== undefined && !(await h.store.users.findById(user))) throw notFound(`User ${show(user)} does not exist.`, 'List users with `ordermon user list`.')
    if (strategy !== undefined && !(await h.store.strategies.find(strategy))) throw notFound(`Strategy ${show(strategy)} does not exist.`, 'List strategies with `ordermon strategy list`.')
    if (group !== undefined && !(await h.store.reports.groupExists(group))) throw notFound(`No user is in group ${show(group)}.`, 'See the groups with `ordermon user list`.')
    report = await buildPeriodReport(h.store, {period, filter, title: TITLES[o.kind], now, onProgress: (d, t) => o.onProgress?.(d, t, 'reading')})
  } finally {
    await h.close()
  }

  if (format === 'pdf') {
    const {renderPdf} = await import('./render-pdf.js')
    await writeReportStream(o.output!, (out) => renderPdf(report, out, (n, total) => o.onProgress?.(n, total ?? 0, total === undefined ? 'paginating' : 'rendering')))
    return {report, format, output: o.output}
  }
  const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'csv' ? renderCsv(report) : renderMarkdown(report)
  if (o.output === undefined) return {report, format, text}
  writeReportFile(o.output, text)
  return {report, format, output: o.output, bytes: Buffer.byteLength(text)}
}
