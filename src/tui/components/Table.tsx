import {Box, Text} from 'ink'
import type {TableColumn} from '../columns.js'
import {fit} from '../text.js'

/** Marks the selected row in a gutter every row has: visible without colour, where inverse is not. */
export const SELECTED_MARK = '>'
const GUTTER = 2

/**
 * A live table: fixed-width columns (CJK-aware), the selected row marked (`> ` and inverse), and as
 * many rows as fit, scrolled so the selection stays in view. The last column takes any spare width.
 */
export function Table<T>({columns, rows, rowKey, selected, height, width, sortColumn, descending}: {columns: TableColumn<T>[]; rows: T[]; rowKey: (r: T) => string; selected: number; height: number; width: number; sortColumn: number | null; descending: boolean}) {
  const fixed = columns.slice(0, -1).reduce((a, c) => a + c.width + 1, 0)
  const widths = columns.map((c, i) => (i === columns.length - 1 ? Math.max(c.width, width - GUTTER - fixed) : c.width))
  const visible = Math.max(1, height - 1)
  const top = Math.max(0, Math.min(selected - Math.floor(visible / 2), rows.length - visible))
  const cell = (c: TableColumn<T>, r: T, i: number) => fit(String(c.get(r) ?? '-'), widths[i]!, c.align)
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {' '.repeat(GUTTER)}
        {columns.map((c, i) => fit(`${c.header}${sortColumn === i ? (descending ? ' ▼' : ' ▲') : ''}`, widths[i]!, c.align)).join(' ')}
      </Text>
      {rows.slice(top, top + visible).map((r, idx) => (
        <Text key={rowKey(r)} inverse={top + idx === selected} wrap="truncate">
          {(top + idx === selected ? SELECTED_MARK : ' ').padEnd(GUTTER)}
          {columns.map((c, i) => cell(c, r, i)).join(' ')}
        </Text>
      ))}
      {rows.length === 0 ? <Text dimColor>(no rows)</Text> : null}
    </Box>
  )
}
