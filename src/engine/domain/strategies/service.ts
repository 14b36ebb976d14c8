import {conflict, invalidInput, notFound} from '../../errors.js'
import {type Fill, type Strategy, type StrategyPatch, type Store} from '../../store/index.js'
import {openOrderStatuses, strategyStatuses, strategyTypes, type StrategyStatus} from '../statuses.js'
import type {Actor, ServiceDeps} from '../context.js'
import type {WriteFence} from '../shards.js'
import {strategyEvents} from '../events.js'
import {formatStrategyId} from '../ids.js'
import {computePnl, type PnlResult} from '../pnl.js'
import {endOfDay, parseDate} from '../time.js'
import {requireOneOf, requireText, show, validReason} from '../validate.js'
import {validParameters, validRisk, validSchedule, validStrategyId, validStrategyName, validStrategyType} from './rules.js'

export interface CreateStrategyOptions {
  /** The manual's strategy_config.json, parsed. Flags below override its fields. */
  config?: Record<string, unknown>
  name?: string
  type?: string
  user_id?: string
}

export interface ListStrategiesOptions {
  user_id?: string
  status?: string
  type?: string
  limit?: number
  page?: number
}

export interface StrategyList {
  total: number
  page: number
  limit: number
  strategies: Strategy[]
}

export interface Performance extends PnlResult {
  strategy_id: string
  period: {start: string | null; end: string | null}
  total_orders: number
  filled_orders: number
  open_orders: number
  cancelled_orders: number
  rejected_orders: number
  expired_orders: number
  fill_rate: number | null
  success_rate: number | null
  traded_quantity: number
  fills: number
}

const configKeys = ['strategy_id', 'name', 'type', 'user_id', 'parameters', 'risk_management', 'schedule', 'module_path', 'description'] as const

/** Strategies: validated configuration, a per-user limit, and start/stop rules. */
export class StrategyService {
  constructor(private readonly deps: ServiceDeps) {}

  private get store(): Store {
    return this.deps.store
  }

  async get(strategyId: string, store: Store = this.store): Promise<Strategy> {
    const id = strategyId?.trim()
    const s = id ? await store.strategies.find(id) : undefined
    if (!s) throw notFound(`No strategy ${show(strategyId)}.`, 'List strategies with `ordermon strategy list`.')
    return s
  }

  private checkKeys(config: Record<string, unknown>): void {
    for (const k of Object.keys(config))
      if (!(configKeys as readonly string[]).includes(k)) throw invalidInput(`Unknown key "${k}" in the strategy configuration (allowed: ${configKeys.join(', ')}).`)
  }

  async create(options: CreateStrategyOptions, actor: Actor): Promise<Strategy> {
    const config = options.config ?? {}
    this.checkKeys(config)
    const name = validStrategyName(options.name ?? config.name)
    const type = validStrategyType(options.type ?? config.type)
    const userId = (options.user_id ?? (config.user_id === undefined ? undefined : String(config.user_id)))?.trim()
    if (!userId) throw invalidInput('The strategy needs a user.', 'Add --user-id, or "user_id" in the configuration file.')
    const parameters = validParameters(type, config.parameters)
    const risk_management = validRisk(config.risk_management, this.deps.config.strategy.risk_management)
    const schedule = validSchedule(config.schedule)
    const module_path = type === 'custom' ? requireText('module_path', config.module_path === undefined ? undefined : String(config.module_path), {max: 1024}) : null
    const explicitId = config.strategy_id === undefined ? undefined : validStrategyId(config.strategy_id)

    return this.store.transaction(async (tx) => {
      const user = await tx.users.findForUpdate(userId)
      if (!user) throw notFound(`No user id ${show(userId)}.`, 'List users with `ordermon user list`.')
      const max = this.deps.config.strategy.max_per_user
      const have = await tx.strategies.countForUser(userId)
      if (have >= max) throw conflict(`User ${user.username} already has ${have} strategies, the limit (strategy.max_per_user = ${max}).`, 'Delete one, or raise strategy.max_per_user in config/strategy.yaml.')
      if (explicitId && (await tx.strategies.exists(explicitId))) throw conflict(`Strategy id ${explicitId} is already taken.`, 'Leave out "strategy_id" to get a new one, or use `strategy update`.')
      const strategyId = explicitId ?? formatStrategyId(await tx.sequences.allocate('strategy'))
      const m = /^STR(\d+)$/.exec(strategyId)
      if (explicitId && m) await tx.sequences.ensureAtLeast('strategy', Number(m[1]))
      await tx.strategies.insert({strategy_id: strategyId, user_id: userId, name, type, status: 'stopped', parameters, risk_management, schedule, module_path, module_origin: module_path ? actor.source : null})
      await tx.audit.record({actor: actor.name, action: 'strategy.create', target_type: 'strategy', target: strategyId, details: {user_id: userId, name, type}})
      await tx.events.append(strategyEvents.created({strategy_id: strategyId, user_id: userId, name, type, status: 'stopped'}, actor.source))
      return (await tx.strategies.find(strategyId))!
    })
  }

  async list(options: ListStrategiesOptions = {}): Promise<StrategyList> {
    const limit = options.limit ?? 50
    const page = options.page ?? 1
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidInput(`limit ${show(limit)} is not valid: use a whole number from 1 to 1000.`)
    const {total, strategies} = await this.store.strategies.list({
      user_id: options.user_id?.trim() || undefined,
      status: options.status === undefined ? undefined : requireOneOf('status', options.status, strategyStatuses),
      type: options.type === undefined ? undefined : requireOneOf('type', options.type, strategyTypes),
      limit,
      offset: (page - 1) * limit,
    })
    return {total, page, limit, strategies}
  }

  private async setStatus(strategyId: string, to: StrategyStatus, actor: Actor, reason?: string, fence?: WriteFence): Promise<{strategy: Strategy; previous: StrategyStatus; changed: boolean}> {
    return this.store.transaction(async (tx) => {
      const current = await this.get(strategyId, tx)
      const s = (await tx.strategies.findForUpdate(current.strategy_id))!
      // An engine that lost this user's shard leaves the strategy to the engine that has it now.
      if (fence && !(await fence(tx, [s.user_id])).has(s.user_id)) return {strategy: s, previous: s.status, changed: false}
      if (to === 'running') {
        const user = await tx.users.findById(s.user_id)
        if (!user || user.status !== 'active')
          throw conflict(`Strategy ${s.strategy_id} cannot start: its user ${user?.username ?? s.user_id} is ${user?.status ?? 'missing'}.`, user ? `Reactivate with \`ordermon user status --username ${user.username} --status active\`.` : undefined)
      }
      if (s.status === to) return {strategy: s, previous: s.status, changed: false}
      await tx.strategies.update(s.strategy_id, {status: to, status_reason: reason ?? null, started: to === 'running', stopped: to === 'stopped'})
      await tx.audit.record({actor: actor.name, action: `strategy.${{running: 'start', stopped: 'stop', paused: 'pause', error: 'fail'}[to]}`, target_type: 'strategy', target: s.strategy_id, details: {from: s.status, to, reason: reason ?? null}})
      await tx.events.append(strategyEvents.statusChanged(s, s.status, to, reason ?? null, actor.source))
      return {strategy: (await tx.strategies.find(s.strategy_id))!, previous: s.status, changed: true}
    })
  }

  start(strategyId: string, actor: Actor) {
    return this.setStatus(strategyId, 'running', actor)
  }

  /** `fence`: an engine sharing the database stops a strategy only while it holds the user's shard. */
  stop(strategyId: string, actor: Actor, options: {pause?: boolean; reason?: string; fence?: WriteFence} = {}) {
    return this.setStatus(strategyId, options.pause ? 'paused' : 'stopped', actor, validReason(options.reason), options.fence)
  }

  /** Replaces the settings given in `config` (name, parameters, risk_management, schedule). */
  async update(strategyId: string, config: Record<string, unknown>, actor: Actor): Promise<{strategy: Strategy; changed: string[]}> {
    this.checkKeys(config)
    return this.store.transaction(async (tx) => {
      const s = await this.get(strategyId, tx)
      if (config.type !== undefined && validStrategyType(config.type) !== s.type) throw invalidInput(`A strategy's type cannot change (${s.strategy_id} is ${s.type}).`, 'Create a new strategy instead.')
      if (config.user_id !== undefined && String(config.user_id) !== s.user_id) throw invalidInput(`A strategy cannot move to another user (${s.strategy_id} belongs to ${s.user_id}).`)
      if (config.strategy_id !== undefined && String(config.strategy_id) !== s.strategy_id) throw invalidInput(`The configuration is for ${String(config.strategy_id)}, not ${s.strategy_id}.`)
      const patch = {
        name: config.name === undefined ? undefined : validStrategyName(config.name),
        parameters: config.parameters === undefined ? undefined : validParameters(s.type, config.parameters),
        risk_management: config.risk_management === undefined ? undefined : validRisk(config.risk_management, this.deps.config.strategy.risk_management),
        schedule: config.schedule === undefined ? undefined : validSchedule(config.schedule),
        module_path: config.module_path === undefined ? undefined : requireText('module_path', String(config.module_path), {max: 1024}),
      }
      const changed = Object.entries(patch)
        .filter(([k, v]) => v !== undefined && JSON.stringify(v) !== JSON.stringify(s[k as keyof Strategy]))
        .map(([k]) => k)
      if (changed.length === 0) return {strategy: s, changed}
      const cols: StrategyPatch = Object.fromEntries(changed.map((k) => [k, patch[k as keyof typeof patch]]))
      if (changed.includes('module_path')) cols.module_origin = actor.source
      await tx.strategies.update(s.strategy_id, cols)
      await tx.audit.record({actor: actor.name, action: 'strategy.update', target_type: 'strategy', target: s.strategy_id, details: {changed}})
      await tx.events.append(strategyEvents.updated(s, changed, s.version + 1, actor.source))
      return {strategy: (await tx.strategies.find(s.strategy_id))!, changed}
    })
  }

  async delete(strategyId: string, options: {force?: boolean}, actor: Actor): Promise<{strategy: Strategy; open_orders: number}> {
    return this.store.transaction(async (tx) => {
      const s = await this.get(strategyId, tx)
      const open = await tx.orders.count({strategy_id: s.strategy_id, status: [...openOrderStatuses]})
      if (s.status === 'running' && !options.force) throw conflict(`Strategy ${s.strategy_id} is running; stop it first.`, `Run \`ordermon strategy stop --strategy-id ${s.strategy_id}\`, or add --force.`)
      if (open > 0 && !options.force) throw conflict(`Strategy ${s.strategy_id} has ${open} open order(s); not deleted.`, 'Cancel them first, or add --force (the orders stay, without a strategy).')
      await tx.strategies.delete(s.strategy_id)
      await tx.audit.record({actor: actor.name, action: 'strategy.delete', target_type: 'strategy', target: s.strategy_id, details: {name: s.name, open_orders: open, forced: Boolean(options.force)}})
      await tx.events.append(strategyEvents.deleted(s, actor.source))
      return {strategy: s, open_orders: open}
    })
  }

  /**
   * The list's performance columns for many strategies in two queries (orders by strategy and status,
   * their fills), instead of performance() for each: a page of 100 strategies was 300 queries.
   */
  async performanceSummary(strategyIds: string[]): Promise<Map<string, {total_orders: number; success_rate: number | null; profit_loss: number}>> {
    const [stats, fills] = await Promise.all([this.store.orders.statsByStrategy(strategyIds), strategyIds.length ? this.store.orders.fills({strategy_ids: strategyIds}) : []])
    const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null)
    // Grouped once: scanning every row for each id of the page was ids × rows.
    const counts = new Map(strategyIds.map((id) => [id, {total: 0, filled: 0}]))
    for (const x of stats) {
      const c = counts.get(x.strategy_id)!
      c.total += x.n
      if (x.status === 'filled') c.filled += x.n
    }
    const fillsOf = new Map<string, Fill[]>()
    for (const f of fills) {
      if (!f.strategy_id) continue
      const list = fillsOf.get(f.strategy_id)
      if (list) list.push(f)
      else fillsOf.set(f.strategy_id, [f])
    }
    return new Map(strategyIds.map((id) => {
      const c = counts.get(id)!
      return [id, {total_orders: c.total, success_rate: ratio(c.filled, c.total), profit_loss: computePnl(fillsOf.get(id) ?? []).profit_loss}]
    }))
  }

  /** Orders and fills in a period (dates are UTC; the end date is inclusive), PnL by average cost. */
  async performance(strategyId: string, options: {start_date?: string; end_date?: string; marks?: Record<string, number>} = {}): Promise<Performance> {
    const since = parseDate('start-date', options.start_date)
    const until = endOfDay('end-date', options.end_date)
    if (since && until && since >= until)
      throw invalidInput(`start-date ${show(options.start_date)} is after end-date ${show(options.end_date)} (expected a start on or before the end).`)
    const s = await this.get(strategyId)
    const [stats, fills] = await Promise.all([
      this.store.orders.stats({strategy_id: s.strategy_id, since, until}),
      this.store.orders.fills({strategy_id: s.strategy_id, since, until}),
    ])
    const by = (st: string) => stats.find((x) => x.status === st)?.n ?? 0
    const total = stats.reduce((a, x) => a + x.n, 0)
    const quantity = stats.reduce((a, x) => a + x.quantity, 0)
    const filledQty = stats.reduce((a, x) => a + x.filled, 0)
    const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null)
    return {
      strategy_id: s.strategy_id,
      period: {start: since?.toISOString() ?? null, end: until?.toISOString() ?? null},
      total_orders: total,
      filled_orders: by('filled'),
      open_orders: by('pending') + by('partially_filled'),
      cancelled_orders: by('cancelled'),
      rejected_orders: by('rejected'),
      expired_orders: by('expired'),
      fill_rate: ratio(filledQty, quantity),
      success_rate: ratio(by('filled'), total),
      traded_quantity: Math.round(filledQty * 1e8) / 1e8,
      fills: fills.length,
      ...computePnl(fills, options.marks),
    }
  }
}
