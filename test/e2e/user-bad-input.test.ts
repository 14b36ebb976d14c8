import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import knexFactory, {type Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it, type ExpectStatic} from 'vitest'
import {backendKinds, createBackend, dropMysqlDatabase, MYSQL_BASE_URL, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json, runCli} from '../helpers/cli.js'
import {cliIn, countOf, expectRefusal, oneErrorLine, openDb, rand} from '../helpers/e2e.js'

/**
 * End-to-end: what `ordermon user ...` does with bad input. Every refusal must be one `Error: ` line on
 * stderr, a documented non-zero exit code, and no change at all in the database.
 */

const long = (c: string, n = 10_000) => c.repeat(n)

interface BadCase {
  title: string
  args: string[]
  code: number
  message?: RegExp
  input?: string
  /** Text that must not be echoed back (passwords). */
  secret?: string
}

const EXISTING = 'existing01'
const EXISTING_ID = 'X000001'
const newUser = (...extra: string[]) => ['user', 'create', '--username', `newuser_${rand()}`, '--password', 'password123', ...extra]

const createCases: BadCase[] = [
  {title: 'duplicate username', args: ['user', 'create', '--username', EXISTING, '--password', 'password123'], code: 5, message: /Username "existing01" is already taken/},
  {title: 'duplicate username with surrounding spaces', args: ['user', 'create', '--username', `  ${EXISTING} `, '--password', 'password123'], code: 5, message: /already taken/},
  {title: 'duplicate --user-id', args: newUser('--user-id', EXISTING_ID), code: 5, message: /User id "X000001" is already taken/},
  {title: 'invalid email', args: newUser('--email', 'not-an-email'), code: 2, message: /email "not-an-email" is not valid/},
  {title: 'email without a domain suffix', args: newUser('--email', 'a@b'), code: 2, message: /email/},
  {title: 'unknown --type', args: newUser('--type', 'gold'), code: 2, message: /--type.*personal, professional, institutional/},
  {title: 'unknown --status', args: newUser('--status', 'gone'), code: 2, message: /--status.*active, suspended, locked/},
  {title: 'unknown --role', args: newUser('--role', 'boss'), code: 2, message: /--role.*admin, trader, analyst, guest/},
  {title: 'empty username', args: ['user', 'create', '--username', '', '--password', 'password123'], code: 2, message: /username/},
  {title: 'blank username', args: ['user', 'create', '--username', '   ', '--password', 'password123'], code: 2, message: /username must not be empty/},
  {title: 'empty name', args: newUser('--name', ''), code: 2, message: /name must not be empty/},
  {title: 'blank name', args: newUser('--name', '  \t '), code: 2, message: /name/},
  {title: '10,000-character name', args: newUser('--name', long('a')), code: 2, message: /name is too long: 10000 characters, at most 128/},
  {title: '10,000-character CJK name', args: newUser('--name', long('张')), code: 2, message: /name is too long/},
  {title: '10,000-character username', args: ['user', 'create', '--username', long('u'), '--password', 'password123'], code: 2, message: /username is too long/},
  {title: '10,000-character email', args: newUser('--email', `${long('e')}@example.com`), code: 2, message: /email is too long/},
  {title: 'SQL-looking username', args: ['user', 'create', '--username', "x'; DROP TABLE users; --", '--password', 'password123'], code: 2, message: /username .* is not valid/},
  {title: 'username with a space', args: ['user', 'create', '--username', 'bad name', '--password', 'password123'], code: 2, message: /username/},
  {title: 'control characters in the name', args: newUser('--name', 'a\u0007b'), code: 2, message: /control characters/},
  {title: 'invalid phone', args: newUser('--phone', 'call me maybe'), code: 2, message: /phone/},
  {title: 'invalid group', args: newUser('--group', 'desk/a'), code: 2, message: /group/},
  {title: 'invalid --user-id', args: newUser('--user-id', 'U 1'), code: 2, message: /user id/},
  {title: 'password too short', args: ['user', 'create', '--username', `newuser_${rand()}`, '--password', 'Ab1!x'], code: 2, message: /too short: at least 8/, secret: 'Ab1!x'},
  {title: 'password equal to the username', args: ['user', 'create', '--username', 'samepass123', '--password', 'samepass123'], code: 2, message: /differ from the username/},
  {title: '10,000-character password', args: ['user', 'create', '--username', `newuser_${rand()}`, '--password', long('p')], code: 2, message: /too long/, secret: long('p', 200)},
  {title: 'password of spaces only', args: ['user', 'create', '--username', `newuser_${rand()}`, '--password', '          '], code: 2, message: /password/},
  {title: 'empty password on stdin', args: ['user', 'create', '--username', `newuser_${rand()}`, '--password-stdin'], input: '\n', code: 2, message: /password is required/},
  {title: 'no password at all (not a terminal)', args: ['user', 'create', '--username', `newuser_${rand()}`], code: 2, message: /password is required/},
  {title: 'both --password and --password-stdin', args: newUser('--password-stdin'), input: 'otherpass1\n', code: 2, message: /either --password or --password-stdin/},
  {title: 'unknown permission', args: newUser('--permissions', 'fly_to_moon'), code: 2, message: /permission "fly_to_moon" is not known: use order_create/},
  {title: 'one unknown permission among known ones', args: newUser('--permissions', 'order_query,nope'), code: 2, message: /permission "nope"/},
  {title: 'missing --username', args: ['user', 'create', '--password', 'password123'], code: 2, message: /username/},
  {title: 'unknown flag', args: newUser('--bogus'), code: 2, message: /--bogus/},
]

const notFoundCases: BadCase[] = [
  {title: 'show of an unknown username', args: ['user', 'show', '--username', 'nobody_here'], code: 4, message: /No user "nobody_here"/},
  {title: 'show of an unknown user id', args: ['user', 'show', '--user-id', 'U999999'], code: 4, message: /No user id "U999999"/},
  {title: 'show of an SQL-looking username', args: ['user', 'show', '--username', "x' OR '1'='1"], code: 4, message: /No user/},
  {title: 'status of an unknown username', args: ['user', 'status', '--username', 'nobody_here', '--status', 'suspended'], code: 4, message: /No user "nobody_here"/},
  {title: 'delete of an unknown username', args: ['user', 'delete', '--username', 'nobody_here', '--yes'], code: 4, message: /No user "nobody_here"/},
  {title: 'reset-password of an unknown username', args: ['user', 'reset-password', '--username', 'nobody_here', '--new-password', 'password123'], code: 4, message: /No user "nobody_here"/},
  {title: 'update of an unknown username', args: ['user', 'update', '--username', 'nobody_here', '--name', 'x'], code: 4, message: /No user "nobody_here"/},
]

const otherCases: BadCase[] = [
  {title: 'list --limit 0', args: ['user', 'list', '--limit', '0'], code: 2, message: /--limit.*(greater than or equal to 1|at least 1|1 to 1000)/},
  {title: 'list --limit abc', args: ['user', 'list', '--limit', 'abc'], code: 2, message: /--limit.*(integer|whole number)/},
  {title: 'list --limit 1001', args: ['user', 'list', '--limit', '1001'], code: 2, message: /--limit.*1000/},
  {title: 'list --page 0', args: ['user', 'list', '--page', '0'], code: 2, message: /--page/},
  {title: 'list --status weird', args: ['user', 'list', '--status', 'weird'], code: 2, message: /--status.*active, suspended, locked/},
  {title: 'list --type gold', args: ['user', 'list', '--type', 'gold'], code: 2, message: /--type/},
  {title: 'show with neither --username nor --user-id', args: ['user', 'show'], code: 2, message: /--user-id|--username/},
  {title: 'show with both --username and --user-id', args: ['user', 'show', '--username', EXISTING, '--user-id', EXISTING_ID], code: 2, message: /--user-id|--username/},
  {title: 'status without --status', args: ['user', 'status', '--username', EXISTING], code: 2, message: /required flag.*status|--status/},
  {title: 'status with an unknown status', args: ['user', 'status', '--username', EXISTING, '--status', 'banned'], code: 2, message: /active, suspended, locked/},
  {title: 'update with nothing to change', args: ['user', 'update', '--username', EXISTING], code: 2, message: /Nothing to update/},
  {title: 'update with an invalid email', args: ['user', 'update', '--username', EXISTING, '--email', 'nope'], code: 2, message: /email "nope" is not valid/},
  {title: 'update with an empty name', args: ['user', 'update', '--username', EXISTING, '--name', ''], code: 2, message: /name must not be empty/},
  {title: 'update with a 10,000-character name', args: ['user', 'update', '--username', EXISTING, '--name', long('n')], code: 2, message: /name is too long/},
  {title: 'update with an unknown --type', args: ['user', 'update', '--username', EXISTING, '--type', 'gold'], code: 2, message: /--type/},
  {title: 'update with an unknown permission', args: ['user', 'update', '--username', EXISTING, '--permissions', 'root'], code: 2, message: /permission "root" is not known/},
  {title: 'reset-password too short', args: ['user', 'reset-password', '--username', EXISTING, '--new-password', 'Sh0rt!'], code: 2, message: /too short/, secret: 'Sh0rt!'},
  {title: 'reset-password to the username', args: ['user', 'reset-password', '--username', EXISTING, '--new-password', EXISTING], code: 2, message: /differ from the username/},
  {title: 'reset-password without a password', args: ['user', 'reset-password', '--username', EXISTING], code: 2, message: /password is required/},
  {title: 'delete without --yes on a pipe', args: ['user', 'delete', '--username', EXISTING], code: 2, message: /--yes/},
  {title: 'create-admin with a short password', args: ['user', 'create-admin', '--username', `adm_${rand()}`, '--password', 'Xy9!'], code: 2, message: /too short/, secret: 'Xy9!'},
  {title: 'create-admin with a duplicate username', args: ['user', 'create-admin', '--username', EXISTING, '--password', 'password123'], code: 5, message: /already taken/},
]

// The backends run side by side (separate databases); the tests of one backend run in order.
describe.concurrent.each(backendKinds)('%s', (kind) => {
  describe.sequential('bad input to user commands', () => {
    let backend: TestBackend
    let db: Knex

    const cli = cliIn(() => backend)

    async function snapshot() {
      return {
        users: await countOf(db('users')),
        audit_log: await countOf(db('audit_log')),
        events: await countOf(db('events')),
        existing: await db('users').where({username: EXISTING}).first(),
      }
    }

    /** Runs a command that must be refused, and checks the one-line error and that nothing changed. */
    async function refused(c: BadCase, ex: ExpectStatic = expect): Promise<string> {
      const before = await snapshot()
      const r = await cli(c.args, {input: c.input})
      const line = expectRefusal(r, c.code, ex)
      if (c.message) ex(line).toMatch(c.message)
      // A 10,000-character value is not echoed back in full.
      ex(line.length).toBeLessThan(400)
      if (c.secret) ex(r.stdout + r.stderr).not.toContain(c.secret)
      ex(await snapshot()).toEqual(before)
      return line
    }

    beforeAll(async () => {
      backend = await createBackend(kind)
      const init = await cli(['init'])
      expect(init.code, init.stderr).toBe(0)
      const made = await cli(['user', 'create', '--username', EXISTING, '--user-id', EXISTING_ID, '--password', 'password123', '--name', '张三', '--email', 'existing01@example.com'])
      expect(made.code, made.stderr).toBe(0)
      db = openDb(backend)
    })

    afterAll(async () => {
      await db?.destroy()
      await backend?.cleanup()
    })

    // Refusals change nothing, so they can run side by side (each still compares counts before and after).
    describe.concurrent('user create refuses', () => {
      it.for(createCases)('$title (exit $code)', async (c, {expect}) => {
        await refused(c, expect)
      })
    })

    describe.concurrent('unknown users are not found', () => {
      it.for(notFoundCases)('$title (exit $code)', async (c, {expect}) => {
        await refused(c, expect)
      })
    })

    describe.concurrent('other commands refuse', () => {
      it.for(otherCases)('$title (exit $code)', async (c, {expect}) => {
        await refused(c, expect)
      })
    })

    // Values longer than the audit columns hold: refused as input (exit 2), never an internal error (exit 1),
    // and the same on every backend.
    it('refuses an --actor longer than the audit log can hold', async () => {
      await refused({title: 'actor', args: [...newUser(), '--actor', long('a', 200)], code: 2, message: /actor/})
    })

    it('refuses a --reason longer than the audit log can hold', async () => {
      await refused({title: 'reason', args: ['user', 'status', '--username', EXISTING, '--status', 'locked', '--reason', long('r', 70_000)], code: 2, message: /reason/})
    })

    // MariaDB's unique index (utf8mb4_unicode_ci) already treats TRADER001 and trader001 as the same name:
    // the CLI must behave the same on every backend.
    it('refuses a username that differs from an existing one only in letter case (exit 5)', async () => {
      await refused({title: 'case', args: ['user', 'create', '--username', EXISTING.toUpperCase(), '--password', 'password123'], code: 5, message: /already taken/})
    })

    it('reports errors as JSON on stdout with --json, and nothing on stderr', async () => {
      const before = await snapshot()
      const dup = await cli(['user', 'create', '--username', EXISTING, '--password', 'password123', '--json'])
      expect(dup.code).toBe(5)
      expect(dup.stderr).toBe('')
      expect(json(dup)).toEqual({error: {code: 'conflict', exit_code: 5, message: expect.stringContaining('already taken'), hint: expect.any(String)}})

      const bad = await cli(['user', 'list', '--limit', 'abc', '--json'])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toBe('')
      expect(json(bad).error).toMatchObject({code: 'invalidInput', exit_code: 2})

      const missing = await cli(['user', 'show', '--username', 'nobody_here', '--json'])
      expect(missing.code).toBe(4)
      expect(json(missing).error).toMatchObject({code: 'notFound', exit_code: 4, message: 'No user "nobody_here".'})
      expect(await snapshot()).toEqual(before)
    })

    it('always includes the hint key in a --json error, even when there is no hint', async () => {
      const r = await cli(['user', 'create', '--username', `newuser_${rand()}`, '--password', 'password123', '--email', 'not-an-email', '--json'])
      expect(r.code).toBe(2)
      const body = json(r)
      expect(Object.keys(body.error).sort()).toEqual(['code', 'exit_code', 'hint', 'message'])
    })

    it('stores an SQL-looking name literally and keeps the users table', async () => {
      const sql = "x'; DROP TABLE users; --"
      const username = `sqlname_${rand()}`
      const r = await cli(['user', 'create', '--username', username, '--password', 'password123', '--name', sql, '--email', 'o.brien@example.com'])
      expect(r.code, r.stderr).toBe(0)
      expect(await db.schema.hasTable('users')).toBe(true)
      expect((await db('users').where({username}).first()).name).toBe(sql)

      const shown = json(await cli(['user', 'show', '--username', username, '--json']))
      expect(shown.user.name).toBe(sql)
      const listed = await cli(['user', 'list', '--search', 'DROP TABLE'])
      expect(listed.code).toBe(0)
      expect(listed.stdout.split('\n')[1]!.split('\t').slice(1, 3)).toEqual([username, sql])

      // Quotes in a search are data, not SQL: this matches nobody rather than everybody.
      const injected = json(await cli(['user', 'list', '--search', "' OR '1'='1", '--json']))
      expect(injected.total).toBe(0)
      expect(await db('users').count({n: '*'}).then((rows) => Number(rows[0]!.n))).toBeGreaterThan(1)
    })

    it('stores and shows unicode names exactly', async () => {
      const group = `uni-${rand()}`
      const names = ['张三', 'Zoë Ünïcødé', 'Ἀθηνᾶ Παλλάς', 'محمد علي', '😀 Smiley 🚀', 'e\u0301te\u0301 combining', '𠮷野家 (CJK ext B)', 'Ｆｕｌｌｗｉｄｔｈ', '한국어 이름']
      const users: Array<{username: string; name: string}> = []
      for (const name of names) {
        const username = `uni_${rand()}`
        const r = await cli(['user', 'create', '--username', username, '--password', 'password123', '--name', name, '--group', group])
        expect(r.code, `${name}: ${r.stderr}`).toBe(0)
        expect(r.stdout).toContain(`Name\t${name}`)
        users.push({username, name})
      }
      for (const u of users) expect((await db('users').where({username: u.username}).first()).name).toBe(u.name)

      const listed = json(await cli(['user', 'list', '--group', group, '--json']))
      expect(listed.users.map((u: any) => u.name)).toEqual(names)
      const plain = await cli(['user', 'list', '--group', group])
      expect(plain.stdout.trimEnd().split('\n').slice(1).map((l) => l.split('\t')[2])).toEqual(names)
      const found = json(await cli(['user', 'list', '--search', '𠮷野', '--json']))
      expect(found.users.map((u: any) => u.username)).toEqual([users[6]!.username])
    })

    it('accepts values exactly at the length limits and stores them whole', async () => {
      const username = `u${long('9', 63)}`.slice(0, 64)
      const name = long('张', 128)
      const email = `${long('m', 64)}@${long('d', 60)}.example.com`
      const r = await cli(['user', 'create', '--username', username, '--password', 'password123', '--name', name, '--email', email])
      expect(r.code, r.stderr).toBe(0)
      const row = await db('users').where({username}).first()
      expect(row.username).toHaveLength(64)
      expect(row.name).toBe(name)
      expect(row.email).toBe(email)
    })
  })
})

describe.concurrent('database not reachable or not initialised', () => {
  let scratch: string
  const missingDb = uniqueName('ordermon_missing')

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'ordermon-unreach-'))
  })
  afterAll(async () => {
    rmSync(scratch, {recursive: true, force: true})
    await dropMysqlDatabase(missingDb)
  })

  const badUrl = 'mysql://root:s3cret@127.0.0.1:1/nowhere'

  it('exits 3 naming the URL with the password hidden, and says what to check', async () => {
    const r = await runCli(['user', 'list'], {env: {ORDERMON_HOME: join(scratch, 'h1'), ORDERMON_DATABASE_URL: badUrl}, cwd: scratch})
    expect(r.code).toBe(3)
    const line = oneErrorLine(r)
    expect(line).toContain('mysql://root:********@127.0.0.1:1/nowhere')
    expect(line).toMatch(/connection refused/)
    expect(line).toMatch(/Check that MySQL\/MariaDB is running/)
    expect(r.stdout).toBe('')
    expect(r.stdout + r.stderr).not.toContain('s3cret')
  })

  it('hides the password given with --database-url too', async () => {
    const r = await runCli(['user', 'create', '--username', 'someone1', '--password', 'password123', '--database-url', badUrl], {env: {ORDERMON_HOME: join(scratch, 'h1')}, cwd: scratch})
    expect(r.code).toBe(3)
    expect(oneErrorLine(r)).toContain('root:********@127.0.0.1:1')
    expect(r.stdout + r.stderr).not.toContain('s3cret')
  })

  it('gives valid JSON on stdout with --json', async () => {
    const r = await runCli(['user', 'list', '--json'], {env: {ORDERMON_HOME: join(scratch, 'h1'), ORDERMON_DATABASE_URL: badUrl}, cwd: scratch})
    expect(r.code).toBe(3)
    expect(json(r).error).toMatchObject({code: 'databaseUnavailable', exit_code: 3, hint: expect.stringMatching(/MySQL/)})
    expect(r.stdout + r.stderr).not.toContain('s3cret')
  })

  it('on SQLite with a home that was never initialised: exit 3 and a hint to run `ordermon init`, creating nothing', async () => {
    const home = join(scratch, 'never-initialised')
    for (const args of [['user', 'list'], ['user', 'show', '--username', 'trader001'], ['user', 'create', '--username', 'trader001', '--password', 'password123']]) {
      const r = await runCli(args, {env: {ORDERMON_HOME: home}, cwd: scratch})
      expect(r.code, args.join(' ')).toBe(3)
      const line = oneErrorLine(r)
      expect(line).toContain(join(home, 'ordermon.db'))
      expect(line).toContain('ordermon init')
      expect(r.stdout).toBe('')
    }
    expect(existsSync(join(home, 'ordermon.db'))).toBe(false)
  })

  it('on MariaDB with a database that does not exist: exit 3 and a hint to run `ordermon init`', async () => {
    const r = await runCli(['user', 'list'], {env: {ORDERMON_HOME: join(scratch, 'h2'), ORDERMON_DATABASE_URL: `${MYSQL_BASE_URL}/${missingDb}`}, cwd: scratch})
    expect(r.code).toBe(3)
    const line = oneErrorLine(r)
    expect(line).toContain(missingDb)
    expect(line).toContain('ordermon init')
    // Listing must not create the database as a side effect.
    const admin = knexFactory({client: 'mysql2', connection: MYSQL_BASE_URL})
    try {
      const [rows] = await admin.raw('SHOW DATABASES LIKE ?', [missingDb])
      expect(rows).toHaveLength(0)
    } finally {
      await admin.destroy()
    }
  })
})
