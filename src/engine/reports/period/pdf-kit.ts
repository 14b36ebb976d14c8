import {createRequire} from 'node:module'
import PDFDocument from 'pdfkit'

/**
 * The PDF page and its primitives shared by the report's tables and charts: A4 portrait, margins,
 * the CJK font (Noto Sans SC, subset by pdfkit into the file, so 张三 prints wherever it appears).
 */

export type Doc = PDFKit.PDFDocument

const require = createRequire(import.meta.url)
export const FONT_REGULAR = require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')
export const FONT_BOLD = require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf')

export const MARGIN = 48
/** Space kept free at the bottom of each page for the footer. */
export const FOOTER = 28
export const INK = '#1f2933'
export const MUTED = '#66727f'
export const RULE = '#c9d1d9'
export const ACCENT = '#1f6feb'
export const UP = '#1a7f37'
export const DOWN = '#cf222e'

export function newDocument(info: {title: string; subject: string}): Doc {
  const doc = new PDFDocument({size: 'A4', margin: MARGIN, autoFirstPage: true, info: {Title: info.title, Subject: info.subject, Author: 'ordermon', Creator: 'ordermon', CreationDate: new Date()}})
  doc.registerFont('regular', FONT_REGULAR)
  doc.registerFont('bold', FONT_BOLD)
  doc.font('regular').fillColor(INK)
  return doc
}

export const contentWidth = (doc: Doc) => doc.page.width - 2 * MARGIN
export const bottom = (doc: Doc) => doc.page.height - MARGIN - FOOTER

/** Room for `height` more points on this page, or a new page. */
export function ensureRoom(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage()
}

export function heading(doc: Doc, text: string): void {
  ensureRoom(doc, 60)
  doc.moveDown(0.6)
  doc.font('bold').fontSize(13).fillColor(INK).text(text, MARGIN, doc.y, {width: contentWidth(doc)})
  doc.moveDown(0.25)
  doc.font('regular').fontSize(9)
}

export function note(doc: Doc, text: string): void {
  ensureRoom(doc, 16)
  doc.font('regular').fontSize(8.5).fillColor(MUTED).text(text, MARGIN, doc.y, {width: contentWidth(doc)})
  doc.fillColor(INK).moveDown(0.3)
}

/** `text` cut with an ellipsis to fit `width` at the current font and size. */
export function fit(doc: Doc, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text
  let lo = 0
  let hi = text.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (doc.widthOfString(`${text.slice(0, mid)}…`) <= width) lo = mid
    else hi = mid - 1
  }
  return `${text.slice(0, lo)}…`
}
