import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

/**
 * The package as it ships: every module the code imports is declared in package.json (a transitive
 * copy that happens to be installed today is not a dependency), and `files` names only what exists.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {dependencies: Record<string, string>; devDependencies: Record<string, string>; files: string[]}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|tsx|js|mjs)$/.test(name) ? [p] : []
  })
}

/** The package name of a bare import specifier ('@scope/name/sub' -> '@scope/name'). */
const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!)
  return specs.filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]!))
}

describe('package contents', () => {
  it('declares every package that the shipped code imports, as a runtime dependency', () => {
    const files = [...sources(join(root, 'src')), ...sources(join(root, 'migrations')), join(root, 'bin/run.js')]
    const missing = new Set<string>()
    for (const f of files) for (const spec of importsOf(f)) if (!pkg.dependencies[packageOf(spec)]) missing.add(`${packageOf(spec)} (${f.slice(root.length)})`)
    expect([...missing]).toEqual([])
  })

  it('lists in `files` only what exists after the build', () => {
    expect(pkg.files.filter((f) => !existsSync(join(root, f)))).toEqual([])
  })
})
