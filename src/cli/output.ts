import chalk from 'chalk'
import Table from 'cli-table3'

/**
 * Tables on a terminal, tab-separated lines when piped (one header line, then one line per row) so
 * `cut -f2` and `awk -F'\t'` just work. ORDERMON_OUTPUT=table|plain overrides the detection.
 */
export function wantsTable(): boolean {
  const forced = process.env.ORDERMON_OUTPUT?.toLowerCase()
  if (forced === 'table') return true
  if (forced === 'plain') return false
  return Boolean(process.stdout.isTTY)
}

export interface Column<T> {
  header: string
  get: (row: T) => unknown
  /** Optional colouring for the table form only. */
  color?: (text: string, row: T) => string
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-'
  if (Array.isArray(value)) return value.join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

// Tabs and newlines inside a value would break the line-per-row contract of plain output.
const plain = (s: string) => s.replace(/[\t\r\n]+/g, ' ')

export function renderTable<T>(columns: Column<T>[], rows: T[]): string {
  if (!wantsTable()) {
    return [columns.map((c) => c.header).join('\t'), ...rows.map((r) => columns.map((c) => plain(cell(c.get(r)))).join('\t'))].join('\n')
  }
  const table = new Table({head: columns.map((c) => chalk.bold(c.header)), style: {head: [], border: [], compact: false}})
  for (const r of rows) table.push(columns.map((c) => (c.color ? c.color(cell(c.get(r)), r) : cell(c.get(r)))))
  return table.toString()
}

/** A record as aligned "Key  value" lines (terminal) or "key\tvalue" lines (piped). */
export function renderRecord(pairs: Array<[string, unknown]>): string {
  if (!wantsTable()) return pairs.map(([k, v]) => `${k}\t${plain(cell(v))}`).join('\n')
  const width = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${chalk.dim(k.padEnd(width))}  ${cell(v)}`).join('\n')
}

/** "21-40 of 57 user(s) — next: --page 3" under a paged table, on a terminal only (stderr). */
export function pageFooter(total: number, page: number, size: number, noun: string): string | undefined {
  if (!wantsTable()) return undefined
  const from = total === 0 ? 0 : (page - 1) * size + 1
  const to = Math.min(total, page * size)
  return `${from}-${to} of ${total} ${noun}${to < total ? ` — next: --page ${page + 1}` : ''}`
}

export function heading(text: string): string {
  return wantsTable() ? chalk.bold.underline(text) : `# ${text}`
}

const statusColors: Record<string, (s: string) => string> = {
  active: chalk.green,
  running: chalk.green,
  filled: chalk.green,
  ok: chalk.green,
  suspended: chalk.yellow,
  paused: chalk.yellow,
  pending: chalk.cyan,
  partially_filled: chalk.cyan,
  locked: chalk.red,
  error: chalk.red,
  rejected: chalk.red,
  cancelled: chalk.gray,
  expired: chalk.gray,
  stopped: chalk.gray,
}

export const colorStatus = (s: string) => (statusColors[s] ?? ((x: string) => x))(s)

export function success(message: string): string {
  return wantsTable() ? `${chalk.green('✔')} ${message}` : message
}
