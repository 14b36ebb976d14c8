import {Writable} from 'node:stream'
import {filterText, fmt, fmtChange, SUMMARY_ROWS} from './format.js'
import {barChart, lineChart} from './pdf-charts.js'
import {ACCENT, contentWidth, DOWN, FOOTER, heading, INK, MARGIN, MUTED, newDocument, note, UP, type Doc} from './pdf-kit.js'
import {table, type Column} from './pdf-table.js'
import type {ActorActivity, PeriodReport} from './types.js'

/**
 * The PDF a desk head forwards: a title page with the summary, charts, then the tables, page numbers
 * on every page. "Page n of N" needs N before page 1 is written, and buffering every page until the
 * end (pdfkit's bufferPages) held 150 MB for a month of 3,000 strategies; so the document is laid out
 * twice, first into a sink that only counts pages, then for real, each page written out as the next
 * begins. The layout is deterministic, so both passes break pages at the same rows.
 */

const changeColor = (v: string) => (v.startsWith('+') ? UP : v.startsWith('-') && v !== '-' ? DOWN : undefined)
const signColor = (v: string) => (v.startsWith('-') && v !== '-' ? DOWN : undefined)

function titlePage(doc: Doc, r: PeriodReport): void {
  doc.font('bold').fontSize(24).fillColor(INK).text(r.title, MARGIN, 90)
  doc.moveDown(0.3)
  doc.font('regular').fontSize(14).fillColor(ACCENT).text(`${r.period.label}  (${r.period.timezone})`)
  doc.moveDown(0.6)
  doc.fontSize(9.5).fillColor(MUTED)
  doc.text(`Period: ${r.period.start} to ${r.period.end}`)
  doc.text(`Compared with: ${r.period.previous.label} (${r.period.previous.start} to ${r.period.previous.end})`)
  doc.text(`Scope: ${filterText(r.filter)}`)
  doc.text(`Generated: ${r.generated_at} by ordermon`)
  doc.fillColor(INK).moveDown(0.8)
  if (r.empty) {
    doc.font('bold').fontSize(13).fillColor(DOWN).text('No activity in this period: no orders, fills, alerts or metric samples.')
    doc.font('regular').fillColor(INK).moveDown(0.5)
  }
  heading(doc, 'Summary')
  table(
    doc,
    [{header: 'Figure', width: 4}, {header: 'This period', width: 2.2, align: 'right', color: signColor}, {header: 'Previous', width: 2.2, align: 'right', color: signColor}, {header: 'Change', width: 1.4, align: 'right', color: changeColor}],
    SUMMARY_ROWS.map(([label, key, precise]) => [label, fmt(r.summary[key].current, precise), fmt(r.summary[key].previous, precise), fmtChange(r.summary[key])]),
  )
}

function actorTable(doc: Doc, list: ActorActivity[], strategy: boolean): void {
  const cols: Column[] = [
    {header: strategy ? 'Strategy' : 'User', width: 1.5},
    {header: 'Name', width: 2.4},
    ...(strategy ? [{header: 'Owner', width: 1.2}] : []),
    {header: 'Orders', width: 1.1, align: 'right'},
    {header: 'Fills', width: 1.1, align: 'right'},
    {header: 'Volume', width: 1.4, align: 'right'},
    {header: 'Turnover', width: 1.8, align: 'right'},
    {header: 'Fees', width: 1.2, align: 'right'},
    {header: 'Realized P&L', width: 1.6, align: 'right', color: signColor},
    {header: 'Change', width: 1.1, align: 'right', color: changeColor},
  ]
  table(doc, cols, list.map((a) => [a.id, a.name, ...(strategy ? [a.user_id ?? ''] : []), fmt(a.orders.current), fmt(a.fills.current), fmt(a.volume.current, true), fmt(a.turnover.current), fmt(a.fees.current), fmt(a.realized_pnl.current), fmtChange(a.realized_pnl)]))
}

function body(doc: Doc, r: PeriodReport): void {
  const start = new Date(r.period.start)
  const end = new Date(r.period.end)
  doc.addPage()
  heading(doc, 'System metrics over time')
  lineChart(doc, 'Order transitions per second (TPS)', [{label: 'average', color: ACCENT, points: r.series.tps, value: (p) => p.avg}, {label: 'peak', color: '#9a6700', points: r.series.tps, value: (p) => p.max}], start, end)
  lineChart(doc, 'Latency (ms)', [{label: 'average', color: ACCENT, points: r.series.avg_latency_ms, value: (p) => p.avg}, {label: 'p99', color: DOWN, points: r.series.p99_latency_ms, value: (p) => p.max}], start, end)
  lineChart(doc, 'CPU and memory (%)', [{label: 'CPU', color: ACCENT, points: r.series.cpu_usage, value: (p) => p.avg}, {label: 'memory', color: '#8250df', points: r.series.memory_usage, value: (p) => p.avg}], start, end)
  heading(doc, 'Activity')
  barChart(doc, 'Volume by symbol (top 15)', [...r.symbols].sort((a, b) => (b.volume.current ?? 0) - (a.volume.current ?? 0)).slice(0, 15).map((s) => ({label: s.symbol, value: s.volume.current ?? 0})))
  const pnl = [...r.top_strategies, ...r.bottom_strategies.filter((b) => !r.top_strategies.some((t) => t.id === b.id))]
  barChart(doc, 'Realized P&L by strategy (top and bottom)', pnl.map((s) => ({label: `${s.name} (${s.id})`, value: s.realized_pnl.current ?? 0})))

  heading(doc, 'Orders by status')
  table(doc, [{header: 'Status', width: 3}, {header: 'Orders', width: 2, align: 'right'}, {header: 'Previous', width: 2, align: 'right'}, {header: 'Change', width: 1.5, align: 'right', color: changeColor}], r.orders_by_status.map((s) => [s.status, fmt(s.count.current), fmt(s.count.previous), fmtChange(s.count)]))
  heading(doc, 'Fills, volume and turnover by symbol')
  table(
    doc,
    [{header: 'Symbol', width: 2}, {header: 'Fills', width: 1.3, align: 'right'}, {header: 'Volume', width: 1.8, align: 'right'}, {header: 'Turnover', width: 2.2, align: 'right'}, {header: 'Previous', width: 2.2, align: 'right'}, {header: 'Change', width: 1.3, align: 'right', color: changeColor}],
    r.symbols.map((s) => [s.symbol, fmt(s.fills.current), fmt(s.volume.current, true), fmt(s.turnover.current), fmt(s.turnover.previous), fmtChange(s.turnover)]),
  )
  heading(doc, 'Top strategies by realized P&L')
  actorTable(doc, r.top_strategies, true)
  heading(doc, 'Bottom strategies by realized P&L')
  actorTable(doc, r.bottom_strategies, true)
  heading(doc, `Users (${fmt(r.users.length)})`)
  actorTable(doc, r.users, false)
  heading(doc, `Strategies (${fmt(r.strategies.length)})`)
  actorTable(doc, r.strategies, true)
  heading(doc, 'Rejected and cancelled orders by reason')
  table(doc, [{header: 'Status', width: 1.5}, {header: 'Reason', width: 6}, {header: 'Orders', width: 1.5, align: 'right'}], r.reasons.map((x) => [x.status, x.reason || '(none given)', fmt(x.count)]))
  heading(doc, 'Rejected and cancelled orders')
  note(doc, `Showing ${fmt(r.problem_orders.length)} of ${fmt(r.problem_orders_total)}, newest first (every one is counted by reason above).`)
  table(
    doc,
    [{header: 'Order', width: 2}, {header: 'User', width: 1.3}, {header: 'Strategy', width: 1.4}, {header: 'Symbol', width: 1.2}, {header: 'Side', width: 0.7}, {header: 'Qty', width: 1, align: 'right'}, {header: 'Price', width: 1, align: 'right'}, {header: 'Status', width: 1.2}, {header: 'Reason', width: 2.4}, {header: 'Created', width: 2}],
    r.problem_orders.map((o) => [o.order_id, o.user_id, o.strategy_id ?? '', o.symbol, o.side, fmt(o.quantity, true), fmt(o.price), o.status, o.reason ?? '', o.created_at.replace('T', ' ').slice(0, 19)]),
  )
  heading(doc, `Alerts (${fmt(r.summary.alerts.current)})`)
  if ((r.summary.alerts.current ?? 0) > r.alerts.length) note(doc, `Showing the newest ${fmt(r.alerts.length)}.`)
  table(
    doc,
    [{header: 'Id', width: 0.8}, {header: 'Rule', width: 2}, {header: 'Level', width: 1.1}, {header: 'Status', width: 1.3}, {header: 'Message', width: 4}, {header: 'Raised', width: 2}, {header: 'Resolved', width: 2}],
    r.alerts.map((a) => [String(a.id), a.rule, a.level, a.status, a.message, a.raised_at.replace('T', ' ').slice(0, 19), (a.resolved_at ?? '').replace('T', ' ').slice(0, 19)]),
  )
}

/** pdfkit's current text state, which drawing a footer changes and a continued paragraph relies on. */
interface TextState {
  _font: unknown
  _fontSize: number
  _fillColor?: [string, number]
}

/** Draws the footer at the bottom of the page just begun, leaving the text state as it was. */
function footer(doc: Doc, r: PeriodReport, n: number, total: number | undefined): void {
  const state = doc as unknown as TextState
  const saved = {font: state._font, size: state._fontSize, fill: state._fillColor, x: doc.x, y: doc.y, bottom: doc.page.margins.bottom}
  const y = doc.page.height - MARGIN - FOOTER + 12
  // Writing below the bottom margin would make pdfkit add a page; lift the margin for the footer.
  doc.page.margins.bottom = 0
  doc.font('regular').fontSize(7.5).fillColor(MUTED)
  doc.text(`${r.title} ${r.period.label}`, MARGIN, y, {width: contentWidth(doc) / 2, lineBreak: false})
  doc.text(total === undefined ? `Page ${n}` : `Page ${n} of ${total}`, MARGIN + contentWidth(doc) / 2, y, {width: contentWidth(doc) / 2, align: 'right', lineBreak: false})
  doc.page.margins.bottom = saved.bottom
  state._font = saved.font
  state._fontSize = saved.size
  if (saved.fill) doc.fillColor(...saved.fill)
  else doc.fillColor(INK)
  doc.x = saved.x
  doc.y = saved.y
}

/** One layout pass into `out`; resolves with the page count once the stream has finished. */
async function layout(report: PeriodReport, out: NodeJS.WritableStream, total: number | undefined, onPage?: (n: number) => void): Promise<number> {
  const doc = newDocument({title: `${report.title} ${report.period.label}`, subject: `ordermon ${report.period.kind} report, ${report.period.timezone}`})
  let pages = 1
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', () => resolve())
    out.once('error', reject)
    doc.once('error', reject)
  })
  doc.pipe(out)
  footer(doc, report, 1, total)
  doc.on('pageAdded', () => {
    footer(doc, report, ++pages, total)
    onPage?.(pages)
  })
  titlePage(doc, report)
  body(doc, report)
  doc.end()
  await finished
  return pages
}

/** Writes the whole PDF to `out`; resolves when the stream has finished. */
export async function renderPdf(report: PeriodReport, out: NodeJS.WritableStream, onPage?: (n: number, total: number | undefined) => void): Promise<void> {
  const total = await layout(report, new Writable({write: (_chunk, _enc, done) => done()}), undefined, (n) => onPage?.(n, undefined))
  await layout(report, out, total, (n) => onPage?.(n, total))
}
