import type {TableColumn} from './columns.js'

export interface TableState {
  filter: string
  sortColumn: number | null
  descending: boolean
  selected: number
}

export const initialTable: TableState = {filter: '', sortColumn: null, descending: false, selected: 0}

/** Filters (case-insensitive, any column) and sorts rows as the table's state says. */
export function visibleRows<T>(rows: T[], columns: TableColumn<T>[], state: TableState): T[] {
  const f = state.filter.trim().toLowerCase()
  let out = f ? rows.filter((r) => columns.some((c) => String(c.get(r) ?? '').toLowerCase().includes(f))) : rows
  if (state.sortColumn !== null) {
    const col = columns[state.sortColumn]!
    const dir = state.descending ? -1 : 1
    out = [...out].sort((a, b) => {
      const x = col.get(a)
      const y = col.get(b)
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir
      return String(x ?? '').localeCompare(String(y ?? '')) * dir
    })
  }
  return out
}
