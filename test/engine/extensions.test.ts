import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {EventBus} from '../../src/engine/bus/event-bus.js'
import type {EventMessage} from '../../src/engine/bus/channels.js'
import {loadStrategy} from '../../src/engine/strategies/registry.js'
import type {Strategy} from '../../src/engine/store/index.js'
import {OrdermonError} from '../../src/engine/errors.js'

const strategy = (over: Partial<Strategy>): Strategy => ({
  strategy_id: 'STR900',
  user_id: 'U1',
  name: 'custom',
  type: 'custom',
  status: 'running',
  parameters: {symbol: 'AAPL', every: 2},
  risk_management: {},
  schedule: null,
  module_path: null,
  status_reason: null,
  version: 1,
  created_at: '',
  updated_at: '',
  started_at: null,
  stopped_at: null,
  ...over,
})

describe('custom strategy modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-custom-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('loads a module from a path relative to the strategies directory and runs it', async () => {
    // A strategy written by a user: buys every `every`-th tick of its symbol.
    writeFileSync(
      join(dir, 'every-nth.mjs'),
      `export default (config) => {
        let n = 0
        return {
          symbols: [config.parameters.symbol],
          onTick(tick) {
            n++
            return n % config.parameters.every === 0 ? [{symbol: tick.symbol, side: 'buy', quantity: 5, order_type: 'market', reason: 'tick ' + n}] : []
          },
        }
      }\n`,
    )
    const s = await loadStrategy(strategy({module_path: 'every-nth.mjs'}), dir)
    expect(s.symbols).toEqual(['AAPL'])
    const view = {position: () => 0, avgCost: () => 0, now: new Date()}
    const tick = {symbol: 'AAPL', price: 10, volume: 100, at: 0}
    expect(s.onTick(tick, view)).toEqual([])
    expect(s.onTick(tick, view)).toEqual([{symbol: 'AAPL', side: 'buy', quantity: 5, order_type: 'market', reason: 'tick 2'}])
  })

  it('refuses a module without a default factory, and a custom strategy without module_path', async () => {
    writeFileSync(join(dir, 'bad.mjs'), 'export const x = 1\n')
    await expect(loadStrategy(strategy({module_path: 'bad.mjs'}), dir)).rejects.toThrow(/must default-export a function/)
    await expect(loadStrategy(strategy({module_path: null}), dir)).rejects.toBeInstanceOf(OrdermonError)
  })

  it('built-in types need no module', async () => {
    const s = await loadStrategy(strategy({type: 'grid', parameters: {symbol: 'MSFT', lower_price: 300, upper_price: 340, levels: 5}}), dir)
    expect(s.symbols).toEqual(['MSFT'])
  })
})

describe('EventBus', () => {
  const event = (type: string): EventMessage => ({id: 1, type, entity_type: type.split('.')[0]!, entity_id: 'X', user_id: null, source: 'cli', created_at: '', payload: {}})

  it('routes by exact type, by entity and to all, and isolates a failing handler', async () => {
    const errors: string[] = []
    const bus = new EventBus((error, e, pattern) => errors.push(`${pattern}:${e.type}:${(error as Error).message}`))
    const seen: string[] = []
    bus.on('order.filled', () => void seen.push('exact'))
    bus.on('order.*', () => {
      throw new Error('boom')
    })
    bus.on('*', (e) => void seen.push(`all:${e.type}`))
    const off = bus.on('user.*', () => void seen.push('user'))
    await bus.emit(event('order.filled'))
    await bus.emit(event('user.created'))
    off()
    await bus.emit(event('user.deleted'))
    expect(seen).toEqual(['exact', 'all:order.filled', 'user', 'all:user.created', 'all:user.deleted'])
    expect(errors).toEqual(['order.*:order.filled:boom'])
  })
})
