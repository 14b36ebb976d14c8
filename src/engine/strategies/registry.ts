import {isAbsolute, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {confinedModulePath} from '../domain/strategies/module-path.js'
import {invalidInput} from '../errors.js'
import type {Strategy} from '../store/index.js'
import {ArbitrageStrategy} from './arbitrage.js'
import {GridStrategy} from './grid.js'
import {MomentumStrategy} from './momentum.js'
import type {StrategyFactory, TradingStrategy} from './types.js'

const builtIn: Record<string, StrategyFactory> = {
  momentum: (c) => new MomentumStrategy(c),
  arbitrage: (c) => new ArbitrageStrategy(c),
  grid: (c) => new GridStrategy(c),
}

/**
 * Builds the runner for a strategy row: a built-in by type, or for "custom" the module at
 * module_path (relative to `baseDir`), whose default export is a StrategyFactory.
 */
export async function loadStrategy(config: Strategy, baseDir: string): Promise<TradingStrategy> {
  const factory = builtIn[config.type]
  if (factory) return factory(config)
  if (!config.module_path) throw invalidInput(`Strategy ${config.strategy_id} is custom but has no module_path.`)
  // A module named through the API is code from a network client: only from inside strategies_dir.
  if (config.module_origin === 'api') confinedModulePath(baseDir, config.module_path)
  const path = isAbsolute(config.module_path) ? config.module_path : resolve(baseDir, config.module_path)
  const mod = (await import(pathToFileURL(path).href)) as {default?: unknown}
  if (typeof mod.default !== 'function') throw invalidInput(`${path} must default-export a function (config) => strategy.`)
  const s = (mod.default as StrategyFactory)(config)
  if (!s || typeof s.onTick !== 'function' || !Array.isArray(s.symbols)) throw invalidInput(`${path}: the strategy must have symbols and onTick(tick, view).`)
  return s
}
