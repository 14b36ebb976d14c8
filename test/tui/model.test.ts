import stringWidth from 'string-width'
import {describe, expect, it} from 'vitest'
import type {EventMessage} from '../../src/engine/bus/channels.js'
import {isOpenOrder} from '../../src/engine/domain/statuses.js'
import type {MetricsSnapshot} from '../../src/engine/metrics/snapshot.js'
import {HISTORY, MAX_ACTIVITY, MAX_CLOSED, applyEvent, describe as describeEvent, emptyModel, type PanelModel} from '../../src/tui/model.js'
import {bar, fit, sparkline} from '../../src/tui/text.js'

/**
 * The panel's model, pure: every event family the engine writes (payloads as the services write them),
 * the bounds that keep a long-running panel small, the activity texts, and the CJK-aware text helpers.
 */

let nextId = 1
const at = (n: number) => new Date(Date.UTC(2024, 0, 15, 9, 30, 0) + n * 1000).toISOString()

function event(type: string, entity_id: string, payload: Record<string, unknown>, extra: Partial<EventMessage> = {}): EventMessage {
  const id = nextId++
  const entity_type = type.split('.')[0]!
  return {id, type, entity_type, entity_id, user_id: entity_type === 'user' ? entity_id : null, source: 'cli', created_at: at(id), payload, ...extra}
}

function metrics(n: number, over: {cpu?: number; tps?: number} = {}): MetricsSnapshot {
  return {
    at: at(n),
    instance_id: 'host-1234-abcd',
    system: {cpu_pct: over.cpu ?? 10 + n, memory_pct: 50, memory_used_mb: 8000, memory_total_mb: 16000, disk_read_kb_s: 10, disk_write_kb_s: 20, disk_io_pct: 3, net_rx_kb_s: 5, net_tx_kb_s: 6, net_io_pct: 1},
    business: {active_users: 3, running_strategies: 2, open_orders: 14, fills_today: 7, tps: over.tps ?? n, avg_latency_ms: 3.4, p99_latency_ms: 12, events_per_s: 4},
    process: {rss_mb: 120},
  }
}

const metricsEvent = (n: number, over: {cpu?: number; tps?: number} = {}) =>
  event('system.metrics', 'host-1234-abcd', metrics(n, over) as unknown as Record<string, unknown>, {entity_type: 'system', source: 'engine'})

/** A model with the sample traders, as the feed loads them from the database. */
function withUsers(): PanelModel {
  const m = emptyModel()
  m.users.set('U000001', {user_id: 'U000001', username: 'trader001', name: '张三', type: 'professional', status: 'active'})
  m.users.set('U000002', {user_id: 'U000002', username: 'trader002', name: '李四', type: 'institutional', status: 'active'})
  return m
}

const orderCreated = (orderId: string, userId = 'U000001', over: Record<string, unknown> = {}) =>
  event('order.created', orderId, {to: 'pending', symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 100, price: 150.5, strategy_id: null, client_order_id: null, ...over}, {entity_type: 'order', user_id: userId})

/** The payload lifecycle.planChange writes for a transition. */
const orderChange = (type: string, orderId: string, p: {from: string; to: string; quantity?: number; price?: number | null; filled_quantity?: number; filled_delta?: number; fill_price?: number; reason?: string}, userId = 'U000001', source = 'engine') =>
  event(type, orderId, {symbol: 'AAPL', side: 'buy', quantity: 100, price: 150.5, filled_quantity: 0, strategy_id: null, version: 2, ...p}, {entity_type: 'order', user_id: userId, source})

describe('applyEvent: users', () => {
  it('user.created adds the user; user.status_changed changes its status; user.deleted removes it', () => {
    const m = withUsers()
    applyEvent(m, event('user.created', 'U000007', {username: 'trader007', status: 'active'}))
    expect(m.users.get('U000007')).toMatchObject({user_id: 'U000007', username: 'trader007', status: 'active'})
    expect(m.activity[0]).toMatchObject({type: 'user.created', text: 'user U000007 created', source: 'cli'})

    applyEvent(m, event('user.status_changed', 'U000002', {from: 'active', to: 'suspended', reason: 'changed in the database'}, {source: 'sql'}))
    expect(m.users.get('U000002')!.status).toBe('suspended')
    expect(m.users.get('U000002')!.name).toBe('李四')
    expect(m.activity[0]!.text).toBe('user trader002: active -> suspended (SQL)')

    applyEvent(m, event('user.status_changed', 'U000002', {from: 'suspended', to: 'active', reason: null}))
    expect(m.users.get('U000002')!.status).toBe('active')
    expect(m.activity[0]!.text).toBe('user trader002: suspended -> active')

    applyEvent(m, event('user.deleted', 'U000007', {username: 'trader007'}))
    expect(m.users.has('U000007')).toBe(false)
    expect(m.users.size).toBe(2)
    expect(m.activity.map((a) => a.type)).toEqual(['user.deleted', 'user.status_changed', 'user.status_changed', 'user.created'])
    expect(m.events).toBe(4)
  })

  it('a status change for a user the panel never loaded does not invent a row', () => {
    const m = withUsers()
    applyEvent(m, event('user.status_changed', 'U000099', {from: 'active', to: 'locked'}))
    expect(m.users.has('U000099')).toBe(false)
    expect(m.activity[0]!.text).toBe('user U000099: active -> locked')
  })
})

describe('applyEvent: strategies', () => {
  it('strategy.created adds it stopped; started / paused / stopped / failed move its status; deleted removes it', () => {
    const m = withUsers()
    applyEvent(m, event('strategy.created', 'STR005', {name: '网格策略', type: 'grid', status: 'stopped'}, {user_id: 'U000001'}))
    expect(m.strategies.get('STR005')).toEqual({strategy_id: 'STR005', name: '网格策略', type: 'grid', user_id: 'U000001', status: 'stopped'})
    expect(m.activity[0]!.text).toBe('trader001 created strategy STR005')

    const steps: Array<[string, string, string]> = [
      ['strategy.started', 'stopped', 'running'],
      ['strategy.paused', 'running', 'paused'],
      ['strategy.started', 'paused', 'running'],
      ['strategy.failed', 'running', 'error'],
      ['strategy.stopped', 'error', 'stopped'],
    ]
    for (const [type, from, to] of steps) {
      applyEvent(m, event(type, 'STR005', {from, to, reason: null}, {user_id: 'U000001'}))
      expect(m.strategies.get('STR005')!.status, type).toBe(to)
      expect(m.activity[0]!.text).toBe(`strategy STR005 ${type.slice(9)} (${to})`)
    }
    // An update without a status change leaves the status alone.
    applyEvent(m, event('strategy.updated', 'STR005', {changed: ['parameters'], version: 2}, {user_id: 'U000001'}))
    expect(m.strategies.get('STR005')!.status).toBe('stopped')
    expect(m.activity[0]!.text).toBe('strategy STR005 updated')

    applyEvent(m, event('strategy.deleted', 'STR005', {name: '网格策略'}, {user_id: 'U000001'}))
    expect(m.strategies.has('STR005')).toBe(false)
  })
})

describe('applyEvent: orders', () => {
  it('follows an order through created, partially_filled, modified, filled', () => {
    const m = withUsers()
    applyEvent(m, orderCreated('ORD000101'))
    expect(m.orders.get('ORD000101')).toMatchObject({order_id: 'ORD000101', user_id: 'U000001', symbol: 'AAPL', side: 'buy', quantity: 100, price: 150.5, filled_quantity: 0, status: 'pending'})
    expect(m.activity[0]!.text).toBe('trader001 placed ORD000101: buy 100 AAPL @ 150.5')
    expect(m.closed).toBe(0)

    applyEvent(m, orderChange('order.partially_filled', 'ORD000101', {from: 'pending', to: 'partially_filled', filled_quantity: 40, filled_delta: 40, fill_price: 150.4}))
    expect(m.orders.get('ORD000101')).toMatchObject({status: 'partially_filled', filled_quantity: 40})
    expect(m.activity[0]!.text).toBe('order ORD000101 partially filled +40 (trader001)')

    applyEvent(m, orderChange('order.modified', 'ORD000101', {from: 'partially_filled', to: 'partially_filled', quantity: 120, price: 150.2, filled_quantity: 40}, 'U000001', 'cli'))
    expect(m.orders.get('ORD000101')).toMatchObject({status: 'partially_filled', quantity: 120, price: 150.2, filled_quantity: 40})
    expect(m.activity[0]!.text).toBe('order ORD000101 modified: 120 @ 150.2')
    expect(m.closed).toBe(0)

    const before = m.orders.get('ORD000101')!.updated_at
    applyEvent(m, orderChange('order.filled', 'ORD000101', {from: 'partially_filled', to: 'filled', quantity: 120, price: 150.2, filled_quantity: 120, filled_delta: 80, fill_price: 150.1}))
    expect(m.orders.get('ORD000101')).toMatchObject({status: 'filled', filled_quantity: 120, quantity: 120})
    expect(m.orders.get('ORD000101')!.updated_at > before).toBe(true)
    expect(m.activity[0]!.text).toBe('order ORD000101 filled @ 150.1 (trader001)')
    expect(m.closed).toBe(1)
    expect(m.orders.size).toBe(1)
  })

  it('cancelled (by the CLI and by SQL), rejected and expired finish an order; a market order has no price', () => {
    const m = withUsers()
    applyEvent(m, orderCreated('ORD000201', 'U000002', {order_type: 'market', price: null, side: 'sell', symbol: 'MSFT', quantity: 5}))
    expect(m.orders.get('ORD000201')!.price).toBeNull()
    expect(m.activity[0]!.text).toBe('trader002 placed ORD000201: sell 5 MSFT')
    applyEvent(m, orderChange('order.cancelled', 'ORD000201', {from: 'pending', to: 'cancelled', reason: 'cancelled by user'}, 'U000002', 'cli'))
    expect(m.orders.get('ORD000201')!.status).toBe('cancelled')
    expect(m.activity[0]!.text).toBe('order ORD000201 cancelled (trader002)')

    applyEvent(m, orderCreated('ORD000202'))
    applyEvent(m, orderChange('order.cancelled', 'ORD000202', {from: 'pending', to: 'cancelled'}, 'U000001', 'sql'))
    expect(m.activity[0]!.text).toBe('order ORD000202 cancelled (trader001) by SQL')

    applyEvent(m, orderCreated('ORD000203'))
    applyEvent(m, orderChange('order.rejected', 'ORD000203', {from: 'pending', to: 'rejected', reason: 'insufficient buying power'}))
    expect(m.orders.get('ORD000203')!.status).toBe('rejected')
    expect(m.activity[0]!.text).toBe('order ORD000203 rejected')

    applyEvent(m, orderCreated('ORD000204'))
    applyEvent(m, orderChange('order.expired', 'ORD000204', {from: 'pending', to: 'expired', reason: 'end of day'}))
    expect(m.orders.get('ORD000204')!.status).toBe('expired')
    expect(m.closed).toBe(4)
    // A late duplicate of a finished order's event does not count it twice.
    applyEvent(m, orderChange('order.expired', 'ORD000204', {from: 'pending', to: 'expired'}))
    expect(m.closed).toBe(4)
  })

  it('an order event keeps what the payload does not say (symbol, side, price) from the row it had', () => {
    const m = withUsers()
    applyEvent(m, orderCreated('ORD000301', 'U000001', {symbol: 'TSLA', side: 'sell', price: 242.8, quantity: 300}))
    applyEvent(m, event('order.cancelled', 'ORD000301', {from: 'pending', to: 'cancelled'}, {entity_type: 'order', user_id: 'U000001'}))
    expect(m.orders.get('ORD000301')).toMatchObject({symbol: 'TSLA', side: 'sell', price: 242.8, quantity: 300, status: 'cancelled', user_id: 'U000001'})
  })
})

describe('applyEvent: system.metrics and alerts', () => {
  it('system.metrics sets the latest snapshot, appends to each trend (at most HISTORY samples) and marks the engine running', () => {
    const m = emptyModel()
    expect(HISTORY).toBe(60)
    applyEvent(m, metricsEvent(1))
    expect(m.metrics).toEqual(metrics(1))
    expect(m.engine).toMatchObject({status: 'running', instance: 'host-1234-abcd', heartbeat_at: at(1)})
    expect(m.history).toEqual({cpu: [11], memory: [50], disk: [3], net: [1], tps: [1]})
    // Metrics are vital signs, not activity.
    expect(m.activity).toEqual([])

    for (let n = 2; n <= 75; n++) applyEvent(m, metricsEvent(n))
    expect(m.metrics!.at).toBe(at(75))
    expect(m.metrics!.system.cpu_pct).toBe(85)
    for (const k of ['cpu', 'memory', 'disk', 'net', 'tps'] as const) expect(m.history[k], k).toHaveLength(60)
    // The newest 60, oldest first.
    expect(m.history.tps[0]).toBe(16)
    expect(m.history.tps.at(-1)).toBe(75)
    expect(m.history.cpu.at(-1)).toBe(85)
    expect(m.events).toBe(75)
  })

  it('metrics do not hide a degraded engine', () => {
    const m = emptyModel()
    m.engine = {status: 'degraded', instance: 'old'}
    applyEvent(m, metricsEvent(1))
    expect(m.engine.status).toBe('degraded')
    expect(m.engine.instance).toBe('host-1234-abcd')
  })

  it('alert events go to the alerts list (newest first, at most 50) and to the activity', () => {
    const m = emptyModel()
    applyEvent(m, event('alert.raised', 'risk-1', {level: 'error', category: 'risk', message: '张三 daily loss limit reached'}, {entity_type: 'alert', source: 'engine'}))
    applyEvent(m, event('alert.raised', 'lat-1', {level: 'warning', category: 'latency', message: 'p99 latency 850ms'}, {entity_type: 'alert', source: 'engine'}))
    expect(m.alerts).toHaveLength(2)
    expect(m.alerts[0]).toMatchObject({level: 'warning', category: 'latency', message: 'p99 latency 850ms'})
    expect(m.alerts[1]).toMatchObject({level: 'error', category: 'risk', message: '张三 daily loss limit reached'})
    expect(m.activity[0]).toMatchObject({type: 'alert.raised', text: 'alert.raised lat-1'})
    // Defaults for a bare alert.
    applyEvent(m, event('alert.raised', 'x', {}, {entity_type: 'alert'}))
    expect(m.alerts[0]).toMatchObject({level: 'info', category: 'system', message: 'alert.raised'})
    for (let i = 0; i < 80; i++) applyEvent(m, event('alert.raised', `a${i}`, {level: 'warning', message: `alert ${i}`}, {entity_type: 'alert'}))
    expect(m.alerts).toHaveLength(50)
    expect(m.alerts[0]!.message).toBe('alert 79')
  })

  it('one row per alert: repeated and acknowledged update it, resolved removes it', () => {
    const m = emptyModel()
    const alert = (type: string, id: string, extra: Record<string, unknown> = {}) =>
      applyEvent(m, event(type, id, {level: 'critical', category: 'database', message: `db down (${id})`, ...extra}, {entity_type: 'alert', source: 'engine'}))
    alert('alert.raised', '7')
    alert('alert.raised', '8')
    alert('alert.repeated', '7', {message: 'db still down'})
    expect(m.alerts.map((a) => [a.key, a.status, a.message])).toEqual([['7', 'active', 'db still down'], ['8', 'active', 'db down (8)']])
    alert('alert.acknowledged', '8')
    expect(m.alerts.find((a) => a.key === '8')).toMatchObject({status: 'acknowledged'})
    alert('alert.repeated', '8')
    expect(m.alerts.find((a) => a.key === '8')).toMatchObject({status: 'acknowledged'})
    alert('alert.resolved', '7')
    expect(m.alerts.map((a) => a.key)).toEqual(['8'])
    // A resolution of an alert the panel never saw changes nothing.
    alert('alert.resolved', '99')
    expect(m.alerts.map((a) => a.key)).toEqual(['8'])
  })
})

describe('bounds', () => {
  it(`keeps at most MAX_ACTIVITY (${MAX_ACTIVITY}) activity lines, newest first`, () => {
    const m = withUsers()
    for (let i = 0; i < 500; i++) applyEvent(m, event('user.status_changed', 'U000001', {from: 'active', to: i % 2 ? 'active' : 'locked'}))
    expect(m.activity).toHaveLength(MAX_ACTIVITY)
    expect(m.activity[0]!.id).toBe(nextId - 1)
    expect(m.activity.at(-1)!.id).toBe(nextId - MAX_ACTIVITY)
    expect(m.events).toBe(500)
  })

  it('after 5,000 order events keeps every open order and at most MAX_CLOSED (+100) of the newest finished ones', () => {
    const m = withUsers()
    const open = new Set<string>()
    const finished: string[] = []
    for (let i = 0; i < 2500; i++) {
      const id = `ORD${String(100_000 + i)}`
      applyEvent(m, orderCreated(id, i % 2 ? 'U000001' : 'U000002'))
      if (i % 10 === 0) {
        // Every tenth order stays open (some part-filled).
        if (i % 20 === 0) applyEvent(m, orderChange('order.partially_filled', id, {from: 'pending', to: 'partially_filled', filled_quantity: 10, filled_delta: 10}))
        else applyEvent(m, orderChange('order.modified', id, {from: 'pending', to: 'pending', quantity: 200}))
        open.add(id)
      } else {
        applyEvent(m, orderChange(i % 3 ? 'order.filled' : 'order.cancelled', id, {from: 'pending', to: i % 3 ? 'filled' : 'cancelled', filled_quantity: i % 3 ? 100 : 0}))
        finished.push(id)
      }
    }
    expect(m.events).toBe(5000)
    const rows = [...m.orders.values()]
    const keptFinished = rows.filter((o) => !isOpenOrder(o.status)).map((o) => o.order_id)
    // Every open order is there.
    for (const id of open) expect(m.orders.get(id)?.status, id).toMatch(/^(pending|partially_filled)$/)
    expect(rows.filter((o) => isOpenOrder(o.status))).toHaveLength(open.size)
    // Finished orders are bounded, and the counter says how many there are.
    expect(keptFinished.length).toBeGreaterThanOrEqual(MAX_CLOSED)
    expect(keptFinished.length).toBeLessThanOrEqual(MAX_CLOSED + 100)
    expect(m.closed).toBe(keptFinished.length)
    // The ones kept are the newest.
    expect(new Set(keptFinished)).toEqual(new Set(finished.slice(-keptFinished.length)))
    expect(m.orders.size).toBe(open.size + keptFinished.length)
    expect(m.activity).toHaveLength(MAX_ACTIVITY)
  })
})

describe('describe()', () => {
  it('names the user by username when the model knows it, by id otherwise', () => {
    const m = withUsers()
    const e = orderCreated('ORD000900', 'U000001', {price: 320.4, symbol: 'MSFT', quantity: 10})
    expect(describeEvent(e, m)).toBe('trader001 placed ORD000900: buy 10 MSFT @ 320.4')
    expect(describeEvent(e)).toBe('U000001 placed ORD000900: buy 10 MSFT @ 320.4')
    expect(describeEvent(orderChange('order.filled', 'ORD000900', {from: 'pending', to: 'filled', fill_price: 320.1}), m)).toBe('order ORD000900 filled @ 320.1 (trader001)')
    expect(describeEvent(orderChange('order.partially_filled', 'ORD000900', {from: 'pending', to: 'partially_filled', filled_delta: 3}), m)).toBe('order ORD000900 partially filled +3 (trader001)')
    expect(describeEvent(orderChange('order.cancelled', 'ORD000900', {from: 'pending', to: 'cancelled'}), m)).toBe('order ORD000900 cancelled (trader001)')
    expect(describeEvent(orderChange('order.modified', 'ORD000900', {from: 'pending', to: 'pending', quantity: 20, price: null}), m)).toBe('order ORD000900 modified: 20 @ -')
    expect(describeEvent(orderChange('order.expired', 'ORD000900', {from: 'pending', to: 'expired'}), m)).toBe('order ORD000900 expired')
    expect(describeEvent(event('user.created', 'U000003', {username: 'trader003', status: 'active'}), m)).toBe('user U000003 created')
    expect(describeEvent(event('user.status_changed', 'U000001', {from: 'active', to: 'locked'}), m)).toBe('user trader001: active -> locked')
    expect(describeEvent(event('strategy.created', 'STR001', {name: '动量策略', type: 'momentum', status: 'stopped'}, {user_id: 'U000002'}), m)).toBe('trader002 created strategy STR001')
    expect(describeEvent(event('strategy.started', 'STR001', {from: 'stopped', to: 'running'}), m)).toBe('strategy STR001 started (running)')
    expect(describeEvent(event('something.else', 'X1', {}), m)).toBe('something.else X1')
  })
})

describe('text helpers', () => {
  it('fit() pads and cuts to display columns, counting CJK characters as two', () => {
    expect(fit('张三', 6)).toBe('张三  ')
    expect(stringWidth(fit('张三', 6))).toBe(6)
    expect(fit('张三', 6, 'right')).toBe('  张三')
    expect(fit('abc', 3)).toBe('abc')
    expect(fit('abcdef', 4)).toBe('abc…')
    expect(fit('anything', 0)).toBe('')
    // 张三李四王五 is 12 columns: cut to 7 (three characters) + … and padded to 8.
    expect(fit('张三李四王五', 8)).toBe('张三李… ')
    expect(stringWidth(fit('张三李四王五', 8))).toBe(8)
    // A wide character never straddles the cut: 5 columns take two characters, the ellipsis, one pad.
    expect(fit('张三李四', 5)).toBe('张三…')
    expect(stringWidth(fit('张三李四', 5))).toBe(5)
    expect(fit('张三李四', 4)).toBe('张… ')
    for (const s of ['张三', '欧阳娜娜', 'Alice Martin', 'trader001 张三 placed ORD000001', 'mixed 混合 text 文字']) {
      for (let w = 1; w <= 20; w++) expect(stringWidth(fit(s, w)), `${s} @ ${w}`).toBe(w)
    }
  })

  it('bar() draws a 0..100 value, clamped', () => {
    expect(bar(0, 10)).toBe('░'.repeat(10))
    expect(bar(50, 10)).toBe('█████░░░░░')
    expect(bar(100, 10)).toBe('█'.repeat(10))
    expect(bar(150, 10)).toBe('█'.repeat(10))
    expect(bar(-5, 4)).toBe('░░░░')
    expect(bar(Number.NaN, 4)).toBe('░░░░')
    expect(bar(42.4, 20)).toBe('█'.repeat(8) + '░'.repeat(12))
  })

  it('sparkline() shows the last `width` values, scaled, right-aligned', () => {
    expect(sparkline([], 5)).toBe('     ')
    expect(sparkline([0, 100], 4, 100)).toBe('  ▁█')
    expect(sparkline([0, 50, 100], 3)).toBe('▁▅█')
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8)).toHaveLength(8)
    // Only the newest `width` values.
    expect(sparkline([100, 100, 100, 0, 0], 2, 100)).toBe('▁▁')
    // Above `max` is clamped to the top.
    expect(sparkline([200], 1, 100)).toBe('█')
  })
})

describe('applyEvent: engine uptime from metrics', () => {
  it("takes the engine's start time from its snapshots, so a panel elsewhere can show uptime", () => {
    const m = emptyModel()
    const snap = {...metrics(1), started_at: '2026-11-21T08:00:00.000Z'}
    applyEvent(m, event('system.metrics', 'host-1234-abcd', snap as unknown as Record<string, unknown>, {entity_type: 'system', source: 'engine'}))
    expect(m.engine).toMatchObject({status: 'running', instance: 'host-1234-abcd', started_at: '2026-11-21T08:00:00.000Z'})
    // A snapshot without it (an older engine) keeps what was known.
    applyEvent(m, metricsEvent(2))
    expect(m.engine.started_at).toBe('2026-11-21T08:00:00.000Z')
  })
})
