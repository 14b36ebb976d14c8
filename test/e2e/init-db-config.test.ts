import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {verify as argonVerify} from 'argon2'
import knexFactory, {type Knex} from 'knex'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {backendKinds, createBackend, MYSQL_BASE_URL, type TestBackend} from '../helpers/backends.js'
import {json, type CliResult} from '../helpers/cli.js'
import {cliIn, counts, oneErrorLine, openDb} from '../helpers/e2e.js'

/**
 * End-to-end: `ordermon init`, the `db` commands, `system config` (layered configuration, sources,
 * redaction, validation errors) and the help, run as child processes of the built CLI.
 */

const migrationNames = readdirSync(fileURLToPath(new URL('../../migrations/', import.meta.url)))
  .filter((f) => /^\d+_[\w-]+\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
  .map((f) => f.replace(/\.(js|ts)$/, ''))
  .sort()

const dataTables = ['users', 'strategies', 'orders', 'order_logs', 'fills', 'login_history', 'audit_log', 'events', 'sequences']

// The backends run side by side (separate databases); the tests of one backend run in order.
describe.concurrent.each(backendKinds)('%s', (kind) => {
  describe.sequential('init', () => {
    let backend: TestBackend
    let db: Knex
    let first: CliResult
    const cli = cliIn(() => backend)

    beforeAll(async () => {
      backend = await createBackend(kind)
      first = await cli(['init', '--sample-data'])
      expect(first.code, first.stderr).toBe(0)
      db = openDb(backend)
    })

    afterAll(async () => {
      await db?.destroy()
      await backend?.cleanup()
    })

    it('init --sample-data applies every migration and loads the sample users, strategies and orders', async () => {
      expect(first.stderr).toBe('')
      expect(first.stdout).toContain(`(${migrationNames.length} migration(s) applied)`)
      expect(first.stdout).toMatch(/Sample data: 5 users, 4 strategies, 40 orders, \d+ fills\./)

      // (The administrator test may have added `admin`: only the sample users are looked at.)
      const users = await db('users').whereNot({username: 'admin'}).orderBy('id').select('username', 'name', 'type', 'status', 'group_name', 'password_hash')
      expect(users.map((u) => [u.username, u.name])).toEqual([
        ['trader001', '张三'],
        ['trader002', '李四'],
        ['trader003', '王五'],
        ['trader004', 'Alice Martin'],
        ['analyst001', '赵六'],
      ])
      expect(new Set(users.map((u) => u.status))).toEqual(new Set(['active', 'suspended', 'locked']))
      for (const u of users) expect(u.password_hash).toMatch(/^\$argon2id\$/)

      const strategyTypes = (await db('strategies').select('type')).map((s) => s.type)
      expect(new Set(strategyTypes)).toEqual(new Set(['momentum', 'arbitrage', 'grid']))

      const statuses = (await db('orders').distinct('status')).map((o) => o.status).sort()
      expect(statuses).toEqual(['cancelled', 'expired', 'filled', 'partially_filled', 'pending', 'rejected'])
      // Every order belongs to a sample user, and filled orders have fills.
      const orphans = await db('orders').whereNotIn('user_id', db('users').select('user_id')).count({n: '*'})
      expect(Number(orphans[0]!.n)).toBe(0)
      const filledWithoutFills = await db('orders').where({status: 'filled'}).whereNotIn('order_id', db('fills').select('order_id')).count({n: '*'})
      expect(Number(filledWithoutFills[0]!.n)).toBe(0)
      expect((await counts(db, ['fills', 'order_logs'])).fills).toBeGreaterThan(0)
    })

    it('shows the sample users in `user list`', async () => {
      const r = await cli(['user', 'list'])
      expect(r.code, r.stderr).toBe(0)
      const rows = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split('\t')).filter((c) => c[1] !== 'admin')
      expect(rows.map((c) => [c[1], c[2], c[3], c[6]])).toEqual([
        ['trader001', '张三', 'professional', 'active'],
        ['trader002', '李四', 'institutional', 'active'],
        ['trader003', '王五', 'personal', 'suspended'],
        ['trader004', 'Alice Martin', 'professional', 'locked'],
        ['analyst001', '赵六', 'professional', 'active'],
      ])
    })

    it('running init --sample-data again keeps every count the same', async () => {
      const before = await counts(db, dataTables)
      const again = await cli(['init', '--sample-data'])
      expect(again.code, again.stderr).toBe(0)
      expect(again.stdout).toContain('(0 migration(s) applied)')
      expect(again.stdout).toContain('Sample data already present.')
      expect(await counts(db, dataTables)).toEqual(before)
    })

    it('db seed on a seeded database changes nothing', async () => {
      const before = await counts(db, dataTables)
      const r = await cli(['db', 'seed', '--json'])
      expect(r.code, r.stderr).toBe(0)
      expect(json(r)).toEqual({created: false, users: 0, strategies: 0, orders: 0, fills: 0})
      expect(await counts(db, dataTables)).toEqual(before)
    })

    it('init --admin-username --admin-password-stdin --admin-email creates an administrator', async () => {
      const password = 'Adm1n-pass-word'
      const audit0 = Number((await db('audit_log').max({m: 'id'}))[0]!.m ?? 0)
      const r = await cli(['init', '--admin-username', 'admin', '--admin-password-stdin', '--admin-email', 'admin@example.com', '--actor', 'installer'], {input: `${password}\n`})
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/Administrator admin \(U\d{6}\) created\./)
      expect(r.stdout + r.stderr).not.toContain(password)

      const admin = await db('users').where({username: 'admin'}).first()
      expect(admin).toMatchObject({role: 'admin', type: 'institutional', status: 'active', email: 'admin@example.com'})
      expect(JSON.parse(admin.permissions)).toContain('system_admin')
      expect(JSON.parse(admin.permissions)).toHaveLength(12)
      expect(admin.password_hash).toMatch(/^\$argon2id\$/)
      expect(await argonVerify(admin.password_hash, password)).toBe(true)

      const audit = await db('audit_log').where('id', '>', audit0)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({actor: 'cli:installer', action: 'user.create', target: admin.user_id})
      expect(JSON.stringify(audit)).not.toContain(password)
    })

    it('init refuses --admin-password-stdin without --admin-username', async () => {
      const before = await counts(db, ['users', 'audit_log'])
      const r = await cli(['init', '--admin-password-stdin'], {input: 'whatever1\n'})
      expect(r.code).toBe(2)
      oneErrorLine(r)
      expect(await counts(db, ['users', 'audit_log'])).toEqual(before)
    })

    it('db status lists every migration as applied', async () => {
      const r = await cli(['db', 'status'])
      expect(r.code, r.stderr).toBe(0)
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(kind === 'sqlite' ? /^Database: sqlite:.*ordermon\.db \(sqlite\)$/ : /^Database: mysql:\/\/.*\(mysql\)$/)
      expect(lines[1]).toBe('Migration\tState')
      expect(lines.slice(2, -1)).toEqual(migrationNames.map((m) => `${m}\tapplied`))
      expect(lines.at(-1)).toBe('Up to date.')

      const body = json(await cli(['db', 'status', '--json']))
      expect(body).toMatchObject({backend: kind === 'sqlite' ? 'sqlite' : 'mysql', pending: 0})
      expect(body.migrations).toEqual(migrationNames.map((name) => ({name, applied: true})))
    })
  })
})

// The backends run side by side (separate databases); the tests of one backend run in order.
describe.concurrent.each(backendKinds)('%s', (kind) => {
  describe.sequential('db rollback, migrate and seed', () => {
    let backend: TestBackend
    let db: Knex
    const cli = cliIn(() => backend)

    beforeAll(async () => {
      backend = await createBackend(kind)
      const init = await cli(['init'])
      expect(init.code, init.stderr).toBe(0)
      db = openDb(backend)
    })

    afterAll(async () => {
      await db?.destroy()
      await backend?.cleanup()
    })

    it('db rollback refuses without --yes when not on a terminal', async () => {
      const r = await cli(['db', 'rollback', '--all'])
      expect(r.code).toBe(2)
      expect(oneErrorLine(r)).toMatch(/--yes/)
      expect(await db.schema.hasTable('users')).toBe(true)
    })

    it('rollback --all --yes drops the schema, db status shows pending, db migrate re-applies it', async () => {
      // Start from a migrated database whatever ran before.
      expect((await cli(['db', 'migrate'])).code).toBe(0)

      const rolled = await cli(['db', 'rollback', '--all', '--yes'])
      expect(rolled.code, rolled.stderr).toBe(0)
      expect(rolled.stdout).toContain(`Rolled back ${migrationNames.length} migration(s)`)
      expect(await db.schema.hasTable('users')).toBe(false)
      expect(await db.schema.hasTable('orders')).toBe(false)

      const status = await cli(['db', 'status'])
      expect(status.code, status.stderr).toBe(0)
      const lines = status.stdout.trimEnd().split('\n')
      expect(lines.slice(2, -1)).toEqual(migrationNames.map((m) => `${m}\tpending`))
      expect(lines.at(-1)).toBe(`${migrationNames.length} pending: run \`ordermon db migrate\`.`)

      // Commands that need the schema say so and how to fix it.
      const list = await cli(['user', 'list'])
      expect(list.code).toBe(3)
      const line = oneErrorLine(list)
      expect(line).toMatch(/not initialised/)
      expect(line).toMatch(/ordermon init|ordermon db migrate/)

      const migrated = await cli(['db', 'migrate', '--json'])
      expect(migrated.code, migrated.stderr).toBe(0)
      expect(json(migrated).applied).toEqual(migrationNames)
      expect(await db.schema.hasTable('users')).toBe(true)

      const after = json(await cli(['db', 'status', '--json']))
      expect(after.pending).toBe(0)

      const again = await cli(['db', 'migrate'])
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(/is up to date\./)
    })

    it('db seed loads the sample data once', async () => {
      expect((await cli(['db', 'migrate'])).code).toBe(0)
      const r = await cli(['db', 'seed'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/Loaded sample data: 5 users, 4 strategies, 40 orders, \d+ fills\./)
      const statuses = (await db('orders').distinct('status')).map((o) => o.status).sort()
      expect(statuses).toEqual(['cancelled', 'expired', 'filled', 'partially_filled', 'pending', 'rejected'])

      const before = await counts(db, dataTables)
      const again = await cli(['db', 'seed', '--orders', '60'])
      expect(again.code, again.stderr).toBe(0)
      expect(again.stdout).toContain('already loaded; nothing changed')
      expect(await counts(db, dataTables)).toEqual(before)
    })

    it('db seed --orders below the minimum is refused', async () => {
      const r = await cli(['db', 'seed', '--orders', '2'])
      expect(r.code).toBe(2)
      expect(oneErrorLine(r)).toMatch(/--orders/)
    })
  })
})

// The backends run side by side (separate databases); the tests of one backend run in order.
describe.concurrent.each(backendKinds)('%s', (kind) => {
  describe.sequential('system config', () => {
    let backend: TestBackend
    const cli = cliIn(() => backend)

    const writeOrderYaml = (text: string) => {
      mkdirSync(join(backend.dir, 'config'), {recursive: true})
      writeFileSync(join(backend.dir, 'config', 'order.yaml'), text)
    }
    const writeDotenv = (text: string) => writeFileSync(join(backend.dir, '.env'), text)

    /** `system config` plain output as key -> {value, source}. */
    function entries(r: CliResult): Map<string, {value: string; source: string}> {
      expect(r.code, r.stderr).toBe(0)
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines[0]).toBe('Key\tValue\tSource')
      return new Map(
        lines.slice(1).map((l) => {
          const [key, value, source] = l.split('\t')
          return [key!, {value: value!, source: source!}]
        }),
      )
    }

    beforeAll(async () => {
      backend = await createBackend(kind)
    })
    afterEach(() => {
      rmSync(join(backend.dir, 'config'), {recursive: true, force: true})
      rmSync(join(backend.dir, '.env'), {force: true})
    })
    afterAll(async () => {
      await backend?.cleanup()
    })

    it('shows each key with its source: default, config/order.yaml, .env and the environment', async () => {
      writeOrderYaml('order:\n  max_concurrent: 10000\n\nvalidation:\n  min_quantity: 1\n  max_quantity: 5000\n')
      writeDotenv('LOG_LEVEL=WARNING\n')
      const e = entries(await cli(['system', 'config']))
      expect(e.get('order.validation.max_quantity')).toEqual({value: '5000', source: 'config/order.yaml: validation.max_quantity'})
      expect(e.get('order.validation.min_quantity')).toEqual({value: '1', source: 'config/order.yaml: validation.min_quantity'})
      expect(e.get('order.max_concurrent')).toEqual({value: '10000', source: 'config/order.yaml: order.max_concurrent'})
      expect(e.get('order.validation.max_price')).toEqual({value: '10000', source: 'default'})
      expect(e.get('order.timeout')).toEqual({value: '30', source: 'default'})
      expect(e.get('logging.level')).toEqual({value: 'warn', source: '.env: LOG_LEVEL'})
      expect(e.get('home')).toEqual({value: backend.loaded.paths.home, source: 'env: ORDERMON_HOME'})
      if (kind === 'mariadb') {
        expect(e.get('database.url')).toEqual({value: backend.env.ORDERMON_DATABASE_URL, source: 'env: ORDERMON_DATABASE_URL'})
        expect(e.get('database.client')?.value).toBe('mysql')
      } else {
        expect(e.get('database.client')?.value).toBe('sqlite')
        expect(e.get('database.filename')?.value).toBe(backend.loaded.paths.sqliteFile)
      }

      const body = json(await cli(['system', 'config', '--key', 'order.validation', '--json']))
      expect(body.entries).toEqual([
        {key: 'order.validation.min_quantity', value: 1, source: 'config/order.yaml: validation.min_quantity'},
        {key: 'order.validation.max_quantity', value: 5000, source: 'config/order.yaml: validation.max_quantity'},
        {key: 'order.validation.min_price', value: 0.01, source: 'default'},
        {key: 'order.validation.max_price', value: 10000, source: 'default'},
      ])
    })

    it('environment variables beat .env, and flags beat environment variables', async () => {
      writeDotenv('LOG_LEVEL=WARNING\nORDERMON__ORDER__TIMEOUT=45\n')
      const e = entries(
        await cli(['system', 'config', '--database-url', 'mysql://flaguser:flagpw77@h2.example:3306/fromflag'], {
          env: {LOG_LEVEL: 'debug', ORDERMON_DATABASE_URL: 'mysql://envuser:envpw77@h1.example:3306/fromenv'},
        }),
      )
      expect(e.get('logging.level')).toEqual({value: 'debug', source: 'env: LOG_LEVEL'})
      expect(e.get('order.timeout')).toEqual({value: '45', source: '.env: ORDERMON__ORDER__TIMEOUT'})
      expect(e.get('database.url')!.value).toBe('mysql://flaguser:********@h2.example:3306/fromflag')
      expect(e.get('database.url')!.source).toMatch(/^flag/)
    })

    it('never shows secrets: passwords in URLs and *_PASSWORD values are ********', async () => {
      writeDotenv('DB_PASSWORD=hunter2\nREDIS_PASSWORD=redisHunter3\n')
      const env = {ORDERMON_DATABASE_URL: 'mysql://root:pa55w0rdX@127.0.0.1:3306/secretcheck', ORDERMON_REDIS_URL: 'redis://:r3disUrlPw@127.0.0.1:6379/0'}
      const outputs = await Promise.all([
        cli(['system', 'config'], {env}),
        cli(['system', 'config', '--json'], {env}),
        cli(['system', 'config'], {env: {...env, ORDERMON_OUTPUT: 'table'}}),
      ])
      const e = entries(outputs[0]!)
      expect(e.get('database.password')).toEqual({value: '********', source: '.env: DB_PASSWORD'})
      expect(e.get('redis.password')).toEqual({value: '********', source: '.env: REDIS_PASSWORD'})
      expect(e.get('database.url')!.value).toBe('mysql://root:********@127.0.0.1:3306/secretcheck')
      expect(e.get('redis.url')!.value).toBe('redis://:********@127.0.0.1:6379/0')
      for (const r of outputs) {
        expect(r.code, r.stderr).toBe(0)
        for (const secret of ['hunter2', 'redisHunter3', 'pa55w0rdX', 'r3disUrlPw']) expect(r.stdout + r.stderr).not.toContain(secret)
      }
    })

    it('a bad value in config/order.yaml stops every command with exit 2 naming the file, the key and what is allowed', async () => {
      writeOrderYaml('order: {max_concurrent: 10000}\nvalidation: {min_quantity: abc}\n')
      const commands = [['user', 'list'], ['system', 'config'], ['db', 'status'], ['init'], ['user', 'create', '--username', 'cfgtest1', '--password', 'password123'], ['user', 'create-admin', '--username', 'cfgadmin', '--password', 'password123']]
      const results = await Promise.all(commands.map((args) => cli(args)))
      for (const [i, args] of commands.entries()) {
        const r = results[i]!
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
        const line = oneErrorLine(r)
        expect(line).toContain('config/order.yaml')
        expect(line).toContain('validation.min_quantity')
        expect(line).toMatch(/expected a number/)
        expect(line).toContain('abc')
        expect(r.stdout).toBe('')
      }
      const asJson = await cli(['user', 'list', '--json'])
      expect(asJson.code).toBe(2)
      expect(json(asJson).error).toMatchObject({code: 'invalidInput', exit_code: 2, message: expect.stringContaining('config/order.yaml: validation.min_quantity')})

      // Nothing was created by the refused `init`.
      if (kind === 'sqlite') expect(existsSync(backend.loaded.paths.sqliteFile!)).toBe(false)
      else {
        const admin = knexFactory({client: 'mysql2', connection: MYSQL_BASE_URL})
        try {
          const dbName = new URL(backend.env.ORDERMON_DATABASE_URL!).pathname.slice(1)
          const [rows] = await admin.raw('SHOW DATABASES LIKE ?', [dbName])
          expect(rows).toHaveLength(0)
        } finally {
          await admin.destroy()
        }
      }
    })

    it('an out-of-range value names the limit', async () => {
      writeOrderYaml('validation:\n  min_quantity: -5\n')
      const r = await cli(['system', 'config'])
      expect(r.code).toBe(2)
      expect(oneErrorLine(r)).toMatch(/config\/order\.yaml: validation\.min_quantity: must be at least 0/)
    })

    it('malformed YAML names the file and the line', async () => {
      writeOrderYaml('order:\n  max_concurrent: 10000\nvalidation:\n\tmin_quantity: 1\n')
      const tab = await cli(['user', 'list'])
      expect(tab.code).toBe(2)
      const line = oneErrorLine(tab)
      expect(line).toContain('config/order.yaml')
      expect(line).toMatch(/line 4\b/)

      writeOrderYaml('order:\n  max_concurrent: 10000\nvalidation:\n  min_quantity: 1\n  min_quantity: 2\n')
      const dup = await cli(['system', 'config'])
      expect(dup.code).toBe(2)
      expect(oneErrorLine(dup)).toMatch(/config\/order\.yaml.*line 5\b/)
    })

    it('an unknown key and an unknown section are named', async () => {
      writeOrderYaml('order:\n  max_concurent: 10\n')
      const key = await cli(['system', 'config'])
      expect(key.code).toBe(2)
      expect(oneErrorLine(key)).toMatch(/config\/order\.yaml: order\.max_concurent: unknown key/)

      writeOrderYaml('orders:\n  max_concurrent: 10\n')
      const section = await cli(['system', 'config'])
      expect(section.code).toBe(2)
      expect(oneErrorLine(section)).toMatch(/config\/order\.yaml.*'orders'.*order, validation/)
    })

    it('bad values in .env and in the environment name their variable and what is allowed', async () => {
      writeDotenv('LOG_LEVEL=loud\n')
      const dotenv = await cli(['user', 'list'])
      expect(dotenv.code).toBe(2)
      expect(oneErrorLine(dotenv)).toMatch(/\.env: LOG_LEVEL: must be one of error, warn, info, debug \(got "loud"\)/)

      rmSync(join(backend.dir, '.env'))
      const envVar = await cli(['system', 'config'], {env: {ORDERMON__ORDER__TIMEOUT: 'soon'}})
      expect(envVar.code).toBe(2)
      expect(oneErrorLine(envVar)).toMatch(/env: ORDERMON__ORDER__TIMEOUT: expected a whole number/)

      const envName = await cli(['system', 'config'], {env: {ORDERMON_ENV: 'staging'}})
      expect(envName.code).toBe(2)
      expect(oneErrorLine(envName)).toMatch(/ORDERMON_ENV.*development, testing, production/)
    })
  })
})

describe.concurrent('help and version', () => {
  const cli = cliIn(() => ({dir: tmpdir(), env: {}}))

  it('ordermon --help lists the topics and commands', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/USAGE\s+\$ ordermon/)
    for (const topic of ['user', 'db', 'system']) expect(r.stdout).toMatch(new RegExp(`^\\s+${topic}\\s+\\S`, 'm'))
    expect(r.stdout).toMatch(/^\s+init\s+Create the database/m)
  })

  it('ordermon user --help lists every user command', async () => {
    const r = await cli(['user', '--help'])
    expect(r.code).toBe(0)
    for (const c of ['create', 'create-admin', 'delete', 'list', 'reset-password', 'show', 'status', 'update']) expect(r.stdout).toMatch(new RegExp(`^\\s+user ${c}\\s+\\S`, 'm'))
  })

  it('ordermon db --help and system --help list their commands', async () => {
    const db = await cli(['db', '--help'])
    expect(db.code).toBe(0)
    for (const c of ['migrate', 'rollback', 'seed', 'status']) expect(db.stdout).toMatch(new RegExp(`^\\s+db ${c}\\s+\\S`, 'm'))
    const system = await cli(['system', '--help'])
    expect(system.code).toBe(0)
    expect(system.stdout).toMatch(/^\s+system config\s+\S/m)
  })

  it('ordermon user create --help documents every flag', async () => {
    const r = await cli(['user', 'create', '--help'])
    expect(r.code).toBe(0)
    for (const f of ['username', 'password', 'password-stdin', 'name', 'email', 'phone', 'type', 'role', 'permissions', 'group', 'status', 'user-id', 'json', 'actor'])
      expect(r.stdout).toContain(`--${f}`)
  })

  it('ordermon --version prints the version and exits 0', async () => {
    const r = await cli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^ordermon\/0\.1\.0 /)
    expect(r.stderr).toBe('')
  })

  it('an unknown command exits 2 with one Error line', async () => {
    const r = await cli(['nosuchcommand'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r)).toContain('nosuchcommand')
  })
})
