/** Every key the panel understands, in one place: the help screen (?) is generated from this list. */
export const keyBindings = [
  {keys: '1 2 3 4 5', action: 'dashboard, users, strategies, orders, alerts'},
  {keys: 'Tab', action: 'next view'},
  {keys: '/', action: 'filter the table (Enter keeps it, Esc clears it)'},
  {keys: 's / S', action: 'sort by the next column / reverse the order'},
  {keys: '↑ ↓  PgUp PgDn', action: 'move the selection'},
  {keys: 'Enter', action: "details (an order's state history)"},
  {keys: 'Esc', action: 'back'},
  {keys: 'p', action: 'pause / resume updates'},
  {keys: '?', action: 'this help'},
  {keys: 'q  Ctrl-C', action: 'quit'},
] as const

export const views = ['dashboard', 'users', 'strategies', 'orders', 'alerts'] as const
export type View = (typeof views)[number]
