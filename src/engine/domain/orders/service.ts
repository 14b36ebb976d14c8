import {classifyFailure, conflict, invalidInput, notFound} from '../../errors.js'
import {type Fill as FillRecord, type Order, type OrderLog, type Store} from '../../store/index.js'
import {isOpenOrder, isTerminalOrder, openOrderStatuses, orderStatuses, type OrderStatus} from '../statuses.js'
import type {Actor, ServiceDeps} from '../context.js'
import {parseSince} from '../time.js'
import {requireOneOf, show, validReason} from '../validate.js'
import {IdBlocks} from '../id-blocks.js'
import type {WriteFence} from '../shards.js'
import {RecentCounts} from '../recent-counts.js'
import {applyChange, type Fill} from './lifecycle.js'
import {insertOrders, placementRefusal, validNewOrder, type CreateOrderOptions, type NewOrder} from './placement.js'
import {validPrice, validQuantity, validSymbol} from './rules.js'

export interface CreateOrderResult {
  order: Order
  /** True when client_order_id matched an existing order and nothing new was created. */
  duplicate: boolean
}

/** One order of a createMany: the order made, or why this one was refused (the others still go in). */
export type CreateManyResult = {order: Order; error?: undefined} | {order?: undefined; error: Error}

export type {CreateOrderOptions}

export interface ListOrdersOptions {
  user_id?: string
  strategy_id?: string
  status?: string | string[]
  symbol?: string
  since?: string
  page?: number
  size?: number
  /**
   * The total may be up to a second old (changes by other processes; this one's own show at once):
   * spares the database a full count on every page, for the API.
   */
  recentTotal?: boolean
}

export interface OrderList {
  total: number
  page: number
  size: number
  orders: Order[]
}

export interface OrderDetails {
  order: Order
  history: OrderLog[]
  fills: FillRecord[]
}

export interface BatchFilter {
  user_id: string
  status?: string | string[]
  symbol?: string
  strategy_id?: string
}

export interface BatchProgress {
  total: number
  done: number
}

export interface BatchResult {
  matched: number
  cancelled: number
  /** Orders that left the open states on their own while the batch ran (filled meanwhile). */
  skipped: number
  interrupted: boolean
}

/** How many times a change is re-read and re-applied when another writer moved the order first. */
const MAX_ATTEMPTS = 8

/** Orders: validation, the state machine, optimistic locking and history. */
export class OrderService {
  /** Order ids reserved ahead, outside the order's transaction (see IdBlocks). */
  private readonly ids: IdBlocks
  /** Totals for list({recentTotal}); cleared by every order change made through this service. */
  private readonly totals = new RecentCounts()

  constructor(private readonly deps: ServiceDeps) {
    this.ids = new IdBlocks(deps.store)
  }

  private get store(): Store {
    return this.deps.store
  }

  private get limits() {
    return this.deps.config.order.validation
  }

  async get(orderId: string, store: Store = this.store): Promise<Order> {
    const id = orderId.trim()
    const order = id ? await store.orders.find(id) : undefined
    if (!order) throw notFound(`No order ${show(orderId)}.`, 'Find orders with `ordermon order list`.')
    return order
  }

  async create(options: CreateOrderOptions, actor: Actor): Promise<CreateOrderResult> {
    const wanted = validNewOrder(options, this.limits)
    const {user_id: userId, client_order_id: clientOrderId, strategy_id: strategyId} = wanted
    const [number] = await this.ids.take('order', 1)
    // Given back only if no INSERT ever carried it: after an error past that point the row may exist.
    let sent = false
    const attempt = () =>
      this.store.transaction(async (tx) => {
        const user = await tx.users.findById(userId)
        // A retry of a placed order returns it, whatever its user's status is now.
        if (user && clientOrderId) {
          const existing = await tx.orders.findByClientId(userId, clientOrderId)
          if (existing) return {order: this.sameOrder(existing, {...wanted.terms, symbol: wanted.symbol, strategy_id: strategyId ?? null}), duplicate: true}
        }
        const refusal = placementRefusal(wanted, user, strategyId ? await tx.strategies.find(strategyId) : undefined)
        if (refusal) throw refusal
        sent = true
        const [order] = await insertOrders(tx, [wanted], [number!], actor)
        return {order: order!, duplicate: false}
      })
    try {
      return await attempt().catch((error: unknown) => {
        // Two creates racing with one client_order_id: the unique index lets one in; the other replays it.
        if (clientOrderId && classifyFailure(error).failure === 'duplicate') return attempt()
        throw error
      })
    } finally {
      if (!sent) this.ids.giveBack('order', [number!])
      else this.totals.clear()
    }
  }

  /**
   * Many new orders in one transaction, with the same rules as create() for each: what a strategy
   * engine places on one tick. One read of the users and one of the strategies, one allocation of
   * ids, multi-row inserts: a fixed handful of statements and one commit whatever the count (about
   * 8,000 orders/s on MariaDB here, against ~350/s one create() at a time). An order the rules refuse
   * gets its error in its slot and the rest go in. Orders with a client_order_id go through create()
   * one by one: their duplicate check is per order.
   */
  async createMany(items: CreateOrderOptions[], actor: Actor, options: {fence?: WriteFence} = {}): Promise<CreateManyResult[]> {
    const results: CreateManyResult[] = new Array(items.length)
    const valid: Array<{i: number; order: NewOrder}> = []
    for (const [i, options] of items.entries()) {
      try {
        if (options.client_order_id?.trim()) results[i] = {order: (await this.create(options, actor)).order}
        else valid.push({i, order: validNewOrder(options, this.limits)})
      } catch (error) {
        results[i] = {error: error as Error}
      }
    }
    if (valid.length === 0) return results
    const numbers = await this.ids.take('order', valid.length)
    let sent = 0
    const made = await this.store.transaction(async (tx) => {
      const userIds = [...new Set(valid.map((v) => v.order.user_id))]
      const users = new Map((await tx.users.findMany(userIds)).map((u) => [u.user_id, u]))
      // Several engines: an engine that lost a user's shard places nothing more for them.
      const fenced = new Set<string>()
      if (options.fence) {
        const allowed = await options.fence(tx, userIds)
        for (const id of userIds) if (!allowed.has(id)) fenced.add(id)
      }
      const strategyIds = [...new Set(valid.flatMap((v) => (v.order.strategy_id ? [v.order.strategy_id] : [])))]
      const strategies = new Map((await tx.strategies.findMany(strategyIds)).map((s) => [s.strategy_id, s]))
      const accepted: typeof valid = []
      for (const v of valid) {
        const refusal = fenced.has(v.order.user_id)
          ? conflict(`This engine no longer handles user ${v.order.user_id}: their shard moved to another engine.`)
          : placementRefusal(v.order, users.get(v.order.user_id), v.order.strategy_id ? strategies.get(v.order.strategy_id) : undefined)
        if (refusal) results[v.i] = {error: refusal}
        else accepted.push(v)
      }
      sent = accepted.length
      const orders = await insertOrders(tx, accepted.map((v) => v.order), numbers, actor)
      return accepted.map((v, k) => ({i: v.i, order: orders[k]!}))
    }).finally(() => {
      this.ids.giveBack('order', numbers.slice(sent))
      this.totals.clear()
    })
    for (const m of made) results[m.i] = {order: m.order}
    return results
  }

  /** An idempotent retry must describe the same order; a different one under a used id is a mistake. */
  private sameOrder(existing: Order, wanted: Pick<Order, 'symbol' | 'side' | 'order_type' | 'time_in_force' | 'quantity' | 'price' | 'stop_price' | 'strategy_id'>): Order {
    const diffs = (['symbol', 'side', 'order_type', 'time_in_force', 'quantity', 'price', 'stop_price', 'strategy_id'] as const).filter((k) => existing[k] !== wanted[k])
    if (diffs.length) throw conflict(`Client order id ${existing.client_order_id} is already used by ${existing.order_id} with a different ${diffs.join(', ')}.`, 'Use a new --client-order-id for a new order.')
    return existing
  }

  async list(options: ListOrdersOptions = {}): Promise<OrderList> {
    const size = options.size ?? 20
    const page = options.page ?? 1
    if (!Number.isInteger(size) || size < 1 || size > 1000) throw invalidInput(`size ${show(size)} is not valid: use a whole number from 1 to 1000.`)
    if (!Number.isInteger(page) || page < 1) throw invalidInput(`page ${show(page)} is not valid: use a whole number from 1.`)
    const statuses = options.status === undefined ? undefined : (Array.isArray(options.status) ? options.status : [options.status]).map((s) => requireOneOf('status', s, orderStatuses))
    const filter = {
      user_id: options.user_id?.trim() || undefined,
      strategy_id: options.strategy_id?.trim() || undefined,
      status: statuses,
      symbol: options.symbol === undefined ? undefined : validSymbol(options.symbol),
      since: parseSince('since', options.since),
    }
    const window = {...filter, limit: size, offset: (page - 1) * size}
    if (!options.recentTotal) return {...(await this.store.orders.list(window)), page, size}
    const [total, orders] = await Promise.all([this.totals.get(JSON.stringify(filter), () => this.store.orders.count(filter)), this.store.orders.rows(window)])
    return {total, page, size, orders}
  }

  async query(orderId: string): Promise<OrderDetails> {
    const order = await this.get(orderId)
    const [history, fills] = await Promise.all([this.store.orders.logs(order.order_id), this.store.orders.fills({order_id: order.order_id})])
    return {order, history, fills}
  }

  async history(orderId: string): Promise<OrderLog[]> {
    const order = await this.get(orderId)
    return this.store.orders.logs(order.order_id)
  }

  /**
   * Runs `change` against the order's latest version until it applies. A concurrent fill or cancel
   * makes the version check fail; we re-read, so neither change is lost, and `change` re-validates
   * against what the order has become (it throws when the change no longer makes sense).
   */
  private async withLatest(orderId: string, change: (tx: Store, order: Order) => Promise<Order | undefined>): Promise<Order> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // The row is locked (MySQL) for the transaction, so concurrent changes to one order queue up
      // instead of failing the version check; the check still guards against writers that do not lock.
      const result = await this.store.transaction(async (tx) => {
        const [locked] = await tx.orders.findManyForUpdate([orderId.trim()])
        if (!locked) throw notFound(`No order ${show(orderId)}.`, 'Find orders with `ordermon order list`.')
        return change(tx, locked)
      })
      if (result) {
        this.totals.clear()
        return result
      }
    }
    throw conflict(`Order ${orderId} kept changing under us (${MAX_ATTEMPTS} attempts); nothing was changed by this command.`, 'Query it and try again.')
  }

  async modify(orderId: string, options: {quantity?: string | number; price?: string | number}, actor: Actor): Promise<Order> {
    if (options.quantity === undefined && options.price === undefined) throw invalidInput('Nothing to modify.', 'Give --quantity and/or --price.')
    const quantity = options.quantity === undefined ? undefined : validQuantity(options.quantity, this.limits)
    const price = options.price === undefined ? undefined : validPrice(options.price, this.limits)
    return this.withLatest(orderId, async (tx, order) => {
      if (!isOpenOrder(order.status)) throw conflict(`Order ${order.order_id} is ${order.status}; only pending or partially filled orders can be modified.`)
      if (price !== undefined && (order.order_type === 'market' || order.order_type === 'stop')) throw invalidInput(`Order ${order.order_id} is a ${order.order_type} order; it has no price to modify.`)
      if (quantity !== undefined && quantity <= order.filled_quantity)
        throw conflict(`Quantity ${quantity} is not above the ${order.filled_quantity} already filled on ${order.order_id}.`, `Use a quantity above ${order.filled_quantity}, or cancel the rest.`)
      if ((quantity === undefined || quantity === order.quantity) && (price === undefined || price === order.price))
        throw invalidInput(`Order ${order.order_id} already has quantity ${order.quantity} and price ${order.price ?? '-'}; nothing to modify.`)
      const parts = [quantity !== undefined && quantity !== order.quantity ? `quantity ${order.quantity} -> ${quantity}` : '', price !== undefined && price !== order.price ? `price ${order.price} -> ${price}` : ''].filter(Boolean)
      const after = await applyChange(tx, order, {modify: {quantity, price}, reason: `modified: ${parts.join(', ')}`, source: actor.source, actor: actor.name})
      if (after && actor.source !== 'engine')
        await tx.audit.record({actor: actor.name, action: 'order.modify', target_type: 'order', target: order.order_id, details: {from: {quantity: order.quantity, price: order.price}, to: {quantity: after.quantity, price: after.price}}})
      return after
    })
  }

  async cancel(orderId: string, actor: Actor, reasonText?: string): Promise<Order> {
    const reason = validReason(reasonText) ?? 'cancelled by user'
    return this.withLatest(orderId, async (tx, order) => {
      if (isTerminalOrder(order.status)) throw conflict(`Order ${order.order_id} is already ${order.status}; it cannot be cancelled.`)
      const after = await applyChange(tx, order, {to: 'cancelled', reason, source: actor.source, actor: actor.name})
      if (after && actor.source !== 'engine') await tx.audit.record({actor: actor.name, action: 'order.cancel', target_type: 'order', target: order.order_id, details: {from: order.status, reason}})
      return after
    })
  }

  /** A fill from a venue (or the paper simulator): drives filled_quantity, avg price and status. */
  async fill(orderId: string, fill: Fill, actor: Actor): Promise<Order> {
    const quantity = validQuantity(fill.quantity, {...this.limits, min_quantity: 0}, 'fill quantity')
    const price = validPrice(fill.price, {...this.limits, min_price: 0}, 'fill price')!
    return this.withLatest(orderId, (tx, order) => applyChange(tx, order, {fill: {quantity, price, fee: fill.fee}, reason: 'fill', source: actor.source, actor: actor.name}))
  }

  /** Moves an open order to a final state other than filled: rejected or expired (venue decisions). */
  async finish(orderId: string, to: 'rejected' | 'expired' | 'cancelled', reason: string, actor: Actor): Promise<Order> {
    return this.withLatest(orderId, (tx, order) => applyChange(tx, order, {to, reason, source: actor.source, actor: actor.name}))
  }

  private batchStatuses(status: string | string[] | undefined): OrderStatus[] {
    if (status === undefined) return [...openOrderStatuses]
    const list = (Array.isArray(status) ? status : [status]).map((s) => requireOneOf('status', s, orderStatuses))
    const closed = list.filter((s) => !isOpenOrder(s))
    if (closed.length) throw invalidInput(`Only open orders can be cancelled; ${closed.join(', ')} orders are final.`, 'Use --status pending or --status partially_filled.')
    return list
  }

  async countForBatch(filter: BatchFilter): Promise<number> {
    const user = await this.store.users.findById(filter.user_id.trim())
    if (!user) throw notFound(`No user id ${show(filter.user_id)}.`)
    return this.store.orders.count({user_id: user.user_id, status: this.batchStatuses(filter.status), symbol: filter.symbol ? validSymbol(filter.symbol) : undefined, strategy_id: filter.strategy_id})
  }

  /**
   * Cancels every matching open order in batches of `batchSize`, one transaction per batch (each order
   * with its order_logs and events rows). Stopping between batches (`signal`) or a crash inside one
   * leaves every order either cancelled with its history or untouched; running again finishes the job.
   */
  async cancelBatch(
    filter: BatchFilter,
    actor: Actor,
    options: {batchSize?: number; signal?: AbortSignal; onProgress?: (p: BatchProgress) => void; reason?: string} = {},
  ): Promise<BatchResult> {
    const statuses = this.batchStatuses(filter.status)
    const user = await this.store.users.findById(filter.user_id.trim())
    if (!user) throw notFound(`No user id ${show(filter.user_id)}.`)
    const f = {user_id: user.user_id, status: statuses, symbol: filter.symbol ? validSymbol(filter.symbol) : undefined, strategy_id: filter.strategy_id}
    const batchSize = options.batchSize ?? 500
    const reason = options.reason ?? 'cancelled by batch'
    const total = await this.store.orders.count(f)
    const result: BatchResult = {matched: total, cancelled: 0, skipped: 0, interrupted: false}
    let afterId = 0
    options.onProgress?.({total, done: 0})
    while (true) {
      // better-sqlite3 answers synchronously, so without a turn of the event loop a SIGINT handler
      // (which sets the abort signal) would never run between batches.
      await new Promise((resolve) => setImmediate(resolve))
      if (options.signal?.aborted) {
        result.interrupted = true
        break
      }
      const ids = await this.store.orders.idsAfter(f, afterId, batchSize)
      if (ids.length === 0) break
      afterId = ids.at(-1)!.id
      const cancelled = await this.store.transaction(async (tx) => {
        const orders = (await tx.orders.findManyForUpdate(ids.map((i) => i.order_id))).filter((o) => statuses.includes(o.status))
        let n = 0
        for (const order of orders) {
          // Rows are locked (MySQL) or the database is (SQLite): the version check cannot fail here,
          // but if it does the order simply stays for the next run.
          if (await applyChange(tx, order, {to: 'cancelled', reason, source: actor.source, actor: actor.name})) n++
        }
        if (n > 0 && actor.source !== 'engine')
          await tx.audit.record({actor: actor.name, action: 'order.cancel_batch', target_type: 'user', target: user.user_id, details: {cancelled: n, first: ids[0]!.order_id, last: ids.at(-1)!.order_id}})
        return n
      })
      result.cancelled += cancelled
      result.skipped += ids.length - cancelled
      options.onProgress?.({total, done: result.cancelled + result.skipped})
    }
    return result
  }
}
