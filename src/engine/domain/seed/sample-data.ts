import type {NewOrderRow, OrderLogRow, FillRow, NewStrategyRow} from '../../store/index.js'
import type {OrderStatus} from '../statuses.js'
import type {Actor, ServiceDeps} from '../context.js'
import {strategyEvents} from '../events.js'
import {formatOrderId, formatStrategyId} from '../ids.js'
import {UserService} from '../users/service.js'
import {randomBytes} from 'node:crypto'

/** The manual's people (张三, 李四, 王五 ...) so the tables look like its screenshots. */
const sampleUsers = [
  {username: 'trader001', name: '张三', email: 'trader001@example.com', phone: '+86 138 0013 8000', type: 'professional', group: 'desk-a'},
  {username: 'trader002', name: '李四', email: 'trader002@example.com', phone: '+86 139 0013 9000', type: 'institutional', group: 'desk-b'},
  {username: 'trader003', name: '王五', email: 'trader003@example.com', type: 'personal', group: 'desk-a', status: 'suspended'},
  {username: 'trader004', name: 'Alice Martin', email: 'alice.martin@example.com', type: 'professional', group: 'desk-b', status: 'locked'},
  {username: 'analyst001', name: '赵六', email: 'analyst001@example.com', type: 'professional', role: 'analyst', group: 'research'},
] as const

function sampleStrategies(ids: Record<string, string>): Array<Omit<NewStrategyRow, 'strategy_id'>> {
  return [
    {
      user_id: ids.trader001!,
      name: '动量策略',
      type: 'momentum',
      status: 'running',
      parameters: {symbols: ['AAPL', 'GOOGL', 'MSFT'], timeframe: '1m', lookback_period: 20, threshold: 0.02, max_position_size: 10000, stop_loss: 0.05, take_profit: 0.1},
      risk_management: {max_daily_loss: 1000, max_drawdown: 0.15, position_sizing: 'fixed'},
      schedule: {start_time: '09:30', end_time: '16:00', timezone: 'US/Eastern'},
    },
    {
      user_id: ids.trader002!,
      name: '套利策略',
      type: 'arbitrage',
      status: 'paused',
      parameters: {symbols: ['GOOGL', 'GOOG'], spread_threshold: 0.5, max_position_size: 5000},
      risk_management: {max_daily_loss: 2000, max_drawdown: 0.1},
      schedule: {start_time: '09:30', end_time: '16:00', timezone: 'America/New_York'},
    },
    {
      user_id: ids.trader001!,
      name: '网格策略',
      type: 'grid',
      status: 'running',
      parameters: {symbol: 'MSFT', lower_price: 300, upper_price: 340, levels: 10, quantity_per_level: 10},
      risk_management: {max_daily_loss: 1500, max_drawdown: 0.2, max_position_size: 200},
      schedule: null,
    },
    {
      user_id: ids.trader002!,
      name: 'Mean reversion (stopped)',
      type: 'momentum',
      status: 'stopped',
      parameters: {symbols: ['TSLA'], timeframe: '5m', lookback_period: 50, threshold: 0.03, max_position_size: 2000, stop_loss: 0.04, take_profit: 0.08},
      risk_management: {max_daily_loss: 500, max_drawdown: 0.1},
      schedule: {start_time: '09:30', end_time: '16:00', timezone: 'America/New_York'},
    },
  ]
}

const basePrice: Record<string, number> = {AAPL: 150.5, GOOGL: 141.2, GOOG: 142.1, MSFT: 320.4, TSLA: 242.8}

/** Deterministic pseudo-random numbers, so sample data is the same on every run and backend. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0
    return s / 2 ** 32
  }
}

export interface SampleDataOptions {
  /** How many sample orders (default 40). */
  orders?: number
  /**
   * Called as the load advances: `done` of `total` steps (one per sample user, one per order). For a
   * progress display; it must not throw, and it runs inside the load's transaction, so keep it quick.
   */
  onProgress?: (done: number, total: number) => void
}

/** Orders (with their logs and fills) written per statement batch, and per progress report. */
const ORDER_CHUNK = 500

export interface SampleDataResult {
  created: boolean
  users: number
  strategies: number
  orders: number
  fills: number
}

/**
 * Loads realistic sample users, the manual's three strategies (momentum / arbitrage / grid) and orders
 * in every status with consistent order_logs and fills. Does nothing when the sample users exist.
 */
export async function loadSampleData(deps: ServiceDeps, actor: Actor, options: SampleDataOptions = {}): Promise<SampleDataResult> {
  if (await deps.store.users.findByUsername(sampleUsers[0].username)) return {created: false, users: 0, strategies: 0, orders: 0, fills: 0}
  const random = rng(20240115)
  const orderCount = options.orders ?? 40
  const total = sampleUsers.length + orderCount
  let done = 0
  const progress = (steps: number) => {
    done += steps
    options.onProgress?.(done, total)
  }
  const statuses: OrderStatus[] = ['pending', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired']
  // One transaction for everything (user creates nest as savepoints): a failure leaves no half sample.
  return deps.store.transaction(async (tx) => {
    const users = new UserService({...deps, store: tx})
    const ids: Record<string, string> = {}
    for (const u of sampleUsers) {
      // Sample accounts get random passwords nobody knows: they exist to be looked at, not logged into.
      const created = await users.create({...u, password: `${randomBytes(12).toString('base64url')}9a`}, actor)
      ids[u.username] = created.user_id
      progress(1)
    }
    const strategies = sampleStrategies(ids)
    const firstStrategy = await tx.sequences.allocate('strategy', strategies.length)
    const strategyRows: NewStrategyRow[] = strategies.map((s, i) => ({...s, strategy_id: formatStrategyId(firstStrategy + i)}))
    for (const s of strategyRows) await tx.strategies.insert(s)
    // Their creation is recorded like any other, so the engine's change detector knows their state.
    await tx.events.append(strategyRows.map((s) => strategyEvents.created(s, actor.source)))
    for (const [username, id] of Object.entries(ids)) {
      if (!username.startsWith('trader00')) continue
      await tx.users.recordLogin(id, {ip: `10.0.0.${Object.keys(ids).indexOf(username) + 10}`, device: 'ordermon-cli', success: true, reason: null})
    }

    const firstOrder = await tx.sequences.allocate('order', orderCount)
    const orders: NewOrderRow[] = []
    const logs: OrderLogRow[] = []
    const fills: FillRow[] = []
    // Where each order's logs and fills end, so they can be written in chunks with their orders.
    const logsEnd: number[] = []
    const fillsEnd: number[] = []
    const traders = ['trader001', 'trader002', 'trader001', 'trader003']
    for (let i = 0; i < orderCount; i++) {
      const status = statuses[i % statuses.length]!
      const username = traders[i % traders.length]!
      const userId = ids[username]!
      const strategy = strategyRows.find((s) => s.user_id === userId && i % 3 !== 0)
      // A strategy's orders are for its own symbols; manual orders for anything on the desk.
      const params = strategy?.parameters as {symbols?: string[]; symbol?: string} | undefined
      const symbols = params?.symbols ?? (params?.symbol ? [params.symbol] : ['AAPL', 'GOOGL', 'MSFT', 'TSLA'])
      const symbol = symbols[Math.floor(random() * symbols.length)]!
      const side = random() < 0.5 ? 'buy' : 'sell'
      const orderType = i % 5 === 0 ? 'market' : 'limit'
      const quantity = (1 + Math.floor(random() * 20)) * 100
      const price = orderType === 'market' ? null : Math.round(basePrice[symbol]! * (0.98 + random() * 0.04) * 100) / 100
      const fillPrice = price ?? Math.round(basePrice[symbol]! * 100) / 100
      const orderId = formatOrderId(firstOrder + i)
      // Partial fills are strictly between 0 and the quantity; every other cancelled order had one.
      const partial = Math.floor(quantity / 2)
      const filled = status === 'filled' ? quantity : status === 'partially_filled' || (status === 'cancelled' && Math.floor(i / 6) % 2 === 0) ? partial : 0
      orders.push({
        order_id: orderId,
        client_order_id: `sample-${i + 1}`,
        user_id: userId,
        strategy_id: strategy?.strategy_id ?? null,
        symbol,
        side,
        order_type: orderType,
        time_in_force: status === 'expired' ? 'DAY' : 'GTC',
        quantity,
        price,
        filled_quantity: filled,
        avg_fill_price: filled > 0 ? fillPrice : null,
        status,
        status_reason: status === 'rejected' ? 'insufficient buying power' : status === 'expired' ? 'end of day' : null,
        filled_at: status === 'filled' ? new Date() : null,
      })
      // The history replays to the current state: created, then any fills, then the final transition.
      logs.push({order_id: orderId, from_status: null, to_status: 'pending', quantity, price, reason: 'created', source: 'cli', actor: actor.name})
      if (filled > 0) {
        const partialFirst = status === 'filled' && filled >= 200
        const first = partialFirst ? filled / 2 : filled
        fills.push({order_id: orderId, user_id: userId, strategy_id: strategy?.strategy_id ?? null, symbol, side, quantity: first, price: fillPrice, fee: Math.round(first * fillPrice * 0.0005 * 100) / 100})
        logs.push({order_id: orderId, from_status: 'pending', to_status: filled < quantity || partialFirst ? 'partially_filled' : 'filled', filled_delta: first, price: fillPrice, reason: 'fill', source: 'engine'})
        if (partialFirst) {
          fills.push({order_id: orderId, user_id: userId, strategy_id: strategy?.strategy_id ?? null, symbol, side, quantity: filled - first, price: fillPrice, fee: Math.round((filled - first) * fillPrice * 0.0005 * 100) / 100})
          logs.push({order_id: orderId, from_status: 'partially_filled', to_status: 'filled', filled_delta: filled - first, price: fillPrice, reason: 'fill', source: 'engine'})
        }
      }
      if (status === 'cancelled' || status === 'rejected' || status === 'expired') {
        const from: OrderStatus = filled > 0 ? 'partially_filled' : 'pending'
        logs.push({order_id: orderId, from_status: from, to_status: status, reason: orders.at(-1)!.status_reason ?? 'cancelled by user', source: status === 'cancelled' ? 'cli' : 'engine'})
      }
      logsEnd.push(logs.length)
      fillsEnd.push(fills.length)
    }
    for (let from = 0; from < orders.length; from += ORDER_CHUNK) {
      const to = Math.min(orders.length, from + ORDER_CHUNK)
      const logsFrom = from === 0 ? 0 : logsEnd[from - 1]!
      const fillsFrom = from === 0 ? 0 : fillsEnd[from - 1]!
      await tx.orders.insert(orders.slice(from, to))
      await tx.orders.insertLogs(logs.slice(logsFrom, logsEnd[to - 1]))
      await tx.orders.insertFills(fills.slice(fillsFrom, fillsEnd[to - 1]))
      progress(to - from)
    }
    await tx.audit.record({actor: actor.name, action: 'db.seed', target_type: 'system', target: 'sample-data', details: {users: sampleUsers.length, strategies: strategyRows.length, orders: orders.length}})
    return {created: true, users: sampleUsers.length, strategies: strategyRows.length, orders: orders.length, fills: fills.length}
  })
}
