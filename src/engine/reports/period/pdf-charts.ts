import {fmt} from './format.js'
import {ACCENT, contentWidth, DOWN, ensureRoom, fit, INK, MARGIN, MUTED, RULE, UP, type Doc} from './pdf-kit.js'
import type {SeriesPoint} from './types.js'

/** Charts drawn as PDF vector paths (no images): lines over time and horizontal bars. */

const HEIGHT = 150
const AXIS = 44

function frame(doc: Doc, title: string, height: number): {x: number; y: number; w: number; h: number} {
  ensureRoom(doc, height + 34)
  doc.font('bold').fontSize(10).fillColor(INK).text(title, MARGIN, doc.y)
  const top = doc.y + 4
  const box = {x: MARGIN + AXIS, y: top, w: contentWidth(doc) - AXIS - 8, h: height}
  doc.rect(box.x, box.y, box.w, box.h).lineWidth(0.5).strokeColor(RULE).stroke()
  doc.font('regular').fontSize(7).fillColor(MUTED)
  return box
}

function noData(doc: Doc, box: {x: number; y: number; w: number; h: number}): void {
  doc.fontSize(9).fillColor(MUTED).text('no data', box.x, box.y + box.h / 2 - 5, {width: box.w, align: 'center'})
}

function finish(doc: Doc, box: {y: number; h: number}): void {
  doc.fillColor(INK)
  doc.x = MARGIN
  doc.y = box.y + box.h + 22
}

/** A line per series over the period [start, end), with y ticks and a few time labels. */
export function lineChart(doc: Doc, title: string, series: {label: string; color: string; points: SeriesPoint[]; value: (p: SeriesPoint) => number}[], start: Date, end: Date): void {
  const box = frame(doc, title, HEIGHT)
  const all = series.flatMap((s) => s.points.map(s.value))
  if (all.length === 0) {
    noData(doc, box)
    return finish(doc, box)
  }
  const max = Math.max(...all) * 1.1 || 1
  const t0 = start.getTime()
  const span = end.getTime() - t0
  const xOf = (at: string) => box.x + ((Date.parse(at) - t0) / span) * box.w
  const yOf = (v: number) => box.y + box.h - (v / max) * box.h
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4
    const y = yOf(v)
    if (i > 0) doc.moveTo(box.x, y).lineTo(box.x + box.w, y).lineWidth(0.2).strokeColor(RULE).stroke()
    doc.fillColor(MUTED).text(fmt(v), MARGIN, y - 4, {width: AXIS - 4, align: 'right', lineBreak: false})
  }
  const days = span / 86_400_000
  for (let i = 0; i <= 4; i++) {
    const t = new Date(t0 + (span * i) / 4)
    const label = days <= 1.01 ? t.toISOString().slice(11, 16) : t.toISOString().slice(5, 10)
    doc.fillColor(MUTED).text(label, box.x + (box.w * i) / 4 - 20, box.y + box.h + 3, {width: 40, align: 'center', lineBreak: false})
  }
  for (const s of series) {
    if (s.points.length === 0) continue
    s.points.forEach((p, i) => (i === 0 ? doc.moveTo(xOf(p.at), yOf(s.value(p))) : doc.lineTo(xOf(p.at), yOf(s.value(p)))))
    doc.lineWidth(1).strokeColor(s.color).stroke()
  }
  // Legend, top right.
  let lx = box.x + box.w - 8
  for (const s of [...series].reverse()) {
    const w = doc.widthOfString(s.label) + 14
    lx -= w
    doc.rect(lx, box.y + 6, 8, 3).fill(s.color)
    doc.fillColor(INK).text(s.label, lx + 10, box.y + 3, {lineBreak: false})
  }
  finish(doc, box)
}

/** Horizontal bars, one per item; negative values extend left of a zero line in red. */
export function barChart(doc: Doc, title: string, items: {label: string; value: number}[]): void {
  const rowH = 12
  const height = Math.max(40, items.length * rowH + 8)
  ensureRoom(doc, height + 34)
  doc.font('bold').fontSize(10).fillColor(INK).text(title, MARGIN, doc.y)
  const labelW = 120
  const box = {x: MARGIN + labelW, y: doc.y + 4, w: contentWidth(doc) - labelW - 60, h: height}
  doc.font('regular').fontSize(7)
  if (items.length === 0) {
    doc.rect(box.x, box.y, box.w, box.h).lineWidth(0.5).strokeColor(RULE).stroke()
    noData(doc, box)
    return finish(doc, box)
  }
  const lo = Math.min(0, ...items.map((i) => i.value))
  const hi = Math.max(0, ...items.map((i) => i.value))
  const span = hi - lo || 1
  const zero = box.x + ((0 - lo) / span) * box.w
  doc.moveTo(zero, box.y).lineTo(zero, box.y + box.h).lineWidth(0.5).strokeColor(MUTED).stroke()
  items.forEach((item, i) => {
    const y = box.y + 4 + i * rowH
    const x1 = box.x + ((item.value - lo) / span) * box.w
    const color = lo < 0 ? (item.value < 0 ? DOWN : UP) : ACCENT
    doc.rect(Math.min(zero, x1), y, Math.max(0.5, Math.abs(x1 - zero)), rowH - 3).fill(color)
    doc.fillColor(INK).text(fit(doc, item.label, labelW - 6), MARGIN, y + 1, {width: labelW - 6, lineBreak: false})
    doc.fillColor(MUTED).text(fmt(item.value), Math.max(zero, x1) + 3, y + 1, {lineBreak: false})
  })
  finish(doc, box)
}
