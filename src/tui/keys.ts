// The panel's key map: every binding (a command, the keys that trigger it, its help text) is declared
// once here; the input handler (app.tsx), the help screen, the footer and the command description
// are all derived from it, so they cannot drift apart. No Ink or React at runtime: the command file
// imports this for its description, and oclif loads that file for --help and the manifest.
import type {Key} from 'ink'

export const views = ['dashboard', 'users', 'strategies', 'orders', 'alerts', 'engines'] as const
export type View = (typeof views)[number]

/** Where the panel is; a binding applies only in its modes (Enter and Esc mean different things). */
export type Mode = 'dashboard' | 'table' | 'detail' | 'filtering' | 'help'

/** One key: its label in the help, what a terminal sends for it (tests press that), and its test. */
export interface KeySpec {
  label: string
  sequence: string
  match: (input: string, key: Key) => boolean
}

export type Command =
  | 'view' | 'nextView' | 'filter' | 'sort' | 'reverse' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'details' | 'back'
  | 'pause' | 'help' | 'quit' | 'keepFilter' | 'clearFilter' | 'deleteChar' | 'typeChar' | 'closeHelp'

interface BindingBase {
  keys: readonly KeySpec[]
  help: string
  modes: readonly Mode[]
  /** Bindings with the same row share one line of the help ("1 2 3 4 5  dashboard, users, …"). */
  row?: string
  /** The short form shown in the footer and the command description; most bindings have none. */
  hint?: {keys: string; text: string}
}
export type Binding = BindingBase & ({command: 'view'; view: View} | {command: Exclude<Command, 'view'>})

const char = (c: string): KeySpec => ({label: c, sequence: c, match: (input) => input === c})
const special = (label: string, sequence: string, match: (key: Key) => boolean): KeySpec => ({label, sequence, match: (_, key) => match(key)})

const browsing: readonly Mode[] = ['dashboard', 'table']
const anywhere: readonly Mode[] = ['dashboard', 'table', 'detail']

/**
 * Every binding, in the order of the help. The first binding of the mode whose key matches wins;
 * only the filter's catch-all (typing) relies on that, so it comes after Enter, Esc and Backspace.
 */
export const keyMap: readonly Binding[] = [
  ...views.map((view, i): Binding => ({command: 'view', view, keys: [char(String(i + 1))], help: view, modes: browsing, row: 'views', ...(i === 0 ? {hint: {keys: `1-${views.length}`, text: 'views'}} : {})})),
  {command: 'nextView', keys: [special('Tab', '\t', (k) => k.tab)], help: 'next view', modes: browsing},
  {command: 'filter', keys: [char('/')], help: 'filter the table', modes: ['table'], hint: {keys: '/', text: 'filter'}},
  {command: 'sort', keys: [char('s')], help: 'sort by the next column', modes: ['table'], row: 'sort', hint: {keys: 's', text: 'sort'}},
  {command: 'reverse', keys: [char('S')], help: 'reverse the order', modes: ['table'], row: 'sort'},
  {command: 'up', keys: [special('↑', '\u001b[A', (k) => k.upArrow), char('k')], help: 'select the row above', modes: ['table'], hint: {keys: '↑↓', text: 'select'}},
  {command: 'down', keys: [special('↓', '\u001b[B', (k) => k.downArrow), char('j')], help: 'select the row below', modes: ['table']},
  {command: 'pageUp', keys: [special('PgUp', '\u001b[5~', (k) => k.pageUp)], help: 'a page up', modes: ['table'], row: 'page'},
  {command: 'pageDown', keys: [special('PgDn', '\u001b[6~', (k) => k.pageDown)], help: 'a page down', modes: ['table'], row: 'page'},
  {command: 'details', keys: [special('Enter', '\r', (k) => k.return)], help: "details (an order's state history)", modes: ['table'], hint: {keys: 'Enter', text: 'detail'}},
  {command: 'back', keys: [special('Esc', '\u001b', (k) => k.escape)], help: 'back (leave the details, clear the filter)', modes: ['table', 'detail']},
  {command: 'pause', keys: [char('p')], help: 'pause / resume updates', modes: anywhere, hint: {keys: 'p', text: 'pause'}},
  {command: 'help', keys: [char('?')], help: 'this help', modes: anywhere, hint: {keys: '?', text: 'help'}},
  {command: 'quit', keys: [char('q'), {label: 'Ctrl-C', sequence: '\u0003', match: (input, k) => k.ctrl && input === 'c'}], help: 'quit', modes: anywhere, hint: {keys: 'q', text: 'quit'}},
  {command: 'keepFilter', keys: [special('Enter', '\r', (k) => k.return)], help: 'keep the filter', modes: ['filtering']},
  {command: 'clearFilter', keys: [special('Esc', '\u001b', (k) => k.escape)], help: 'clear the filter', modes: ['filtering']},
  // Ink reports the Backspace key (\x7f) as delete.
  {command: 'deleteChar', keys: [special('Backspace', '\u007f', (k) => k.backspace || k.delete)], help: 'delete the last character', modes: ['filtering']},
  {command: 'typeChar', keys: [{label: 'typing', sequence: 'a', match: (input, k) => input !== '' && !k.ctrl && !k.meta}], help: 'add to the filter', modes: ['filtering']},
  {command: 'closeHelp', keys: [{label: 'any key', sequence: 'x', match: () => true}], help: 'back to the panel', modes: ['help']},
]

/** The binding a key press triggers in `mode`, if any. */
export function resolveKey(mode: Mode, input: string, key: Key): Binding | undefined {
  return keyMap.find((b) => b.modes.includes(mode) && b.keys.some((k) => k.match(input, key)))
}

export interface HelpRow {
  keys: string
  help: string
}

/** The help screen: the panel's keys, the filter prompt's, the help's own; `row` merges lines. */
export const helpSections: readonly {title: string; rows: readonly HelpRow[]}[] = [
  {title: 'Keys', rows: helpRows((b) => !b.modes.includes('filtering') && !b.modes.includes('help'))},
  {title: 'While filtering', rows: helpRows((b) => b.modes.includes('filtering'))},
  {title: 'In this help', rows: helpRows((b) => b.modes.includes('help'))},
]

function helpRows(which: (b: Binding) => boolean): HelpRow[] {
  const rows: (HelpRow & {row?: string})[] = []
  for (const b of keyMap.filter(which)) {
    const keys = b.keys.map((k) => k.label).join(' ')
    const last = rows.at(-1)
    if (b.row && last?.row === b.row) {
      last.keys += ` ${keys}`
      last.help += `, ${b.help}`
    } else rows.push({keys, help: b.help, row: b.row})
  }
  return rows.map(({keys, help}) => ({keys, help}))
}

const hints = keyMap.flatMap((b) => (b.hint ? [`${b.hint.keys} ${b.hint.text}`] : []))

/** The panel's bottom line: two spaces between hints keep it within 80 columns (with " · " it was 84). */
export const FOOTER_SEPARATOR = '  '
export const footerHint = hints.join(FOOTER_SEPARATOR)

/** For `ordermon monitor real-time`'s description (static, so a constant). */
export const keySummary = `Keys: ${hints.join(', ')}.`
