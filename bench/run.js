#!/usr/bin/env node
// Benchmarks print JSON figures (never timed unit tests). Run after `npm run build`:
//   npm run bench            all benchmarks
//   npm run bench -- startup only the named ones (startup, users)
// Uses throwaway databases: a temp SQLite file and a fresh MariaDB database (ORDERMON_BENCH_MYSQL_URL,
// default mysql://root@127.0.0.1:3306), dropped at the end.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {performance} from 'node:perf_hooks'
import knexFactory from 'knex'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin/run.js')
const {loadConfig} = await import(join(root, 'dist/src/engine/config/index.js'))
const {openHandle: openEngine} = await import(join(root, 'dist/src/engine/handle.js'))
const {migrateLatest} = await import(join(root, 'dist/src/engine/store/index.js'))

const MYSQL = process.env.ORDERMON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const wanted = new Set(process.argv.slice(2))
const want = (name) => wanted.size === 0 || wanted.has(name)

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return {runs: s.length, p50_ms: +q(0.5).toFixed(2), p90_ms: +q(0.9).toFixed(2), max_ms: +s.at(-1).toFixed(2)}
}

async function backend(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-bench-'))
  const env = {ORDERMON_HOME: join(dir, '.ordermon')}
  const dbName = `ordermon_bench_${process.pid}_${kind}`
  if (kind === 'mariadb') env.ORDERMON_DATABASE_URL = `${MYSQL}/${dbName}`
  const loaded = loadConfig({cwd: dir, env})
  const engine = await openEngine({loaded, create: true, requireSchema: false})
  await migrateLatest(engine.db.knex)
  return {
    dir,
    env,
    engine,
    async cleanup() {
      await engine.close()
      if (kind === 'mariadb') {
        const admin = knexFactory({client: 'mysql2', connection: MYSQL})
        await admin.raw('DROP DATABASE IF EXISTS ??', [dbName])
        await admin.destroy()
      }
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

function timeCli(args, env, cwd, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const r = spawnSync(process.execPath, [bin, ...args], {env: {...process.env, ...env}, cwd, encoding: 'utf8'})
    times.push(performance.now() - t0)
    if (r.status !== 0) throw new Error(`ordermon ${args.join(' ')} failed: ${r.stderr}`)
  }
  return stats(times)
}

/** Users at scale: bulk-load N users, then time the list queries the CLI runs. */
async function usersBench(kind, n) {
  const b = await backend(kind)
  try {
    const {knex} = b.engine.db
    const t0 = performance.now()
    const batch = []
    for (let i = 1; i <= n; i++) {
      batch.push({user_id: `B${String(i).padStart(7, '0')}`, username: `bench${i}`, password_hash: 'x', name: i % 3 ? `Trader ${i}` : `张三${i}`, type: ['personal', 'professional', 'institutional'][i % 3], status: i % 10 ? 'active' : 'suspended', group_name: `desk-${i % 7}`, permissions: '[]'})
      if (batch.length === 500 || i === n) {
        await knex.batchInsert('users', batch.splice(0), 500)
      }
    }
    const insertMs = performance.now() - t0
    const time = async (fn, runs = 50) => {
      const xs = []
      for (let i = 0; i < runs; i++) {
        const s = performance.now()
        await fn()
        xs.push(performance.now() - s)
      }
      return stats(xs)
    }
    const users = b.engine.users
    const creates = []
    for (let i = 0; i < 20; i++) {
      const s = performance.now()
      await users.create({username: `created${i}`, password: 'password123'}, {name: 'bench', source: 'cli'})
      creates.push(performance.now() - s)
    }
    return {
      backend: kind,
      users: n,
      bulk_insert_rows_per_s: Math.round(n / (insertMs / 1000)),
      list_page1: await time(() => users.list({limit: 20})),
      list_filtered: await time(() => users.list({status: 'active', type: 'professional', limit: 20, page: 5})),
      list_search: await time(() => users.list({search: '张三99', limit: 20})),
      show_user: await time(() => users.show({username: `bench${Math.floor(n / 2)}`})),
      create_user_incl_argon2id: stats(creates),
      cli_user_list: timeCli(['user', 'list', '--limit', '20'], b.env, b.dir, 10),
    }
  } finally {
    await b.cleanup()
  }
}

const results = {node: process.version, at: new Date().toISOString()}
if (want('startup')) {
  const b = await backend('sqlite')
  try {
    results.startup = {
      version: timeCli(['--version'], b.env, b.dir, 15),
      help: timeCli(['--help'], b.env, b.dir, 10),
      user_list_empty: timeCli(['user', 'list'], b.env, b.dir, 15),
    }
  } finally {
    await b.cleanup()
  }
}
if (want('users')) {
  results.users = [await usersBench('sqlite', 10_000), await usersBench('mariadb', 10_000)]
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
