import {isOpenOrder, type EngineSummary, type EventMessage, type MetricsSnapshot} from '../engine/index.js'

export interface UserRow {
  user_id: string
  username: string
  name: string | null
  type: string
  status: string
}

export interface StrategyRow {
  strategy_id: string
  name: string
  type: string
  user_id: string
  status: string
}

export interface OrderRow {
  order_id: string
  user_id: string
  symbol: string
  side: string
  quantity: number
  price: number | null
  filled_quantity: number
  status: string
  updated_at: string
}

export interface ActivityItem {
  id: number
  at: string
  type: string
  text: string
  source: string
}

export interface AlertRow {
  id: number
  /** The alert's own id (events of one alert share it). */
  key: string
  at: string
  level: string
  category: string
  message: string
  status: string
}

export type EngineStatus = 'running' | 'degraded' | 'down' | 'unknown'

/**
 * Everything the panel shows, kept up to date by applying events. Bounded: at most
 * MAX_ACTIVITY activity lines, HISTORY samples per trend, and MAX_CLOSED finished orders, so the
 * panel does not grow in memory however long it runs.
 */
export interface PanelModel {
  engine: {status: EngineStatus; instance?: string; started_at?: string; heartbeat_at?: string; engines?: number; list?: EngineSummary[]}
  metrics?: MetricsSnapshot
  history: {cpu: number[]; memory: number[]; disk: number[]; net: number[]; tps: number[]}
  users: Map<string, UserRow>
  strategies: Map<string, StrategyRow>
  orders: Map<string, OrderRow>
  activity: ActivityItem[]
  alerts: AlertRow[]
  events: number
  /** Finished orders held in `orders` (kept so trimming is cheap). */
  closed: number
}

export const MAX_ACTIVITY = 200
export const HISTORY = 60
export const MAX_CLOSED = 1000

export function emptyModel(): PanelModel {
  return {engine: {status: 'unknown'}, history: {cpu: [], memory: [], disk: [], net: [], tps: []}, users: new Map(), strategies: new Map(), orders: new Map(), activity: [], alerts: [], events: 0, closed: 0}
}

const push = (xs: number[], v: number) => {
  xs.push(v)
  if (xs.length > HISTORY) xs.shift()
}

/** The manual's "最近活动" lines: who did what, in a few words. */
export function describe(e: EventMessage, model?: PanelModel): string {
  const p = e.payload
  const who = e.user_id ? (model?.users.get(e.user_id)?.username ?? e.user_id) : ''
  switch (e.type) {
    case 'order.created':
      return `${who} placed ${e.entity_id}: ${p.side} ${p.quantity} ${p.symbol}${p.price ? ` @ ${p.price}` : ''}`
    case 'order.filled':
      return `order ${e.entity_id} filled${p.fill_price ? ` @ ${p.fill_price}` : ''} (${who})`
    case 'order.partially_filled':
      return `order ${e.entity_id} partially filled +${p.filled_delta ?? '?'} (${who})`
    case 'order.cancelled':
      return `order ${e.entity_id} cancelled (${who})${e.source === 'sql' ? ' by SQL' : ''}`
    case 'order.modified':
      return `order ${e.entity_id} modified: ${p.quantity} @ ${p.price ?? '-'}`
    case 'user.created':
      return `user ${e.entity_id} created`
    case 'user.status_changed':
      return `user ${who}: ${p.from ?? '-'} -> ${p.to}${e.source === 'sql' ? ' (SQL)' : ''}`
    case 'strategy.created':
      return `${who} created strategy ${e.entity_id}`
    default:
      if (e.type.startsWith('strategy.')) return `strategy ${e.entity_id} ${e.type.slice(9)}${p.to ? ` (${p.to})` : ''}`
      if (e.type.startsWith('order.')) return `order ${e.entity_id} ${p.to ?? e.type.slice(6)}`
      return `${e.type} ${e.entity_id}`
  }
}

/** Applies one event to the model in place (the panel redraws from it at its own pace). */
export function applyEvent(model: PanelModel, e: EventMessage): void {
  model.events++
  const p = e.payload as Record<string, any>
  if (e.type === 'system.metrics') {
    const m = p as unknown as MetricsSnapshot
    model.metrics = m
    push(model.history.cpu, m.system.cpu_pct)
    push(model.history.memory, m.system.memory_pct)
    push(model.history.disk, m.system.disk_io_pct)
    push(model.history.net, m.system.net_io_pct)
    push(model.history.tps, m.business.tps)
    model.engine = {...model.engine, status: model.engine.status === 'down' || model.engine.status === 'unknown' ? 'running' : model.engine.status, instance: m.instance_id, started_at: m.started_at ?? model.engine.started_at, heartbeat_at: m.at}
    return
  }
  if (e.entity_type === 'user') {
    const u = model.users.get(e.entity_id)
    if (e.type === 'user.deleted') model.users.delete(e.entity_id)
    else if (u && p.to) u.status = String(p.to)
    else if (!u && e.type === 'user.created') model.users.set(e.entity_id, {user_id: e.entity_id, username: String(p.username ?? e.entity_id), name: p.name ?? null, type: String(p.type ?? '-'), status: String(p.status ?? 'active')})
  } else if (e.entity_type === 'strategy') {
    const s = model.strategies.get(e.entity_id)
    if (e.type === 'strategy.deleted') model.strategies.delete(e.entity_id)
    else if (s && p.to) s.status = String(p.to)
    else if (!s && e.type === 'strategy.created') model.strategies.set(e.entity_id, {strategy_id: e.entity_id, name: String(p.name ?? ''), type: String(p.type ?? ''), user_id: e.user_id ?? '', status: String(p.status ?? 'stopped')})
  } else if (e.entity_type === 'order') {
    const o = model.orders.get(e.entity_id)
    const status = String(p.to ?? o?.status ?? 'pending')
    const row: OrderRow = {
      order_id: e.entity_id,
      user_id: e.user_id ?? o?.user_id ?? '',
      symbol: String(p.symbol ?? o?.symbol ?? ''),
      side: String(p.side ?? o?.side ?? ''),
      quantity: Number(p.quantity ?? o?.quantity ?? 0),
      price: p.price === undefined ? (o?.price ?? null) : p.price,
      filled_quantity: Number(p.filled_quantity ?? o?.filled_quantity ?? 0),
      status,
      updated_at: e.created_at,
    }
    if (o && !isOpenOrder(o.status)) model.closed--
    model.orders.delete(e.entity_id)
    model.orders.set(e.entity_id, row)
    if (!isOpenOrder(status)) {
      model.closed++
      // Trim in steps of 100 so the walk over the map is rare.
      if (model.closed > MAX_CLOSED + 100) trimClosed(model)
    }
  } else if (e.entity_type === 'alert') {
    applyAlert(model, e)
  }
  model.activity.unshift({id: e.id, at: e.created_at, type: e.type, text: describe(e, model), source: e.source})
  if (model.activity.length > MAX_ACTIVITY) model.activity.length = MAX_ACTIVITY
}

/**
 * The open alerts, newest first: raised, repeated and acknowledged events of one alert update its
 * row (an acknowledged one stays until resolved); resolution removes it. At most MAX_ALERTS.
 */
function applyAlert(model: PanelModel, e: EventMessage): void {
  const p = e.payload
  const key = e.entity_id
  const i = model.alerts.findIndex((a) => a.key === key)
  const previous = i >= 0 ? model.alerts.splice(i, 1)[0] : undefined
  if (e.type === 'alert.resolved') return
  const status = e.type === 'alert.acknowledged' ? 'acknowledged' : (previous?.status ?? 'active')
  model.alerts.unshift({id: e.id, key, at: previous?.at ?? e.created_at, level: String(p.level ?? 'info'), category: String(p.category ?? 'system'), message: String(p.message ?? e.type), status})
  if (model.alerts.length > MAX_ALERTS) model.alerts.length = MAX_ALERTS
}

export const MAX_ALERTS = 50

/** Keeps every open order and only the newest MAX_CLOSED finished ones (Map order = update order). */
export function trimClosed(model: PanelModel): void {
  for (const [id, o] of model.orders) {
    if (model.closed <= MAX_CLOSED) break
    if (!isOpenOrder(o.status)) {
      model.orders.delete(id)
      model.closed--
    }
  }
}
