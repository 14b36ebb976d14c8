import {bottom, contentWidth, ensureRoom, fit, INK, MARGIN, MUTED, RULE, type Doc} from './pdf-kit.js'

/**
 * A table that flows across pages: rows are one line high (long cells end in an ellipsis, so a row
 * never splits), and the header row is drawn again at the top of every page the table continues on.
 */

export interface Column {
  header: string
  /** Share of the table's width. */
  width: number
  align?: 'left' | 'right'
  /** Per-cell colour (e.g. a negative change in red). */
  color?: (value: string) => string | undefined
}

const ROW = 14
const PAD = 3

function drawHeader(doc: Doc, cols: Column[], widths: number[]): void {
  const y = doc.y
  doc.rect(MARGIN, y, contentWidth(doc), ROW + 2).fill('#eef1f4')
  doc.font('bold').fontSize(8).fillColor(INK)
  let x = MARGIN
  cols.forEach((c, i) => {
    doc.text(fit(doc, c.header, widths[i]! - 2 * PAD), x + PAD, y + 3, {width: widths[i]! - 2 * PAD, align: c.align ?? 'left', lineBreak: false})
    x += widths[i]!
  })
  doc.y = y + ROW + 2
  doc.font('regular')
}

export function table(doc: Doc, cols: Column[], rows: string[][]): void {
  const total = cols.reduce((s, c) => s + c.width, 0)
  const widths = cols.map((c) => (c.width / total) * contentWidth(doc))
  if (rows.length === 0) {
    ensureRoom(doc, ROW)
    doc.font('regular').fontSize(8.5).fillColor(MUTED).text('None.', MARGIN, doc.y)
    doc.fillColor(INK)
    return
  }
  ensureRoom(doc, 3 * ROW)
  drawHeader(doc, cols, widths)
  rows.forEach((row, r) => {
    if (doc.y + ROW > bottom(doc)) {
      doc.addPage()
      drawHeader(doc, cols, widths)
    }
    const y = doc.y
    if (r % 2 === 1) doc.rect(MARGIN, y, contentWidth(doc), ROW).fill('#f7f8fa')
    doc.fontSize(8)
    let x = MARGIN
    cols.forEach((c, i) => {
      const value = row[i] ?? ''
      doc.fillColor(c.color?.(value) ?? INK).text(fit(doc, value, widths[i]! - 2 * PAD), x + PAD, y + 3, {width: widths[i]! - 2 * PAD, align: c.align ?? 'left', lineBreak: false})
      x += widths[i]!
    })
    doc.moveTo(MARGIN, y + ROW).lineTo(MARGIN + contentWidth(doc), y + ROW).lineWidth(0.3).strokeColor(RULE).stroke()
    doc.y = y + ROW
  })
  doc.fillColor(INK)
  doc.x = MARGIN
}
