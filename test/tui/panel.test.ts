import {afterEach, describe, expect, it, vi} from 'vitest'

// Ink colours through chalk, which decides at import whether to emit ANSI codes: the selected row is
// drawn inverse, and the tests read that from the frame.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '1'
})

import {EventEmitter} from 'node:events'
import React from 'react'
import {render, cleanup} from 'ink-testing-library'
import chalk from 'chalk'
import stringWidth from 'string-width'
import stripAnsi from 'strip-ansi'
import type {EventMessage} from '../../src/engine/bus/channels.js'
import type {MetricsSnapshot} from '../../src/engine/metrics/snapshot.js'
import type {OrderLog} from '../../src/engine/store/index.js'
import {App, FRAME_MS, type PanelSource} from '../../src/tui/app.js'
import type {FeedStatus} from '../../src/tui/feed.js'
import {readFileSync} from 'node:fs'
import MonitorRealTime from '../../src/commands/monitor/real-time.js'
import {FOOTER_SEPARATOR, footerHint, helpSections, keyMap, keySummary, views, type Binding, type Command, type Mode} from '../../src/tui/keys.js'
import {applyEvent, emptyModel, type PanelModel} from '../../src/tui/model.js'

/**
 * The live panel as Ink draws it (ink-testing-library): dashboard, the five views, filter, sort,
 * selection, order detail, pause, help, quit, an 80x24 terminal with CJK names, the disconnected
 * header, and frame coalescing. Its input is a PanelSource built from a real PanelModel fed with
 * the events the engine writes.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const tick = () => sleep(50)
const KEY = {down: '\u001b[B', up: '\u001b[A', enter: '\r', esc: '\u001b', tab: '\t'}
const INVERSE = '\u001b[7m'

let nextId = 1
const at = (n: number) => new Date(Date.UTC(2024, 0, 15, 9, 30, 0) + n * 1000).toISOString()

function event(type: string, entity_id: string, payload: Record<string, unknown>, extra: Partial<EventMessage> = {}): EventMessage {
  const id = nextId++
  const entity_type = type.split('.')[0]!
  return {id, type, entity_type, entity_id, user_id: entity_type === 'user' ? entity_id : null, source: 'cli', created_at: at(id), payload, ...extra}
}

function snapshot(n: number, s: Partial<MetricsSnapshot['system']>, b: Partial<MetricsSnapshot['business']>): MetricsSnapshot {
  return {
    at: at(n),
    instance_id: 'node-7f3a',
    system: {cpu_pct: 0, memory_pct: 0, memory_used_mb: 0, memory_total_mb: 16384, disk_read_kb_s: 0, disk_write_kb_s: 0, disk_io_pct: 0, net_rx_kb_s: 0, net_tx_kb_s: 0, net_io_pct: 0, ...s},
    business: {active_users: 0, running_strategies: 0, open_orders: 0, fills_today: 0, tps: 0, avg_latency_ms: null, p99_latency_ms: null, events_per_s: 0, ...b},
    process: {rss_mb: 90},
  }
}

const metricsEvent = (m: MetricsSnapshot) => event('system.metrics', m.instance_id, m as unknown as Record<string, unknown>, {entity_type: 'system', source: 'engine'})

const order = (type: string, id: string, userId: string, payload: Record<string, unknown>, source = 'engine') => event(type, id, payload, {entity_type: 'order', user_id: userId, source})

/** The sample desk: users loaded from the database (as LiveFeed does), then live events. */
function sampleModel(): PanelModel {
  const m = emptyModel()
  // Not in id order, so sorting visibly changes the order.
  const users = [
    {user_id: 'U000003', username: 'trader003', name: '王五', type: 'personal', status: 'suspended'},
    {user_id: 'U000001', username: 'trader001', name: '张三', type: 'professional', status: 'active'},
    {user_id: 'U000004', username: 'trader004', name: 'Alice Martin', type: 'professional', status: 'locked'},
    {user_id: 'U000002', username: 'trader002', name: '李四', type: 'institutional', status: 'active'},
    {user_id: 'U000005', username: 'analyst001', name: '欧阳娜娜娜娜娜娜', type: 'professional', status: 'active'},
  ]
  for (const u of users) m.users.set(u.user_id, u)
  applyEvent(m, event('strategy.created', 'STR001', {name: '动量策略', type: 'momentum', status: 'stopped'}, {entity_type: 'strategy', user_id: 'U000001'}))
  applyEvent(m, event('strategy.started', 'STR001', {from: 'stopped', to: 'running', reason: null}, {entity_type: 'strategy', user_id: 'U000001'}))
  applyEvent(m, event('strategy.created', 'STR002', {name: '套利策略', type: 'arbitrage', status: 'paused'}, {entity_type: 'strategy', user_id: 'U000002'}))
  applyEvent(m, event('strategy.created', 'STR003', {name: '网格策略', type: 'grid', status: 'stopped'}, {entity_type: 'strategy', user_id: 'U000001'}))
  applyEvent(m, metricsEvent(snapshot(1, {cpu_pct: 12, memory_pct: 30, disk_io_pct: 1, net_io_pct: 2}, {active_users: 1, running_strategies: 1, open_orders: 1, fills_today: 1, tps: 1, avg_latency_ms: 9.9})))
  applyEvent(m, order('order.created', 'ORD000001', 'U000001', {to: 'pending', symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 100, price: 150.5}, 'cli'))
  applyEvent(m, order('order.created', 'ORD000002', 'U000002', {to: 'pending', symbol: 'MSFT', side: 'sell', order_type: 'limit', quantity: 20, price: 320.4}, 'cli'))
  applyEvent(m, order('order.created', 'ORD000003', 'U000001', {to: 'pending', symbol: 'TSLA', side: 'buy', order_type: 'market', quantity: 5, price: null}, 'cli'))
  applyEvent(m, order('order.partially_filled', 'ORD000001', 'U000001', {from: 'pending', to: 'partially_filled', symbol: 'AAPL', side: 'buy', quantity: 100, price: 150.5, filled_quantity: 40, filled_delta: 40, fill_price: 150.45}))
  applyEvent(m, order('order.filled', 'ORD000003', 'U000001', {from: 'pending', to: 'filled', symbol: 'TSLA', side: 'buy', quantity: 5, price: null, filled_quantity: 5, filled_delta: 5, fill_price: 242.8}))
  applyEvent(m, order('order.cancelled', 'ORD000002', 'U000002', {from: 'pending', to: 'cancelled', symbol: 'MSFT', side: 'sell', quantity: 20, price: 320.4, filled_quantity: 0}, 'cli'))
  // The latest snapshot: the dashboard shows these numbers, not the first one's.
  applyEvent(m, metricsEvent(snapshot(2, {cpu_pct: 42.4, memory_pct: 63.6, disk_io_pct: 7, net_io_pct: 91}, {active_users: 3, running_strategies: 2, open_orders: 1234, fills_today: 5678, tps: 12.5, avg_latency_ms: 3.4, p99_latency_ms: 12})))
  return m
}

const history: Record<string, OrderLog[]> = {
  ORD000002: [
    {id: 11, order_id: 'ORD000002', from_status: null, to_status: 'pending', filled_delta: 0, price: 320.4, quantity: 20, reason: 'created', source: 'cli', actor: 'alice', at: '2024-01-15T09:30:02.125Z'},
    {id: 12, order_id: 'ORD000002', from_status: 'pending', to_status: 'cancelled', filled_delta: 0, price: null, quantity: null, reason: 'cancelled by user', source: 'cli', actor: 'alice', at: '2024-01-15T09:30:09.500Z'},
  ],
}

/** The UI's input contract: the model, the feed status, and change/status notifications. */
class TestSource extends EventEmitter implements PanelSource {
  status: FeedStatus = {connection: 'live', source: 'redis', target: 'redis://127.0.0.1:6379/0'}
  readonly asked: string[] = []
  constructor(readonly model: PanelModel = sampleModel()) {
    super()
  }
  async orderHistory(orderId: string): Promise<OrderLog[]> {
    this.asked.push(orderId)
    return history[orderId] ?? []
  }
}

/**
 * ink-testing-library's stdout is 100 columns, without rows. Its Stdout class is not exported, so the
 * size is set on its prototype: Ink lays out the root and App reads useStdout() from the first frame.
 */
const terminal: {columns: number; rows?: number} = {columns: 100}
{
  const probe = render(React.createElement(React.Fragment))
  const proto = Object.getPrototypeOf(probe.stdout) as object
  probe.unmount()
  Object.defineProperty(proto, 'columns', {get: () => terminal.columns, configurable: true})
  Object.defineProperty(proto, 'rows', {get: () => terminal.rows, configurable: true})
}

/** Renders the App in a terminal of `size` (default 100 columns, rows unset: the App assumes 24). */
async function renderPanel(source: PanelSource, size?: {columns: number; rows: number}) {
  let unmounted = false
  function Probe() {
    React.useEffect(() => () => void (unmounted = true), [])
    return null
  }
  const el = React.createElement(React.Fragment, null, React.createElement(App, {source}), React.createElement(Probe))
  terminal.columns = size?.columns ?? 100
  terminal.rows = size?.rows
  const r = render(el)
  await tick()
  const frame = () => r.lastFrame() ?? ''
  const text = () => stripAnsi(frame())
  const lines = () => text().split('\n')
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k)
      await tick()
    }
  }
  /** The row lines of the table under its header line, stripped, without the selection gutter. */
  const tableRows = (header: RegExp) => {
    const ls = lines()
    const h = ls.findIndex((l) => header.test(l))
    expect(h, `no header ${header} in:\n${text()}`).toBeGreaterThanOrEqual(0)
    return ls
      .slice(h + 1)
      .filter((l) => /^[> ] ((U|STR|ORD)\d|host-)/.test(l))
      .map((l) => l.slice(2))
  }
  return {...r, frame, text, lines, press, tableRows, unmounted: () => unmounted}
}

afterEach(() => {
  cleanup()
  terminal.columns = 100
  terminal.rows = undefined
})

// Table lines start with a two-column gutter (`> ` on the selected row).
const usersHeader = /^ {2}ID\b.*Username.*Name.*Type.*Status/m
const ordersHeader = /^ {2}Order\b.*User.*Symbol.*Side.*Qty.*Price.*Filled.*Status/m

describe('dashboard', () => {
  it('shows the system bars with percentages and the business numbers of the latest metrics snapshot', async () => {
    const p = await renderPanel(new TestSource())
    const ls = p.lines()
    const gauge = (label: string) => {
      const line = ls.find((l) => l.startsWith(label))
      expect(line, `${label} line in:\n${p.text()}`).toBeDefined()
      const m = /^(\S+(?: \S+)?)\s+([█░]+)\s+(\d+)%/.exec(line!)
      expect(m, line).not.toBeNull()
      const full = [...m![2]!].filter((c) => c === '█').length
      return {pct: Number(m![3]), filled: full / [...m![2]!].length}
    }
    const cpu = gauge('CPU')
    expect(cpu.pct).toBe(42)
    expect(cpu.filled).toBeCloseTo(0.424, 1)
    const mem = gauge('Memory')
    expect(mem.pct).toBe(64)
    expect(mem.filled).toBeCloseTo(0.636, 1)
    const disk = gauge('Disk IO')
    expect(disk.pct).toBe(7)
    expect(disk.filled).toBeLessThan(0.15)
    const net = gauge('Net IO')
    expect(net.pct).toBe(91)
    expect(net.filled).toBeGreaterThan(0.85)

    const stat = (label: string) => {
      const line = ls.find((l) => l.includes(label))
      expect(line, `${label} in:\n${p.text()}`).toBeDefined()
      return line!.slice(line!.indexOf(label) + label.length).trim().split(/\s{2,}/)[0]
    }
    expect(p.text()).toMatch(/System/)
    expect(p.text()).toMatch(/Business/)
    expect(stat('Active users')).toBe('3')
    expect(stat('Running strategies')).toBe('2')
    expect(stat('Orders in progress')).toBe('1,234')
    expect(stat('Fills today')).toBe('5,678')
    expect(stat('TPS')).toBe('12.5')
    expect(stat('Avg latency')).toBe('3.4ms p99 12')
  })

  it('shows a slow latency whole at 80x24: the p99 figure is not cut off', async () => {
    const source = new TestSource()
    applyEvent(source.model, metricsEvent(snapshot(3, {cpu_pct: 5}, {tps: 2.4, avg_latency_ms: 106.9, p99_latency_ms: 250.3})))
    const p = await renderPanel(source, {columns: 80, rows: 24})
    const line = p.lines().find((l) => l.includes('Avg latency'))!
    expect(line, p.text()).toMatch(/Avg latency\s+106\.9ms p99 250$/)
    expect(stringWidth(line)).toBeLessThanOrEqual(80)
    expect(p.lines().find((l) => l.includes('TPS'))).toMatch(/TPS\s+2\.4$/)
  })

  it('lists the recent activity, newest first, and says there are no alerts', async () => {
    const p = await renderPanel(new TestSource())
    const t = p.text()
    expect(t).toMatch(/Recent activity/)
    const cancelled = t.indexOf('order ORD000002 cancelled (trader002)')
    const filled = t.indexOf('order ORD000003 filled @ 242.8 (trader001)')
    const placed = t.indexOf('trader001 placed ORD000001: buy 100 AAPL @ 150.5')
    expect(cancelled).toBeGreaterThan(0)
    expect(filled).toBeGreaterThan(cancelled)
    expect(placed).toBeGreaterThan(filled)
    expect(t).toMatch(/• 09:30:\d\d order ORD000002 cancelled/)
    expect(t).toMatch(/Active alerts/)
    expect(t).toMatch(/no alerts/)
    // The header: engine running (metrics arrive), the instance, the live feed.
    expect(p.lines()[0]).toMatch(/ordermon .*● running .*│ redis live.*node-7f3a/)
  })

  it('shows an alert instead of "no alerts" once one arrives, and in the alerts view', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    applyEvent(source.model, event('alert.raised', 'risk-1', {level: 'error', category: 'risk', message: '张三 daily loss limit reached'}, {entity_type: 'alert', source: 'engine'}))
    source.emit('change')
    await sleep(FRAME_MS * 2 + 50)
    expect(p.text()).not.toMatch(/no alerts/)
    // The alerts column is narrow: the message is cut with …
    expect(p.text()).toMatch(/09:30:\d\d 张三 daily loss limit/)
    await p.press('5')
    const ls = p.lines()
    const h = ls.findIndex((l) => /^ {2}Time\s+Level\s+Type\s+Message/.test(l))
    expect(h, p.text()).toBeGreaterThan(0)
    expect(ls[h + 1]).toMatch(/^> \d\d:\d\d:\d\d\s+error\s+risk\s+张三 daily loss limit reached/)
  })
})

describe('views and tables', () => {
  it('keys 1-6 and Tab switch views, each with its table header', async () => {
    const p = await renderPanel(new TestSource())
    const expectView = (name: string, header: RegExp | null) => {
      const t = p.text()
      const tabs = p.lines()[1]!
      // The current view's tab is bracketed and drawn inverse; no other tab is bracketed.
      expect(p.frame(), `${name} tab`).toContain(`${INVERSE}[${['dashboard', 'users', 'strategies', 'orders', 'alerts', 'engines'].indexOf(name) + 1} ${name}]`)
      expect(tabs.match(/\[/g), tabs).toHaveLength(1)
      expect(tabs).toContain('1 dashboard')
      if (header) expect(t, name).toMatch(header)
      else expect(t).toMatch(/Recent activity/)
    }
    expectView('dashboard', null)
    await p.press('2')
    expectView('users', usersHeader)
    expect(p.lines()[1]).toMatch(/5 rows/)
    await p.press('3')
    expectView('strategies', /^ {2}Strategy\s+Name\s+Type\s+User\s+Status/m)
    expect(p.text()).toMatch(/STR001\s+动量策略\s+momentum\s+U000001\s+running/)
    expect(p.text()).toMatch(/STR002\s+套利策略\s+arbitrage\s+U000002\s+paused/)
    await p.press('4')
    expectView('orders', /^ {2}Order\s+User\s+Symbol\s+Side\s+Qty\s+Price\s+Filled\s+Status/m)
    await p.press('5')
    expectView('alerts', /^ {2}Time\s+Level\s+Type\s+Message/m)
    expect(p.text()).toMatch(/\(no rows\)/)
    await p.press('6')
    expectView('engines', /^ {2}Instance\s+Host\s+PID\s+Status\s+Shards\s+Users/m)
    await p.press('1')
    expectView('dashboard', null)
    // Tab goes round: dashboard → users → strategies → orders → alerts → dashboard.
    for (const [name, header] of [
      ['users', usersHeader],
      ['strategies', /^ {2}Strategy\b/m],
      ['orders', /^ {2}Order\b/m],
      ['alerts', /^ {2}Time\b/m],
      ['engines', /^ {2}Instance\b/m],
      ['dashboard', null],
    ] as const) {
      await p.press(KEY.tab)
      expectView(name, header)
    }
  })

  it('the engines view (6) lists the live engines with host, pid, shards, users; the leader marked', async () => {
    const model = sampleModel()
    const row = (n: number, shards: number, users: number, leader: boolean) => ({instance_id: `host-${n}-1000${n}-abc`, hostname: `host-${n}`, pid: 1000 + n, status: 'running', started_at: new Date().toISOString(), heartbeat_age_s: 0.4, users, strategies: users * 3, open_orders: 10, shards, leader})
    model.engine = {...model.engine, status: 'running', engines: 2, list: [row(1, 32, 101, true), row(2, 32, 99, false)]}
    const p = await renderPanel(new TestSource(model))
    expect(p.lines()[0]).toMatch(/2 engines/)
    await p.press('6')
    const rows = p.tableRows(/^ {2}Instance\s+Host\s+PID\s+Status\s+Shards\s+Users/m)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatch(/^host-1-10001-abc\s+host-1\s+1001\s+running leader\s+32\s+101/)
    expect(rows[1]).toMatch(/^host-2-10002-abc\s+host-2\s+1002\s+running\s+32\s+99/)
  })

  it('the orders table lists every order newest first with its columns', async () => {
    const p = await renderPanel(new TestSource())
    await p.press('4')
    const rows = p.tableRows(ordersHeader)
    expect(rows.map((r) => r.slice(0, 9))).toEqual(['ORD000002', 'ORD000003', 'ORD000001'])
    expect(rows[0]).toMatch(/^ORD000002\s+U000002\s+MSFT\s+sell\s+20\s+320.4\s+0\s+cancelled/)
    expect(rows[1]).toMatch(/^ORD000003\s+U000001\s+TSLA\s+buy\s+5\s+-\s+5\s+filled/)
    expect(rows[2]).toMatch(/^ORD000001\s+U000001\s+AAPL\s+buy\s+100\s+150.5\s+40\s+partially_filled/)
  })

  it('/ then typing filters the table (张 → only 张三), Enter keeps the filter, Esc clears it', async () => {
    const p = await renderPanel(new TestSource())
    await p.press('2')
    expect(p.tableRows(usersHeader)).toHaveLength(5)
    await p.press('/')
    // The filter prompt replaces the key hints.
    expect(p.lines().some((l) => l.startsWith('/'))).toBe(true)
    await p.press('张')
    let rows = p.tableRows(usersHeader)
    expect(rows, p.text()).toHaveLength(1)
    expect(rows[0]).toMatch(/^U000001\s+trader001\s+张三\s+professional\s+active/)
    expect(p.lines()[1]).toMatch(/1 rows matching "张"/)
    expect(p.lines().some((l) => l.startsWith('/张'))).toBe(true)
    // Enter keeps it and leaves the prompt.
    await p.press(KEY.enter)
    expect(p.tableRows(usersHeader)).toHaveLength(1)
    expect(p.lines()[1]).toMatch(/1 rows matching "张"/)
    expect(p.text()).toMatch(/q quit/)
    // Esc clears it.
    await p.press(KEY.esc)
    expect(p.tableRows(usersHeader)).toHaveLength(5)
    expect(p.lines()[1]).toMatch(/5 rows/)
    expect(p.lines()[1]).not.toMatch(/matching/)
    // Typing in the prompt, backspace, and Esc from within the prompt.
    await p.press('/', 't', 'r', 'a', 'd', 'e', 'r', '0', '0', '4')
    expect(p.tableRows(usersHeader).map((r) => r.slice(0, 7))).toEqual(['U000004'])
    await p.press('\u007f')
    expect(p.lines()[1]).toMatch(/4 rows matching "trader00"/)
    await p.press(KEY.esc)
    expect(p.tableRows(usersHeader)).toHaveLength(5)
    expect(p.text()).toMatch(/q quit/)
  })

  it('s sorts by the next column (▲), S reverses it (▼)', async () => {
    const p = await renderPanel(new TestSource())
    await p.press('2')
    const ids = () => p.tableRows(usersHeader).map((r) => r.slice(0, 7))
    const header = () => p.lines().find((l) => usersHeader.test(l))!
    // Unsorted: the order the model holds them in.
    expect(ids()).toEqual(['U000003', 'U000001', 'U000004', 'U000002', 'U000005'])
    expect(header()).not.toMatch(/[▲▼]/)
    await p.press('s')
    expect(ids()).toEqual(['U000001', 'U000002', 'U000003', 'U000004', 'U000005'])
    expect(header()).toMatch(/^ {2}ID ▲/)
    await p.press('s')
    // By username: analyst001 first.
    expect(ids()).toEqual(['U000005', 'U000001', 'U000002', 'U000003', 'U000004'])
    expect(header()).toMatch(/Username ▲/)
    expect(header()).not.toMatch(/ID ▲/)
    await p.press('S')
    expect(ids()).toEqual(['U000004', 'U000003', 'U000002', 'U000001', 'U000005'])
    expect(header()).toMatch(/Username ▼/)
    // Numbers sort as numbers: the orders' quantities (5, 20, 100) by the Qty column.
    await p.press('4', 's', 's', 's', 's', 's')
    expect(p.lines().find((l) => ordersHeader.test(l))).toMatch(/Qty ▲/)
    expect(p.tableRows(ordersHeader).map((r) => r.slice(0, 9))).toEqual(['ORD000003', 'ORD000002', 'ORD000001'])
    await p.press('S')
    expect(p.tableRows(ordersHeader).map((r) => r.slice(0, 9))).toEqual(['ORD000001', 'ORD000002', 'ORD000003'])
  })

  it('↓ and ↑ move the selection, drawn inverse and marked >', async () => {
    const p = await renderPanel(new TestSource())
    await p.press('2')
    const selected = () => {
      const raw = p.frame().split('\n').filter((l) => l.includes(INVERSE) && /U\d{6}/.test(stripAnsi(l)))
      expect(raw, p.frame()).toHaveLength(1)
      // Marked in the gutter too, not by inverse video alone.
      expect(stripAnsi(raw[0]!)).toMatch(/^> U\d{6}/)
      return stripAnsi(raw[0]!).slice(2, 9)
    }
    expect(selected()).toBe('U000003')
    await p.press(KEY.down)
    expect(selected()).toBe('U000001')
    await p.press(KEY.down, KEY.down)
    expect(selected()).toBe('U000002')
    await p.press(KEY.up)
    expect(selected()).toBe('U000004')
    // Stops at the ends.
    await p.press(KEY.down, KEY.down, KEY.down, KEY.down)
    expect(selected()).toBe('U000005')
    await p.press(KEY.up, KEY.up, KEY.up, KEY.up, KEY.up, KEY.up)
    expect(selected()).toBe('U000003')
  })

  it('Enter on an order shows its state history from source.orderHistory; Esc goes back', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    await p.press('4')
    // Newest first: ORD000002 (cancelled) is the first row; move onto it from the second and back.
    await p.press(KEY.down, KEY.up)
    await p.press(KEY.enter)
    await tick()
    expect(source.asked).toEqual(['ORD000002'])
    const t = p.text()
    expect(t).toMatch(/ORD000002 sell 20 MSFT @ 320.4 · cancelled · filled 0 · user U000002/)
    expect(t).toMatch(/Time\s+From\s+To\s+Filled\s+Source\s+Reason/)
    expect(t).toMatch(/09:30:02.125\s+\(new\)\s+pending\s+cli\s+created/)
    expect(t).toMatch(/09:30:09.500\s+pending\s+cancelled\s+cli\s+cancelled by user/)
    expect(t).not.toMatch(/loading…/)
    expect(t).toMatch(/Esc: back/)
    // Table keys do nothing in the detail.
    await p.press(KEY.down, '2')
    expect(p.text()).toMatch(/ORD000002 sell 20 MSFT/)
    await p.press(KEY.esc)
    expect(p.text()).toMatch(ordersHeader)
    expect(p.text()).not.toMatch(/Esc: back/)
    // Enter on another row asks for that order.
    await p.press(KEY.down, KEY.down, KEY.enter)
    expect(source.asked).toEqual(['ORD000002', 'ORD000001'])
    expect(p.text()).toMatch(/ORD000001 buy 100 AAPL @ 150.5 · partially_filled · filled 40 · user U000001/)
  })

  it('Enter does nothing outside the orders view', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    await p.press('2', KEY.enter)
    expect(source.asked).toEqual([])
    expect(p.text()).toMatch(usersHeader)
  })
})

describe('pause, help, quit, status', () => {
  it('p pauses: PAUSED in the header and the frame stays while the model changes; p again resumes', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    await p.press('4')
    await p.press('p')
    expect(p.lines()[0]).toMatch(/PAUSED/)
    const frozen = p.frame()
    applyEvent(source.model, order('order.created', 'ORD000777', 'U000002', {to: 'pending', symbol: 'GOOGL', side: 'buy', order_type: 'limit', quantity: 7, price: 141.2}, 'cli'))
    source.emit('change')
    await sleep(FRAME_MS * 3)
    expect(p.frame()).toBe(frozen)
    expect(p.text()).not.toMatch(/ORD000777/)
    await p.press('p')
    expect(p.lines()[0]).not.toMatch(/PAUSED/)
    expect(p.tableRows(ordersHeader)[0]).toMatch(/^ORD000777\s+U000002\s+GOOGL\s+buy\s+7\s+141.2\s+0\s+pending/)
  })

  it('? lists every binding of the key map, j and k too; any key goes back', async () => {
    const p = await renderPanel(new TestSource())
    await p.press('?')
    const t = p.text()
    for (const section of helpSections) {
      expect(p.lines(), t).toContain(section.title)
      for (const r of section.rows) expect(p.lines().some((l) => l.startsWith(r.keys) && l.endsWith(r.help)), `${r.keys} ${r.help} in:\n${t}`).toBe(true)
    }
    // Every binding: its keys and help on one line (merged rows included).
    for (const b of keyMap) {
      const line = p.lines().find((l) => b.keys.every((k) => l.includes(k.label)) && l.includes(b.help))
      expect(line, `${b.command} (${b.keys.map((k) => k.label)}) in:\n${t}`).toBeDefined()
    }
    expect(t).toMatch(/^↑ k\s+select the row above$/m)
    expect(t).toMatch(/^↓ j\s+select the row below$/m)
    await p.press('x')
    expect(p.text()).not.toMatch(/While filtering/)
    expect(p.text()).toMatch(/Recent activity/)
  })

  it('q exits the app: the tree unmounts and the panel stops listening to the source', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    expect(source.listenerCount('change')).toBe(1)
    expect(p.unmounted()).toBe(false)
    await p.press('q')
    expect(p.unmounted()).toBe(true)
    expect(source.listenerCount('change')).toBe(0)
    expect(source.listenerCount('status')).toBe(0)
    const last = p.frame()
    await p.press('2')
    expect(p.frame()).toBe(last)
  })

  it('a lost connection shows DISCONNECTED in the header, and live again when it comes back', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    expect(p.lines()[0]).not.toMatch(/DISCONNECTED/)
    source.status = {...source.status, connection: 'reconnecting', error: 'Redis connection lost'}
    source.emit('status', source.status)
    await sleep(FRAME_MS + 50)
    expect(p.lines()[0]).toMatch(/DISCONNECTED: Redis connection lost/)
    source.status = {...source.status, connection: 'live', error: undefined}
    source.emit('status', source.status)
    await sleep(FRAME_MS + 50)
    expect(p.lines()[0]).not.toMatch(/DISCONNECTED/)
    expect(p.lines()[0]).toMatch(/redis live/)
  })
})

describe('the key map (src/tui/keys.ts)', () => {
  type Panel = Awaited<ReturnType<typeof renderPanel>>
  const currentView = (p: Panel) => /\[\d (\w+)\]/.exec(p.lines()[1] ?? '')?.[1]
  /** The selected row's index in the orders table, -1 if none. */
  const selected = (p: Panel) => {
    const ls = p.lines()
    return ls
      .slice(ls.findIndex((l) => ordersHeader.test(l)) + 1)
      .filter((l) => /^[> ] ORD\d/.test(l))
      .findIndex((l) => l.startsWith('> '))
  }
  const prompt = (p: Panel) => p.lines().find((l) => l.startsWith('/'))
  const label = (b: Binding) => (b.command === 'view' ? `view ${b.view}` : b.command)

  /** How the tests reach each mode: with the test's own key sequences, not the map's. */
  async function enter(p: Panel, mode: Mode, tableKey = '4') {
    if (mode === 'table') await p.press(tableKey)
    if (mode === 'detail') await p.press('4', KEY.enter).then(tick)
    if (mode === 'filtering') await p.press('4', '/')
    if (mode === 'help') await p.press('?')
  }

  type State = {view?: string; selected: number; text: string}
  /**
   * What each command's help promises, as a check on the panel after its key: `before` are keys
   * pressed first (so there is something to move, clear or delete). A command in the map with no
   * entry here fails to compile and the test below fails.
   */
  const behaviours: Record<Command, {before?: (mode: Mode) => string[]; check: (p: Panel, was: State, b: Binding, mode: Mode, source: TestSource) => void | Promise<void>}> = {
    view: {check: (p, _, b) => expect(currentView(p)).toBe(b.command === 'view' && b.view)},
    nextView: {check: (p, was) => expect(currentView(p)).toBe(views[(views.indexOf(was.view as never) + 1) % views.length])},
    filter: {check: (p) => {
      expect(prompt(p), p.text()).toBe('/ ')
      expect(p.text()).not.toContain(footerHint)
    }},
    sort: {check: (p) => expect(p.lines().find((l) => ordersHeader.test(l))).toMatch(/^ {2}Order ▲/)},
    reverse: {check: (p) => expect(p.lines().find((l) => ordersHeader.test(l))).toMatch(/^ {2}Order ▼/)},
    up: {before: () => [KEY.down, KEY.down], check: (p, was) => expect([was.selected, selected(p)]).toEqual([2, 1])},
    down: {check: (p, was) => expect([was.selected, selected(p)]).toEqual([0, 1])},
    // A page is more than the three rows: one press goes from end to end.
    pageUp: {before: () => [KEY.down, KEY.down], check: (p, was) => expect([was.selected, selected(p)]).toEqual([2, 0])},
    pageDown: {check: (p, was) => expect([was.selected, selected(p)]).toEqual([0, 2])},
    details: {check: (p, _, __, ___, source) => {
      expect(source.asked).toEqual(['ORD000002'])
      expect(p.text()).toMatch(/ORD000002 sell 20 MSFT @ 320.4/)
      expect(p.text()).toMatch(/Esc: back/)
    }},
    // Back: out of the details, or (in a table) the filter cleared.
    back: {
      before: (mode) => (mode === 'table' ? ['/', 'T', KEY.enter] : []),
      check: (p, was, _, mode) => {
        expect(p.text()).toMatch(ordersHeader)
        expect(p.text()).not.toMatch(/Esc: back/)
        if (mode === 'table') expect([was.text.includes('matching "T"'), p.lines()[1]]).toEqual([true, expect.stringMatching(/3 rows$/)])
      },
    },
    pause: {check: async (p, _, b) => {
      expect(p.lines()[0]).toMatch(/PAUSED/)
      await p.press(b.keys[0]!.sequence)
      expect(p.lines()[0]).not.toMatch(/PAUSED/)
    }},
    // And any key brings back the screen it was opened from (the details too).
    help: {check: async (p, was) => {
      expect(p.lines()).toEqual(expect.arrayContaining(helpSections.map((s) => s.title)))
      await p.press('x')
      expect(p.lines().slice(1)).toEqual(was.text.split('\n').slice(1))
    }},
    quit: {check: (p) => expect(p.unmounted()).toBe(true)},
    keepFilter: {before: () => ['T'], check: (p) => {
      expect(prompt(p)).toBeUndefined()
      expect(p.lines()[1]).toMatch(/matching "T"/)
    }},
    clearFilter: {before: () => ['T'], check: (p) => {
      expect(prompt(p)).toBeUndefined()
      expect(p.lines()[1]).toMatch(/3 rows$/)
    }},
    deleteChar: {before: () => ['T', 'S'], check: (p, was) => {
      expect(was.text).toMatch(/matching "TS"/)
      expect(prompt(p)).toBe('/T ')
      expect(p.lines()[1]).toMatch(/matching "T"$/)
    }},
    typeChar: {check: (p, _, b) => expect(prompt(p)).toBe(`/${b.keys[0]!.sequence} `)},
    closeHelp: {check: (p) => {
      expect(p.text()).not.toMatch(/While filtering/)
      expect(p.text()).toMatch(/Recent activity/)
    }},
  }

  // Every key of every binding, in every mode it claims: press it, then check what its help says.
  const cases = keyMap.flatMap((b) => b.keys.flatMap((k) => b.modes.map((mode) => ({b, k, mode}))))
  it.each(cases.map((c) => [`${label(c.b)}: ${c.k.label} in ${c.mode}`, c] as const))('%s', async (_, {b, k, mode}) => {
    const behaviour = behaviours[b.command]
    expect(behaviour, `no behaviour test for ${b.command}`).toBeDefined()
    const source = new TestSource()
    const p = await renderPanel(source)
    // Switching to a view: from another one, so that the switch shows.
    await enter(p, mode, b.command === 'view' && b.view === 'orders' ? '2' : '4')
    await p.press(...(behaviour.before?.(mode) ?? []))
    const was = {view: currentView(p), selected: selected(p), text: p.text()}
    await p.press(k.sequence)
    await behaviour.check(p, was, b, mode, source)
  })

  // The order of the old handler's checks: the help takes any key, the prompt takes text, and a key
  // outside its modes does nothing.
  const sequences = [...new Set(keyMap.flatMap((b) => b.keys.map((k) => k.sequence)))]
  const show = (s: string) => JSON.stringify(s).replace('\x7f', '\\u007f')
  it.each(sequences.map((s) => [show(s), s]))('in the help, %s only closes it', async (_, seq) => {
    const p = await renderPanel(new TestSource())
    await p.press('?', seq)
    expect(p.unmounted()).toBe(false)
    expect(currentView(p)).toBe('dashboard')
    expect(p.lines()[0]).not.toMatch(/PAUSED/)
    expect(p.text()).not.toMatch(/While filtering/)
  })

  const printable = sequences.filter((s) => /^[\x21-\x7e]$/.test(s))
  it.each(printable.map((s) => [s]))('while filtering, %s is typed into the filter', async (seq) => {
    const p = await renderPanel(new TestSource())
    await enter(p, 'filtering')
    await p.press(seq)
    expect(prompt(p)).toBe(`/${seq} `)
    expect([p.unmounted(), currentView(p)]).toEqual([false, 'orders'])
  })

  for (const mode of ['dashboard', 'table', 'detail', 'filtering'] as const) {
    const active = new Set(keyMap.filter((b) => b.modes.includes(mode)).flatMap((b) => b.keys.map((k) => k.sequence)))
    const inactive = sequences.filter((s) => !active.has(s) && !(mode === 'filtering' && printable.includes(s)))
    it(`in ${mode}, the keys of other modes do nothing (${inactive.map(show).join(' ')})`, async () => {
      const source = new TestSource()
      const p = await renderPanel(source)
      await enter(p, mode)
      const asked = source.asked.length
      // Line 0 is the header with its clock.
      const body = () => p.lines().slice(1).join('\n')
      const was = body()
      for (const seq of inactive) {
        await p.press(seq)
        expect(body(), `after ${JSON.stringify(seq)}`).toBe(was)
      }
      expect(source.asked.length).toBe(asked)
    })
  }

  it('the footer is the hints of the map, in its order, and advertises help and quit', async () => {
    const p = await renderPanel(new TestSource())
    expect(p.lines().at(-1)).toBe(footerHint)
    const hinted = keyMap.filter((b) => b.hint)
    expect(footerHint.split(FOOTER_SEPARATOR)).toEqual(hinted.map((b) => `${b.hint!.keys} ${b.hint!.text}`))
    // It fits the smallest terminal the panel supports.
    expect(stringWidth(footerHint)).toBeLessThanOrEqual(80)
    // Each hint is the short form of a binding the tests above press.
    expect(hinted.map(label)).toEqual(['view dashboard', 'filter', 'sort', 'up', 'details', 'pause', 'help', 'quit'])
  })

  it('the command description lists the same keys, and keys.ts loads neither Ink nor React', () => {
    expect(MonitorRealTime.description).toContain(keySummary)
    for (const b of keyMap.filter((x) => x.hint)) expect(keySummary).toContain(`${b.hint!.keys} ${b.hint!.text}`)
    // `monitor real-time --help` and the oclif manifest import keys.ts through the command file.
    const src = readFileSync(new URL('../../src/tui/keys.ts', import.meta.url), 'utf8')
    const imports = src.match(/^import .*$/gm) ?? []
    expect(imports.filter((l) => !l.startsWith('import type ')), imports.join('\n')).toEqual([])
  })
})

describe('an 80x24 terminal', () => {
  const check = (p: Awaited<ReturnType<typeof renderPanel>>, what: string) => {
    const ls = p.lines()
    expect(ls.length, `${what}: ${ls.length} lines:\n${p.text()}`).toBeLessThanOrEqual(24)
    for (const l of ls) expect(stringWidth(l), `${what}: too wide: ${JSON.stringify(l)}`).toBeLessThanOrEqual(80)
  }

  it('every view fits: no line wider than 80 columns, at most 24 lines', async () => {
    const source = new TestSource()
    // Enough activity and orders to fill every list.
    for (let i = 0; i < 60; i++) applyEvent(source.model, order('order.created', `ORD1${String(i).padStart(5, '0')}`, i % 2 ? 'U000001' : 'U000002', {to: 'pending', symbol: 'GOOGL', side: 'buy', quantity: 1000 + i, price: 141.25}, 'cli'))
    applyEvent(source.model, event('alert.raised', 'lat-1', {level: 'warning', category: 'latency', message: 'p99 850ms'}, {entity_type: 'alert', source: 'engine'}))
    source.status = {connection: 'reconnecting', source: 'redis', target: 'redis://127.0.0.1:6379/0', error: 'Redis connection lost'}
    const p = await renderPanel(source, {columns: 80, rows: 24})
    check(p, 'dashboard')
    expect(p.text()).toMatch(/CPU/)
    for (const key of ['2', '3', '4', '5']) {
      await p.press(key)
      check(p, `view ${key}`)
    }
    await p.press('4', KEY.enter)
    await tick()
    check(p, 'order detail')
    await p.press(KEY.esc, '?')
    check(p, 'help')
    await p.press('x', 'p')
    check(p, 'paused')
  })

  it('a long alert (CJK) neither squeezes the activity column nor overflows 80 columns', async () => {
    const source = new TestSource()
    applyEvent(source.model, event('alert.raised', 'risk-1', {level: 'error', category: 'risk', message: '张三 的日内亏损已达上限，策略动量策略已暂停，请检查风险参数设置并确认后再恢复运行'}, {entity_type: 'alert', source: 'engine'}))
    const p = await renderPanel(source, {columns: 80, rows: 24})
    check(p, 'dashboard with a long alert')
    // The activity column keeps its width: a full activity line, not cut to make room for the alert.
    expect(p.text()).toContain('order ORD000003 filled @ 242.8 (trader001)')
    expect(p.text()).toContain('trader001 placed ORD000001: buy 100 AAPL @ 150.5')
  })

  it('the header keeps DISCONNECTED and PAUSED visible with a real instance id and uptime', async () => {
    const source = new TestSource()
    // As the engine names itself: `${hostname()}-${pid}-${hex}`; up for 1h 2m.
    source.model.engine = {status: 'running', instance: 'trading-node-01.prod.internal-48213-9f2c1a', started_at: new Date(Date.now() - 3_723_000).toISOString()}
    source.status = {connection: 'reconnecting', source: 'redis', target: 'redis://127.0.0.1:6379/0', error: 'Redis connection lost'}
    const p = await renderPanel(source, {columns: 80, rows: 24})
    await p.press('p')
    const header = p.lines()[0]!
    expect(stringWidth(header)).toBeLessThanOrEqual(80)
    expect(header, header).toMatch(/DISCONNECTED/)
    expect(header, header).toMatch(/PAUSED/)
  })

  it('CJK names take two columns each and the columns after them line up', async () => {
    const p = await renderPanel(new TestSource(), {columns: 80, rows: 24})
    await p.press('2')
    const rows = p.tableRows(usersHeader)
    expect(rows).toHaveLength(5)
    for (const r of rows) expect(stringWidth(r), r).toBeLessThanOrEqual(80)
    const byId = Object.fromEntries(rows.map((r) => [r.slice(0, 7), r]))
    expect(byId.U000001).toContain('张三')
    // A name too long for its column is cut with … on a character boundary.
    expect(byId.U000005).toMatch(/欧阳娜娜娜…/)
    expect(byId.U000005).not.toContain('欧阳娜娜娜娜')
    // The display column where the Type and Status values start is the same on every row.
    const column = (row: string, value: string) => stringWidth(row.slice(0, row.indexOf(value)))
    const types = {U000001: 'professional', U000002: 'institutional', U000003: 'personal', U000004: 'professional', U000005: 'professional'} as const
    const statuses = {U000001: 'active', U000002: 'active', U000003: 'suspended', U000004: 'locked', U000005: 'active'} as const
    const header = p.lines().find((l) => usersHeader.test(l))!.slice(2)
    const typeCol = column(header, 'Type')
    const statusCol = column(header, 'Status')
    for (const [id, row] of Object.entries(byId)) {
      expect(column(row, types[id as keyof typeof types]), `Type column of ${row}`).toBe(typeCol)
      expect(column(row, ` ${statuses[id as keyof typeof statuses]}`) + 1, `Status column of ${row}`).toBe(statusCol)
    }
  })
})

describe('without colour (NO_COLOR, --no-color)', () => {
  // What base-command does for NO_COLOR and --no-color; Ink colours through the same chalk.
  const level = chalk.level
  afterEach(() => {
    chalk.level = level
  })

  it('the current view and the selected row are still marked at 80x24: [2 users] and >', async () => {
    chalk.level = 0
    const p = await renderPanel(new TestSource(), {columns: 80, rows: 24})
    expect(p.lines()[1]).toMatch(/^\[1 dashboard\] 2 users /)
    await p.press('2', KEY.down)
    // No escape codes at all: no inverse video to lean on.
    expect(p.frame()).not.toContain('\u001b[')
    const tabs = p.lines()[1]!
    expect(tabs).toContain('[2 users]')
    expect(tabs).not.toContain('[1 dashboard]')
    expect(tabs.match(/\[/g)).toHaveLength(1)
    // The second row is selected: the marker is on it and on no other line.
    const ls = p.lines()
    const h = ls.findIndex((l) => usersHeader.test(l))
    expect(h, p.text()).toBeGreaterThan(0)
    expect(ls[h + 1]).toMatch(/^ {2}U000003\s/)
    expect(ls[h + 2]).toMatch(/^> U000001\s+trader001\s+张三/)
    expect(ls.filter((l) => l.startsWith('> '))).toHaveLength(1)
    for (const l of ls) expect(stringWidth(l), l).toBeLessThanOrEqual(80)
  })
})

describe('resize', () => {
  it('redraws at the new width when the terminal emits resize', async () => {
    const p = await renderPanel(new TestSource(), {columns: 80, rows: 24})
    // The dashboard's two halves: Business starts at half the width; the clock ends at the edge.
    const businessColumn = () => {
      const l = p.lines().find((x) => x.includes('Business'))!
      return stringWidth(l.slice(0, l.indexOf('Business')))
    }
    expect(businessColumn()).toBe(40)
    expect(stringWidth(p.lines()[0]!)).toBe(80)
    terminal.columns = 120
    terminal.rows = 30
    p.stdout.emit('resize')
    await tick()
    expect(businessColumn(), p.text()).toBe(60)
    expect(stringWidth(p.lines()[0]!)).toBe(120)
    expect(p.lines().length).toBeLessThanOrEqual(30)
    // And back, narrower, in a table view: nothing left wider than the terminal.
    await p.press('2')
    terminal.columns = 80
    terminal.rows = 24
    p.stdout.emit('resize')
    await tick()
    expect(stringWidth(p.lines()[0]!)).toBe(80)
    for (const l of p.lines()) expect(stringWidth(l), l).toBeLessThanOrEqual(80)
    expect(p.lines().length).toBeLessThanOrEqual(24)
    expect(p.tableRows(usersHeader)).toHaveLength(5)
  })
})

describe('coalescing', () => {
  it('2,000 changes within 100 ms cost a handful of frames, and the last frame shows the last change', async () => {
    const source = new TestSource()
    const p = await renderPanel(source)
    await sleep(FRAME_MS + 50)
    const before = p.frames.length
    const t0 = Date.now()
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 100; i++) {
        const n = batch * 100 + i
        applyEvent(source.model, order('order.created', `ORD2${String(n).padStart(5, '0')}`, 'U000001', {to: 'pending', symbol: 'AAPL', side: 'buy', quantity: n + 1, price: 150}, 'cli'))
        source.emit('change')
      }
      await sleep(4)
    }
    expect(Date.now() - t0).toBeLessThan(400)
    await sleep(FRAME_MS * 2 + 100)
    const frames = p.frames.length - before
    const elapsed = Date.now() - t0
    // At most one frame per FRAME_MS (plus one for the timer's phase).
    expect(frames, `${frames} frames in ${elapsed} ms`).toBeGreaterThanOrEqual(1)
    expect(frames, `${frames} frames in ${elapsed} ms`).toBeLessThanOrEqual(Math.ceil(elapsed / FRAME_MS) + 1)
    expect(p.text()).toMatch(/trader001 placed ORD201999: buy 2000 AAPL @ 150/)
  })
})
