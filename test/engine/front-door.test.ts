import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

/**
 * The layering rules, read off the sources: commands, the panel and the CLI glue reach the engine
 * through src/engine/index.ts only (types included); the engine knows nothing of them, of oclif,
 * Ink, React, chalk or cli-table3; only src/engine/store talks to knex.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const src = join(root, 'src')

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []))
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.push(m[1]!)
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1]!)
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!)
  return found
}

/** A relative specifier as a path from the repository root, with the .js of ESM imports mapped to the source. */
const target = (file: string, spec: string) => relative(root, resolve(dirname(file), spec)).replace(/\.js$/, '.ts')

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`)

describe('the front door', () => {
  const outside = ['src/commands', 'src/tui', 'src/cli', 'src/hooks', 'src/api'].flatMap((d) => files(join(root, d)))
  const engine = files(join(src, 'engine'))

  it('finds the sources it checks (the check itself works)', () => {
    expect(outside.length).toBeGreaterThan(50)
    expect(engine.length).toBeGreaterThan(50)
    const start = specifiers(join(src, 'commands/start.ts'))
    expect(start).toContain('../engine/index.js')
    expect(specifiers(join(src, 'commands/monitor/real-time.ts'))).toContain('../../tui/run.js')
    expect(specifiers(join(src, 'api/routes/orders.ts'))).toContain('../../engine/index.js')
  })

  it('commands, the panel, the REST API and the CLI glue import from src/engine/index.ts and nothing else of the engine', () => {
    const reaching: string[] = []
    for (const file of outside)
      for (const spec of specifiers(file)) {
        if (!spec.startsWith('.')) continue
        const to = target(file, spec)
        if (under(to, 'src/engine') && to !== 'src/engine/index.ts') reaching.push(`${relative(root, file)} imports ${spec}`)
      }
    expect(reaching).toEqual([])
  })

  it('the engine imports nothing of the CLI, the panel, the HTTP server, oclif, Ink, React, chalk, cli-table3 or fastify', () => {
    const wrong: string[] = []
    for (const file of engine)
      for (const spec of specifiers(file)) {
        const to = spec.startsWith('.') ? target(file, spec) : spec
        if (['src/cli', 'src/commands', 'src/tui', 'src/hooks', 'src/api'].some((d) => under(to, d)) || /^(@oclif\/|ink$|ink\/|react$|react\/|chalk$|cli-table3$|@inquirer\/|fastify$|@fastify\/)/.test(to))
          wrong.push(`${relative(root, file)} imports ${spec}`)
      }
    expect(wrong).toEqual([])
  })

  it('only src/engine/store talks to knex', () => {
    const sql = [...engine, ...outside].filter((f) => !under(relative(root, f), 'src/engine/store') && specifiers(f).some((s) => s === 'knex' || s.startsWith('knex/')))
    expect(sql.map((f) => relative(root, f))).toEqual([])
  })

  it('nothing outside the store branches on the database client', () => {
    const branching = [...engine, ...outside]
      .filter((f) => !under(relative(root, f), 'src/engine/store') && !under(relative(root, f), 'src/engine/config'))
      .filter((f) => /client\s*[!=]==\s*'(mysql|sqlite)'/.test(readFileSync(f, 'utf8')))
    expect(branching.map((f) => relative(root, f))).toEqual([])
  })

  it('inside the store, only dialect.ts and the connection branch on the client', () => {
    const store = files(join(src, 'engine/store')).filter((f) => !/\/(dialect|connection)\.ts$/.test(f))
    expect(store.filter((f) => /client\s*[!=]==\s*'(mysql|sqlite)'/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f))).toEqual([])
  })
})
