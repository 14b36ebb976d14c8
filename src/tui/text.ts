import stringWidth from 'string-width'

/** Pads or cuts `text` to exactly `width` terminal columns, counting CJK characters as two. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  let out = text
  let w = stringWidth(out)
  if (w > width) {
    // Cut character by character (a wide character may not fit in the last column).
    let cut = ''
    let cw = 0
    for (const ch of out) {
      const chw = stringWidth(ch)
      if (cw + chw > width - 1) break
      cut += ch
      cw += chw
    }
    out = `${cut}…`
    w = cw + 1
  }
  const pad = ' '.repeat(Math.max(0, width - w))
  return align === 'right' ? pad + out : out + pad
}

/** A horizontal bar: `[████░░░░]` for a 0..100 value. */
export function bar(pct: number, width: number): string {
  const v = Math.max(0, Math.min(100, Number.isFinite(pct) ? pct : 0))
  const full = Math.round((v / 100) * width)
  return '█'.repeat(full) + '░'.repeat(width - full)
}

const sparks = '▁▂▃▄▅▆▇█'

/** A trend line of the last `width` values, scaled to their own range (or to `max` if given). */
export function sparkline(values: number[], width: number, max?: number): string {
  const xs = values.slice(-width)
  if (xs.length === 0) return ' '.repeat(width)
  const top = max ?? Math.max(...xs, 1)
  const line = xs.map((x) => sparks[Math.max(0, Math.min(7, Math.round((x / top) * 7)))]).join('')
  return line.padStart(width, ' ')
}

export function formatNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-'
  return n.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

export function clock(iso: string | undefined): string {
  return iso ? iso.slice(11, 19) : '--:--:--'
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`
}
