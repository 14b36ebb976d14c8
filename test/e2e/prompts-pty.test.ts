import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {verify as argonVerify} from 'argon2'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn} from '../helpers/e2e.js'
import {CTRL_C, plain, runCliPty, type PtyResult, type PtyStep} from '../helpers/pty.js'

/**
 * End-to-end on a real pseudo-terminal: the built CLI's confirmation and password prompts, answered
 * or interrupted with Ctrl-C the way a person at a keyboard would. Ctrl-C must end the command within
 * a second with exit 130 and one error line, change nothing, and leave the terminal usable (echo and
 * line mode on, cursor shown).
 */
describe.sequential('prompts on a terminal (sqlite)', () => {
  let backend: TestBackend

  const cli = cliIn(() => backend)

  beforeAll(async () => {
    backend = await createBackend('sqlite')
    const r = await cli(['init', '--sample-data'])
    expect(r.code, r.stderr).toBe(0)
  })
  afterAll(async () => backend?.cleanup())

  const pty = (args: string[], steps: PtyStep[], stdoutPath?: string) => runCliPty(args, {env: backend.env, cwd: backend.dir, steps, stdoutPath})

  /** The run got through every step and ended on its own. */
  const completed = (r: PtyResult) => {
    expect(r.failed_expect, `never showed ${JSON.stringify(r.failed_expect)}:\n${plain(r.output)}`).toBeNull()
    expect(r.timed_out, `still running after the last keys:\n${plain(r.output)}`).toBe(false)
  }

  /** The terminal is as the command found it: echo and line mode on, and a hidden cursor shown again. */
  const restored = (r: PtyResult) => {
    expect(r.echo, 'terminal echo left off').toBe(true)
    expect(r.icanon, 'terminal left in raw mode').toBe(true)
    const hidden = r.output.lastIndexOf('\x1b[?25l')
    if (hidden >= 0) expect(r.output.indexOf('\x1b[?25h', hidden), 'cursor left hidden').toBeGreaterThan(hidden)
  }

  /** Exit 130 within a second of the keys, the terminal restored, and exactly one error line saying `message`. */
  const aborted = (r: PtyResult, message: string) => {
    completed(r)
    expect(r.exit_code, plain(r.output)).toBe(130)
    expect(r.ms_after_last_send!).toBeLessThan(1000)
    restored(r)
    const text = plain(r.output)
    expect(text.split('\n').filter((l) => l.startsWith('Error:'))).toEqual([`Error: ${message}`])
    expect(text).not.toMatch(/\n\s+at /)
    expect(text).not.toMatch(/ExitPromptError|force closed/)
  }

  const openOrders = async (userId: string) => {
    const r = await cli(['order', 'list', '--user-id', userId, '--status', 'pending', '--status', 'partially_filled', '--size', '100', '--json'])
    expect(r.code, r.stderr).toBe(0)
    return json<{total: number; orders: {order_id: string; status: string}[]}>(r)
  }

  const schema = async () => {
    const r = await cli(['db', 'status', '--json'])
    expect(r.code, r.stderr).toBe(0)
    return json<{pending: number; migrations: {name: string; applied: boolean}[]}>(r)
  }

  it('user delete: Ctrl-C at the confirmation aborts and keeps the user', async () => {
    const r = await pty(['user', 'delete', '--username', 'trader002'], [{expect: 'Delete user trader002', send: CTRL_C}])
    aborted(r, 'Aborted.')
    const show = await cli(['user', 'show', '--username', 'trader002', '--json'])
    expect(show.code, show.stderr).toBe(0)
    expect(json(show).user.username).toBe('trader002')
  })

  it('user delete: answering n declines with 130 and keeps the user', async () => {
    const r = await pty(['user', 'delete', '--username', 'trader002'], [{expect: 'Delete user trader002', send: 'n\r'}])
    aborted(r, 'Not deleted.')
    expect((await cli(['user', 'show', '--username', 'trader002', '--json'])).code).toBe(0)
  })

  it('db rollback: Ctrl-C at the confirmation aborts and leaves the schema whole', async () => {
    const before = await schema()
    expect(before.pending).toBe(0)
    const r = await pty(['db', 'rollback'], [{expect: 'Roll back the last batch', send: CTRL_C}])
    aborted(r, 'Aborted.')
    const after = await schema()
    expect(after).toEqual(before)
    expect(after.migrations.every((m) => m.applied)).toBe(true)
  })

  it('db rollback: just Enter takes the default, no', async () => {
    const before = await schema()
    const r = await pty(['db', 'rollback'], [{expect: 'Roll back the last batch', send: '\r'}])
    aborted(r, 'Nothing rolled back.')
    expect(await schema()).toEqual(before)
  })

  it('strategy delete: Ctrl-C aborts and keeps the strategy; y then deletes it', async () => {
    const list = json<{strategies: {strategy_id: string; status: string}[]}>(await cli(['strategy', 'list', '--json']))
    const stopped = list.strategies.find((s) => s.status === 'stopped')!
    expect(stopped, 'the sample data has a stopped strategy').toBeDefined()
    const id = stopped.strategy_id

    const r = await pty(['strategy', 'delete', '--strategy-id', id], [{expect: `Delete strategy ${id}`, send: CTRL_C}])
    aborted(r, 'Aborted.')
    expect((await cli(['strategy', 'show', '--strategy-id', id, '--json'])).code).toBe(0)

    const yes = await pty(['strategy', 'delete', '--strategy-id', id], [{expect: `Delete strategy ${id}`, send: 'y\r'}])
    completed(yes)
    expect(yes.exit_code, plain(yes.output)).toBe(0)
    restored(yes)
    expect(plain(yes.output)).toContain(`Deleted strategy ${id}`)
    expect((await cli(['strategy', 'show', '--strategy-id', id, '--json'])).code).toBe(4)
  })

  it('order cancel-batch: Ctrl-C at the confirmation cancels nothing', async () => {
    const users = json<{users: {user_id: string}[]}>(await cli(['user', 'list', '--json'])).users
    let userId: string | undefined
    let before: Awaited<ReturnType<typeof openOrders>> | undefined
    for (const u of users) {
      before = await openOrders(u.user_id)
      if (before.total > 0) {
        userId = u.user_id
        break
      }
    }
    expect(userId, 'the sample data has a user with open orders').toBeDefined()

    const r = await pty(['order', 'cancel-batch', '--user-id', userId!], [{expect: `Cancel ${before!.total} open order(s)`, send: CTRL_C}])
    aborted(r, 'Aborted.')
    expect(await openOrders(userId!)).toEqual(before)
  })

  it('user create: Ctrl-C at the hidden password prompt creates no user', async () => {
    const r = await pty(['user', 'create', '--username', 'pty_ctrlc'], [{expect: 'Password', send: CTRL_C}])
    aborted(r, 'Aborted.')
    expect((await cli(['user', 'show', '--username', 'pty_ctrlc', '--json'])).code).toBe(4)

    // The second prompt too, after a password was typed.
    const again = await pty(['user', 'create', '--username', 'pty_ctrlc'], [
      {expect: 'Password', send: 'Typed-Once-1!\r'},
      {expect: 'Repeat password', send: CTRL_C},
    ])
    aborted(again, 'Aborted.')
    expect(again.output).not.toContain('Typed-Once-1!')
    expect((await cli(['user', 'show', '--username', 'pty_ctrlc', '--json'])).code).toBe(4)
  })

  it('user create: the password typed twice creates the user, never shown, prompts on stderr only', async () => {
    const password = 'Pty-Secret-7x!'
    const stdoutPath = join(backend.dir, 'create-stdout.json')
    const r = await pty(
      ['user', 'create', '--username', 'pty_typed', '--json'],
      [
        {expect: 'Password', send: `${password}\r`},
        {expect: 'Repeat password', send: `${password}\r`},
      ],
      stdoutPath,
    )
    completed(r)
    expect(r.exit_code, plain(r.output)).toBe(0)
    restored(r)
    expect(r.output).not.toContain(password)
    // Not even a mask: the length of the password is not shown either.
    expect(plain(r.output)).not.toMatch(/\*{3,}/)
    // stdout holds the data only; the prompts went to the terminal (stderr).
    const created = JSON.parse(readFileSync(stdoutPath, 'utf8'))
    expect(created.username).toBe('pty_typed')
    expect(readFileSync(stdoutPath, 'utf8')).not.toMatch(/Password/)
    expect(plain(r.output)).toMatch(/Repeat password/)

    const db = new Database(backend.loaded.paths.sqliteFile!, {readonly: true})
    try {
      const row = db.prepare('select password_hash from users where username = ?').get('pty_typed') as {password_hash: string}
      expect(await argonVerify(row.password_hash, password)).toBe(true)
    } finally {
      db.close()
    }
  })

  it('user create: two different passwords are refused and create nothing', async () => {
    const r = await pty(
      ['user', 'create', '--username', 'pty_mismatch'],
      [
        {expect: 'Password', send: 'First-Pass-1!\r'},
        {expect: 'Repeat password', send: 'Second-Pass-2!\r'},
      ],
    )
    completed(r)
    expect(r.exit_code, plain(r.output)).toBe(2)
    restored(r)
    expect(plain(r.output)).toContain('Error: The passwords do not match.')
    expect(r.output).not.toMatch(/First-Pass|Second-Pass/)
    expect((await cli(['user', 'show', '--username', 'pty_mismatch', '--json'])).code).toBe(4)
  })

  it('--password-stdin on a terminal is refused at once instead of waiting for input', async () => {
    const r = await pty(['user', 'create', '--username', 'pty_stdin', '--password-stdin'], [])
    completed(r)
    expect(r.exit_code, plain(r.output)).toBe(2)
    restored(r)
    expect(plain(r.output)).toMatch(/^Error: --password-stdin expects the password on standard input, not a terminal\./m)
    expect((await cli(['user', 'show', '--username', 'pty_stdin', '--json'])).code).toBe(4)
  })
})
