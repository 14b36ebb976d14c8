import {existsSync, readFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import type {Actor} from '../../src/engine/domain/context.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import type {Logger} from '../../src/engine/logging/logger.js'
import {UserLogs} from '../../src/engine/logging/user-logs.js'
import type {MarketData, Tick} from '../../src/engine/runtime/market/types.js'
import type {StrategyRunner} from '../../src/engine/runtime/strategy-runner.js'
import type {Order, Strategy, User} from '../../src/engine/store/index.js'

/** Helpers for the in-process tests of the engine's parts (state sync, trading path, heartbeat, wiring). */

export const cli: Actor = {name: 'test', source: 'cli'}
export const engineActor: Actor = {name: 'engine', source: 'engine'}

/**
 * A MarketData whose ticks the test chooses: each next() hands out the next step pushed with
 * `push()` (none once the script is used up). Every follow() call is recorded.
 */
export class ScriptedMarket implements MarketData {
  readonly name = 'scripted'
  readonly followed = new Set<string>()
  readonly followCalls: string[][] = []
  private readonly steps: Tick[][] = []
  private readonly prices = new Map<string, number>()
  nextCalls = 0

  follow(symbols: Iterable<string>): void {
    const list = [...symbols]
    this.followCalls.push(list)
    for (const s of list) this.followed.add(s)
  }

  /** Queues one step: `[symbol, price, volume]` per tick. */
  push(...ticks: Array<[symbol: string, price: number, volume?: number]>): this {
    this.steps.push(ticks.map(([symbol, price, volume]) => ({symbol, price, volume: volume ?? 1000, at: 0})))
    return this
  }

  next(now: number): Tick[] {
    this.nextCalls++
    const step = (this.steps.shift() ?? []).map((t) => ({...t, at: now}))
    for (const t of step) this.prices.set(t.symbol, t.price)
    return step
  }

  last(symbol: string): number | undefined {
    return this.prices.get(symbol)
  }

  get remaining(): number {
    return this.steps.length
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error'
  message: string
  meta?: Record<string, unknown>
}

/** A system logger that records what it is told (the parts take a winston Logger; they only call these). */
export function recordingLogger(): {logger: Logger; entries: LogEntry[]} {
  const entries: LogEntry[] = []
  const at = (level: LogEntry['level']) => (message: string, meta?: Record<string, unknown>) => void entries.push({level, message, meta})
  return {logger: {info: at('info'), warn: at('warn'), error: at('error')} as unknown as Logger, entries}
}

/** A runner's book for one symbol (quantity and average cost), as its fills left it. */
export function bookOf(runner: StrategyRunner | undefined, symbol: string): {quantity: number; avgCost: number} | undefined {
  if (!runner) return undefined
  return (runner as unknown as {books: Map<string, {quantity: number; avgCost: number}>}).books.get(symbol)
}

/** The JSON lines of a user's log file for today, after flushing `logs`. */
export async function userLogLines(logs: UserLogs, logDir: string, userId: string): Promise<Array<{level: string; message: string} & Record<string, unknown>>> {
  await logs.flush()
  const file = UserLogs.fileFor(logDir, userId, new Date())
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

let seq = 0
/** A unique lowercase username (tests share one database per describe, and may run twice or shuffled). */
export const username = (label: string) => `${label}_${++seq}_${randomBytes(3).toString('hex')}`

export async function newUser(h: EngineHandle, label: string, status?: string): Promise<User> {
  return h.users.create({username: username(label), password: 'password123', status}, cli)
}

export async function runningStrategy(h: EngineHandle, userId: string, config: Record<string, unknown>): Promise<Strategy> {
  const s = await h.strategies.create({user_id: userId, name: username('s'), config}, cli)
  return (await h.strategies.start(s.strategy_id, cli)).strategy
}

export const momentum = (over: Record<string, unknown> = {}, risk?: Record<string, unknown>) => ({
  type: 'momentum',
  parameters: {symbols: ['AAPL'], lookback_period: 2, threshold: 0.01, order_quantity: 10, ...over},
  ...(risk ? {risk_management: risk} : {}),
})

/** A resting limit order placed from the CLI side (buy far below any price used here: it never fills unless told). */
export async function restingOrder(h: EngineHandle, userId: string, over: Record<string, unknown> = {}): Promise<Order> {
  return (await h.orders.create({user_id: userId, symbol: 'AAPL', side: 'buy', order_type: 'limit', quantity: 10, price: 1, ...over} as never, cli)).order
}

/** Ids of the rows a query returns, sorted: what the in-memory state is compared with. */
export const sortedIds = (rows: Array<Record<string, unknown>>, key: string) => rows.map((r) => String(r[key])).sort()
