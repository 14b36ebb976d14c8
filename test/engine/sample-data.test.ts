import type {Knex} from 'knex'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {loadSampleData, type SampleDataResult} from '../../src/engine/domain/seed/sample-data.js'
import {useEngine} from '../helpers/suite.js'

const actor: Actor = {name: 'seed-test', source: 'cli'}
const tables = ['users', 'strategies', 'orders', 'order_logs', 'fills', 'login_history', 'audit_log', 'events', 'sequences']

/** Order state machine (DESIGN.md); a full fill straight from pending is one fill that completes it. */
const allowed: Record<string, string[]> = {
  pending: ['partially_filled', 'filled', 'cancelled', 'expired', 'rejected'],
  partially_filled: ['partially_filled', 'filled', 'cancelled', 'expired'],
  filled: [],
  cancelled: [],
  rejected: [],
  expired: [],
}

const num = (v: unknown) => Number(v ?? 0)
const close = (a: number, b: number) => Math.abs(a - b) < 1e-6

async function counts(knex: Knex): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const t of tables) out[t] = Number((await knex(t).count({n: '*'}))[0]!.n)
  return out
}

/** Every way an order's history can disagree with the order; empty when consistent. */
async function replayProblems(knex: Knex): Promise<string[]> {
  const problems: string[] = []
  const orders = await knex('orders').orderBy('id')
  const logs = await knex('order_logs').orderBy('id')
  const fills = await knex('fills').orderBy('id')
  for (const o of orders) {
    const mine = logs.filter((l) => l.order_id === o.order_id)
    let state: string | null = null
    let filled = 0
    for (const l of mine) {
      if (l.from_status !== state) problems.push(`${o.order_id}: log ${l.id} goes from ${l.from_status}, but the order was ${state}`)
      if (state === null && l.to_status !== 'pending') problems.push(`${o.order_id}: first log goes to ${l.to_status}`)
      if (state !== null && !allowed[state]!.includes(l.to_status)) problems.push(`${o.order_id}: illegal transition ${state} -> ${l.to_status}`)
      state = l.to_status
      filled += num(l.filled_delta)
      if (state === 'partially_filled' && !(filled > 0 && filled < num(o.quantity))) problems.push(`${o.order_id}: partially_filled with ${filled} of ${o.quantity}`)
      if (state === 'filled' && !close(filled, num(o.quantity))) problems.push(`${o.order_id}: filled with ${filled} of ${o.quantity}`)
    }
    if (mine.length === 0) problems.push(`${o.order_id}: no order_logs`)
    if (state !== o.status) problems.push(`${o.order_id}: history ends at ${state}, order is ${o.status}`)
    if (!close(filled, num(o.filled_quantity))) problems.push(`${o.order_id}: sum(filled_delta)=${filled}, filled_quantity=${o.filled_quantity}`)
    const myFills = fills.filter((f) => f.order_id === o.order_id)
    const fillSum = myFills.reduce((s, f) => s + num(f.quantity), 0)
    if (!close(fillSum, num(o.filled_quantity))) problems.push(`${o.order_id}: sum(fills)=${fillSum}, filled_quantity=${o.filled_quantity}`)
    if (num(o.filled_quantity) > num(o.quantity)) problems.push(`${o.order_id}: overfilled`)
    if (o.status === 'partially_filled' && !(num(o.filled_quantity) > 0 && num(o.filled_quantity) < num(o.quantity)))
      problems.push(`${o.order_id}: partially_filled with filled_quantity ${o.filled_quantity} of ${o.quantity}`)
    if (o.status === 'filled' && !close(num(o.filled_quantity), num(o.quantity))) problems.push(`${o.order_id}: filled with filled_quantity ${o.filled_quantity} of ${o.quantity}`)
    if ((o.status === 'pending' || o.status === 'rejected') && num(o.filled_quantity) !== 0)
      problems.push(`${o.order_id}: ${o.status} with filled_quantity ${o.filled_quantity}`)
    if ((o.status === 'filled') !== (o.filled_at !== null)) problems.push(`${o.order_id}: status ${o.status} with filled_at ${o.filled_at}`)
    if (num(o.filled_quantity) > 0 && o.avg_fill_price === null) problems.push(`${o.order_id}: fills without avg_fill_price`)
    for (const f of myFills) if (f.user_id !== o.user_id || f.symbol !== o.symbol || f.side !== o.side) problems.push(`${o.order_id}: fill ${f.id} does not match the order`)
  }
  return problems
}

describe.each(backendKinds)('loadSampleData on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex
  let result: SampleDataResult

  beforeAll(async () => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
    try {
      result = await loadSampleData({store: engine.store, config: engine.loaded.config}, actor)
    } catch (error) {
      ctx.error = error
    }
  })

  it('reports what it created, matching the tables', async () => {
    expect(result).toEqual({created: true, users: 5, strategies: 4, orders: 40, fills: expect.any(Number)})
    const c = await counts(knex)
    expect(c.users).toBe(5)
    expect(c.strategies).toBe(4)
    expect(c.orders).toBe(40)
    expect(c.fills).toBe(result.fills)
    expect(result.fills).toBeGreaterThan(0)
  })

  it("creates the manual's users, including 张三", async () => {
    const {users} = await engine.users.list({limit: 100})
    const byName = Object.fromEntries(users.map((u) => [u.name, u]))
    expect(Object.keys(byName).sort()).toEqual(['Alice Martin', '张三', '李四', '王五', '赵六'].sort())
    expect(byName['张三']).toMatchObject({username: 'trader001', status: 'active', type: 'professional', role: 'trader', group: 'desk-a'})
    expect(byName['王五']!.status).toBe('suspended')
    expect(byName['Alice Martin']!.status).toBe('locked')
    expect(byName['赵六']!.role).toBe('analyst')
    expect(users.map((u) => u.user_id)).toEqual(['U000001', 'U000002', 'U000003', 'U000004', 'U000005'])
    // Each creation is audited like any other (plus one row for the seed itself).
    expect(Number((await knex('audit_log').where({action: 'user.create'}).count({n: '*'}))[0]!.n)).toBe(5)
    expect(Number((await knex('audit_log').where({action: 'db.seed'}).count({n: '*'}))[0]!.n)).toBe(1)
    expect((await engine.users.show({username: 'trader001'})).login_history).toHaveLength(1)
  })

  it('creates momentum, arbitrage and grid strategies with JSON parameters', async () => {
    const rows = await knex('strategies').orderBy('id')
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['momentum', 'arbitrage', 'grid']))
    expect(rows.map((r) => r.strategy_id)).toEqual(['STR001', 'STR002', 'STR003', 'STR004'])
    const momentum = rows.find((r) => r.name === '动量策略')
    expect(momentum.status).toBe('running')
    expect(JSON.parse(momentum.parameters)).toMatchObject({symbols: ['AAPL', 'GOOGL', 'MSFT'], lookback_period: 20, threshold: 0.02})
    expect(JSON.parse(momentum.schedule)).toEqual({start_time: '09:30', end_time: '16:00', timezone: 'US/Eastern'})
    expect(momentum.started_at).not.toBeNull()
    const grid = rows.find((r) => r.type === 'grid')
    expect(grid.schedule).toBeNull()
  })

  it('creates orders in all six statuses', async () => {
    const byStatus = await engine.store.orders.countByStatus()
    expect(Object.keys(byStatus).sort()).toEqual(['cancelled', 'expired', 'filled', 'partially_filled', 'pending', 'rejected'])
    for (const n of Object.values(byStatus)) expect(n).toBeGreaterThan(0)
    expect(Object.values(byStatus).reduce((a, b) => a + b, 0)).toBe(40)
  })

  it('every order replays from its order_logs to its current status, and its fills add up', async () => {
    expect(await replayProblems(knex)).toEqual([])
  })

  it('running it again creates nothing and changes no counts', async () => {
    const before = await counts(knex)
    const again = await loadSampleData({store: engine.store, config: engine.loaded.config}, actor)
    expect(again).toEqual({created: false, users: 0, strategies: 0, orders: 0, fills: 0})
    expect(await counts(knex)).toEqual(before)
  })
})

// More orders than the default, so every branch of the generator (every quantity, every status) is exercised.
describe.each(backendKinds)('loadSampleData with 300 orders on %s', (kind) => {
  const ctx = useEngine(kind)

  it('keeps every order consistent with its history and fills', async () => {
    const engine = ctx.engine
    // `ordermon db seed --orders 300` is allowed (up to 100,000); a failure here is reported without the whole SQL text.
    const result = await loadSampleData({store: engine.store, config: engine.loaded.config}, actor, {orders: 300}).catch((error: Error) => {
      throw new Error(`loadSampleData({orders: 300}) failed: ${error.message.length > 300 ? `…${error.message.slice(-200)}` : error.message}`)
    })
    expect(result.orders).toBe(300)
    expect(await replayProblems(engine.db.knex)).toEqual([])
  })
})

// Over two write chunks (500 orders each): every order keeps its logs and fills, and progress is reported.
describe.each(backendKinds)('loadSampleData with 1,100 orders and onProgress on %s', (kind) => {
  const ctx = useEngine(kind)

  it('reports progress up to the total and keeps every order consistent across chunks', async () => {
    const engine = ctx.engine
    const seen: Array<[number, number]> = []
    const result = await loadSampleData({store: engine.store, config: engine.loaded.config}, actor, {orders: 1100, onProgress: (d, t) => seen.push([d, t])})
    expect(result.orders).toBe(1100)
    expect(seen.length).toBeGreaterThanOrEqual(5 + 3)
    expect(new Set(seen.map(([, t]) => t))).toEqual(new Set([5 + 1100]))
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0])
    expect(seen.at(-1)).toEqual([1105, 1105])
    expect(await replayProblems(engine.db.knex)).toEqual([])
    const [{n}] = (await engine.db.knex('order_logs').countDistinct({n: 'order_id'})) as Array<{n: number}>
    expect(Number(n)).toBe(1100)
  })
})
