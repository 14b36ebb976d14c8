import {realpathSync} from 'node:fs'
import {isAbsolute, relative, resolve, sep} from 'node:path'
import {invalidInput} from '../../errors.js'
import {show} from '../validate.js'

/**
 * A custom strategy is code the engine runs. Through the API its module must lie inside
 * engine.strategies_dir: a relative path, no `..`, and, once symlinks are resolved, still inside.
 */
export function confinedModulePath(strategiesDir: string | undefined, modulePath: unknown): string {
  if (!strategiesDir) throw invalidInput('Custom strategies cannot be created through the API: engine.strategies_dir is not set.', 'Set engine.strategies_dir in config/engine.yaml.', {field: 'module_path'})
  if (typeof modulePath !== 'string' || modulePath.trim() === '') throw invalidInput('module_path is required for a custom strategy.', undefined, {field: 'module_path'})
  const p = modulePath.trim()
  if (isAbsolute(p) || p.split(/[\\/]/).includes('..') || p.includes('\0')) throw invalidInput(`module_path ${show(p)} must be a path inside engine.strategies_dir, without "..".`, undefined, {field: 'module_path'})
  let root: string
  let real: string
  try {
    root = realpathSync(strategiesDir)
    real = realpathSync(resolve(root, p))
  } catch {
    throw invalidInput(`module_path ${show(p)} does not exist in engine.strategies_dir.`, undefined, {field: 'module_path'})
  }
  const rel = relative(root, real)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') throw invalidInput(`module_path ${show(p)} leads outside engine.strategies_dir.`, undefined, {field: 'module_path'})
  return p
}
