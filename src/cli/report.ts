import {Flags} from '@oclif/core'
import {periodReportFor, type LoadedConfig, type PeriodReportResult, type ReportKind} from '../engine/index.js'
import {success} from './output.js'
import {progressBar} from './progress.js'

/** What the three report commands share: their flags and the run (period flag aside). */

export const reportFlags = {
  output: Flags.string({char: 'o', description: 'Write the report to this file; .pdf, .json, .csv or .md picks the format (the directory must exist).'}),
  format: Flags.string({char: 'f', options: ['pdf', 'json', 'csv', 'md'], description: 'Format, overriding the extension (without --output: md, json or csv to the terminal).'}),
  timezone: Flags.string({description: 'IANA zone the period is counted in (default reports.timezone, UTC).'}),
  'user-id': Flags.string({description: 'Only this user\'s orders and fills.'}),
  'strategy-id': Flags.string({description: 'Only this strategy\'s orders and fills.'}),
  group: Flags.string({description: 'Only users of this group.'}),
}

interface Io {
  log(text: string): void
  json: boolean
}

export async function runReportCommand(loaded: LoadedConfig, kind: ReportKind, value: string | undefined, flags: {output?: string; format?: string; timezone?: string; 'user-id'?: string; 'strategy-id'?: string; group?: string}, io: Io): Promise<PeriodReportResult['report']> {
  const reading = io.json ? undefined : progressBar('Reading fills')
  const paginating = io.json ? undefined : progressBar('Laying out pages')
  const pages = io.json ? undefined : progressBar('Drawing pages')
  let result: PeriodReportResult
  try {
    result = await periodReportFor(loaded, {
      kind,
      value,
      output: flags.output,
      format: flags.format,
      timezone: flags.timezone,
      user_id: flags['user-id'],
      strategy_id: flags['strategy-id'],
      group: flags.group,
      onProgress: (done, total, stage) => (stage === 'reading' ? reading?.update(done, total) : stage === 'paginating' ? paginating?.update(done, done) : (paginating?.done(), pages?.update(done, total))),
    })
  } finally {
    reading?.done()
    paginating?.done()
    pages?.done()
  }
  const r = result.report
  if (result.output !== undefined) {
    if (!io.json) io.log(success(`${r.title} ${r.period.label} (${r.period.timezone}) written to ${result.output} as ${result.format.toUpperCase()}${r.empty ? ' — no activity in this period' : ''}.`))
  } else if (!io.json) io.log(result.text!)
  return r
}
