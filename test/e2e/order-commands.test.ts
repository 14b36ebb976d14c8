import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {formatOrderId} from '../../src/engine/domain/ids.js'
import {openHandle, type EngineHandle} from '../../src/engine/handle.js'
import {backendKinds, createBackend, type TestBackend} from '../helpers/backends.js'
import {json, spawnCli, within} from '../helpers/cli.js'
import {cliIn, countOf, counts, eventsSince, maxId, ok, openDb, parseJson, rand, refusedUnchanged} from '../helpers/e2e.js'
import {until} from '../helpers/process.js'

/**
 * End-to-end: the built `ordermon order ...` commands run as child processes against a throwaway
 * database on each backend; results are checked on stdout/stderr, exit codes and the rows themselves.
 */

const engineActor = {name: 'test', source: 'engine' as const}

const tables = ['orders', 'order_logs', 'events', 'audit_log', 'fills', 'strategies'] as const

describe.each(backendKinds)('order commands on %s', (kind) => {
  let backend: TestBackend
  let db: Knex
  let trader: {username: string; user_id: string}

  const cli = cliIn(() => backend)

  /** Runs a command that must fail: one "Error:" line, the exit code, nothing on stdout, no row changed. */
  const refused = (args: string[], code: number) => refusedUnchanged(() => counts(db, tables), () => cli(args), code)

  const orderRow = (orderId: string) => db('orders').where({order_id: orderId}).first()
  const logsOf = (orderId: string) => db('order_logs').where({order_id: orderId}).orderBy('id')

  async function createUser(prefix: string, extra: string[] = []): Promise<{username: string; user_id: string}> {
    const username = `${prefix}_${rand()}`
    const r = await cli(['user', 'create', '--username', username, '--password', `Pw-${rand()}-secret`, '--json', ...extra])
    ok(r)
    return {username, user_id: json(r).user_id}
  }

  async function placeOrder(userId: string, args: string[]): Promise<string> {
    const r = await cli(['order', 'create', '--user-id', userId, ...args, '--json'])
    ok(r)
    return json(r).order.order_id
  }

  async function withEngine<T>(work: (engine: EngineHandle) => Promise<T>): Promise<T> {
    const engine = await openHandle({loaded: backend.loaded})
    try {
      return await work(engine)
    } finally {
      await engine.close()
    }
  }

  /** `n` pending limit orders of a user, written fast through the engine's store: orders, their history and events. */
  async function insertPending(userId: string, n: number): Promise<string[]> {
    return withEngine((engine) =>
      engine.store.transaction(async (tx) => {
        const first = await tx.sequences.allocate('order', n)
        const ids = Array.from({length: n}, (_, i) => formatOrderId(first + i))
        for (let i = 0; i < n; i += 250) {
          const chunk = ids.slice(i, i + 250)
          await tx.orders.insert(chunk.map((order_id) => ({order_id, user_id: userId, symbol: 'AAPL', side: 'buy' as const, order_type: 'limit' as const, time_in_force: 'GTC' as const, quantity: 10, price: 100, status: 'pending' as const})))
          await tx.orders.insertLogs(chunk.map((order_id) => ({order_id, from_status: null, to_status: 'pending' as const, quantity: 10, price: 100, reason: 'created', source: 'engine' as const, actor: 'test'})))
          await tx.events.append(chunk.map((order_id) => ({type: 'order.created', entity_type: 'order' as const, entity_id: order_id, user_id: userId, source: 'engine' as const, payload: {to: 'pending'}})))
        }
        return ids
      }),
    )
  }

  /** Per order of the user: its status, and how many order_logs rows and events say it was cancelled. */
  async function cancelState(userId: string): Promise<Array<{order_id: string; status: string; logs: number; events: number}>> {
    const orders = await db('orders').where({user_id: userId}).select('order_id', 'status').orderBy('id')
    const logs = await db('order_logs')
      .join('orders', 'orders.order_id', 'order_logs.order_id')
      .where('orders.user_id', userId)
      .where('order_logs.to_status', 'cancelled')
      .groupBy('order_logs.order_id')
      .select({order_id: 'order_logs.order_id'})
      .count({n: '*'})
    const events = await db('events').where({user_id: userId, type: 'order.cancelled'}).groupBy('entity_id').select({order_id: 'entity_id'}).count({n: '*'})
    const logN = new Map(logs.map((r: any) => [r.order_id, Number(r.n)]))
    const eventN = new Map(events.map((r: any) => [r.order_id, Number(r.n)]))
    return orders.map((o) => ({order_id: o.order_id, status: o.status, logs: logN.get(o.order_id) ?? 0, events: eventN.get(o.order_id) ?? 0}))
  }

  beforeAll(async () => {
    backend = await createBackend(kind)
    const init = await cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    db = openDb(backend)
    trader = await createUser('trader')
  })

  afterAll(async () => {
    await db?.destroy()
    await backend?.cleanup()
  })

  describe('order create', () => {
    it('places a limit order: ORD id, pending, one history row, one order.created event, one audit row', async () => {
      const events0 = await maxId(db, 'events')
      const audit0 = await maxId(db, 'audit_log')
      const r = await cli(['order', 'create', '--user-id', trader.user_id, '--symbol', 'aapl', '--side', 'buy', '--order-type', 'limit', '--quantity', '1000', '--price', '150.50', '--json'])
      ok(r)
      const body = json(r)
      expect(body.duplicate).toBe(false)
      const o = body.order
      expect(o.order_id).toMatch(/^ORD\d{6}$/)
      expect(o).toMatchObject({user_id: trader.user_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', time_in_force: 'GTC', quantity: 1000, price: 150.5, filled_quantity: 0, remaining_quantity: 1000, status: 'pending', version: 1, strategy_id: null})

      const row = await orderRow(o.order_id)
      expect(row).toMatchObject({user_id: trader.user_id, symbol: 'AAPL', side: 'buy', order_type: 'limit', status: 'pending', version: 1})
      expect(Number(row.quantity)).toBe(1000)
      expect(Number(row.price)).toBe(150.5)
      const logs = await logsOf(o.order_id)
      expect(logs).toHaveLength(1)
      expect(logs[0]).toMatchObject({from_status: null, to_status: 'pending', source: 'cli'})
      const events = await eventsSince(db, events0)
      expect(events.map((e) => [e.type, e.entity_id])).toEqual([['order.created', o.order_id]])
      expect(events[0]!.payload).toMatchObject({to: 'pending', symbol: 'AAPL', side: 'buy', quantity: 1000, price: 150.5})
      const audit = await db('audit_log').where('id', '>', audit0)
      expect(audit.map((a) => [a.action, a.target])).toEqual([['order.create', o.order_id]])
    })

    it('places a market order without a price and prints the order detail', async () => {
      const r = await cli(['order', 'create', '--user-id', trader.user_id, '--symbol', 'MSFT', '--side', 'sell', '--order-type', 'market', '--quantity', '200'])
      ok(r)
      const id = /Placed order (ORD\d{6})\./.exec(r.stdout)?.[1]
      expect(id, r.stdout).toBeDefined()
      expect(r.stdout).toContain(`Order id\t${id}`)
      expect(r.stdout).toContain('Order type\tmarket')
      expect(r.stdout).toContain('Price\t-')
      expect(r.stdout).toContain('Status\tpending')
      for (const section of ['# Basic information', '# Trade', '# Status', '# Time']) expect(r.stdout).toContain(section)
      const row = await orderRow(id!)
      expect(row).toMatchObject({order_type: 'market', side: 'sell', status: 'pending', price: null})
    })

    it('is idempotent on --client-order-id: the same order again places nothing new', async () => {
      const coid = `desk-a-${rand()}`
      const mk = (quantity: string) => ['order', 'create', '--user-id', trader.user_id, '--symbol', 'MSFT', '--side', 'sell', '--order-type', 'market', '--quantity', quantity, '--client-order-id', coid]
      const args = mk('200')
      const first = await cli([...args, '--json'])
      ok(first)
      const orderId = json(first).order.order_id
      expect(json(first).order.client_order_id).toBe(coid)

      const before = await counts(db, tables)
      const second = await cli(args)
      ok(second)
      expect(second.stdout).toContain(`Order ${orderId} already exists for client order id ${coid}`)
      const third = await cli([...args, '--json'])
      ok(third)
      expect(json(third)).toMatchObject({duplicate: true, order: {order_id: orderId}})
      expect(await counts(db, tables)).toEqual(before)
      expect(await db('orders').where({client_order_id: coid})).toHaveLength(1)

      // The id with different terms is a mistake, not a retry.
      const line = await refused(mk('300'), 5)
      expect(line).toContain(orderId)
    })
  })

  describe('order list', () => {
    let user: {username: string; user_id: string}
    let ids: string[]

    beforeAll(async () => {
      user = await createUser('lister')
      ids = [
        await placeOrder(user.user_id, ['--symbol', 'AAPL', '--side', 'buy', '--quantity', '100', '--price', '150']),
        await placeOrder(user.user_id, ['--symbol', 'AAPL', '--side', 'sell', '--quantity', '200', '--price', '155']),
        await placeOrder(user.user_id, ['--symbol', 'MSFT', '--side', 'buy', '--order-type', 'market', '--quantity', '300']),
        await placeOrder(user.user_id, ['--symbol', 'AAPL', '--side', 'buy', '--quantity', '400', '--price', '149']),
      ]
      ok(await cli(['order', 'cancel', '--order-id', ids[1]!]))
    })

    it('prints tab-separated rows with a header, newest first, for --user-id', async () => {
      const r = await cli(['order', 'list', '--user-id', user.user_id])
      ok(r)
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines[0]).toBe('Order ID\tUser\tSymbol\tSide\tType\tQuantity\tPrice\tFilled\tStatus\tCreated')
      const rows = lines.slice(1).map((l) => l.split('\t'))
      expect(rows.map((c) => c[0])).toEqual([...ids].reverse())
      expect(rows[0]!.slice(1, 9)).toEqual([user.user_id, 'AAPL', 'buy', 'limit', '400', '149', '0', 'pending'])
      expect(rows[1]!.slice(2, 9)).toEqual(['MSFT', 'buy', 'market', '300', '-', '0', 'pending'])
      expect(rows[2]![8]).toBe('cancelled')
    })

    it('filters by repeatable --status, --symbol and --since, pages with --page/--size, {total, page, size, orders} with --json', async () => {
      const pending = json(await cli(['order', 'list', '--user-id', user.user_id, '--status', 'pending', '--json']))
      expect(Object.keys(pending).sort()).toEqual(['orders', 'page', 'size', 'total'])
      expect(pending).toMatchObject({total: 3, page: 1, size: 20})
      expect(pending.orders.map((o: any) => o.order_id)).toEqual([ids[3], ids[2], ids[0]])

      const both = json(await cli(['order', 'list', '--user-id', user.user_id, '--status', 'pending', '--status', 'cancelled', '--json']))
      expect(both.total).toBe(4)

      const msft = json(await cli(['order', 'list', '--user-id', user.user_id, '--symbol', 'msft', '--json']))
      expect(msft.orders.map((o: any) => o.order_id)).toEqual([ids[2]])

      const recent = json(await cli(['order', 'list', '--user-id', user.user_id, '--since', '24h', '--json']))
      expect(recent.total).toBe(4)

      const page2 = json(await cli(['order', 'list', '--user-id', user.user_id, '--since', '24h', '--page', '2', '--size', '3', '--json']))
      expect(page2).toMatchObject({total: 4, page: 2, size: 3})
      expect(page2.orders.map((o: any) => o.order_id)).toEqual([ids[0]])
    })
  })

  describe('order query / history / modify / cancel', () => {
    it("query shows the manual's sections in order, and --json gives {order, history, fills}", async () => {
      const id = await placeOrder(trader.user_id, ['--symbol', 'GOOGL', '--side', 'buy', '--quantity', '100', '--price', '140'])
      await withEngine((e) => e.orders.fill(id, {quantity: 40, price: 139.5}, engineActor))

      const r = await cli(['order', 'query', '--order-id', id])
      ok(r)
      const out = r.stdout
      const sections = ['# Basic information', '# Trade', '# Status', '# Time', '# Execution record']
      const at = sections.map((s) => out.indexOf(s))
      expect(at.every((i) => i >= 0), out).toBe(true)
      expect([...at].sort((a, b) => a - b)).toEqual(at)
      expect(out).toContain(`Order id\t${id}`)
      expect(out).toContain(`User\t${trader.user_id}`)
      expect(out).toContain('Symbol\tGOOGL')
      expect(out).toContain('Status\tpartially_filled')
      expect(out).toContain('Remaining\t60')
      expect(out).toContain('Average fill price\t139.5')
      const record = out.slice(out.indexOf('# Execution record')).trimEnd().split('\n')
      expect(record[1]).toBe('Time\tFrom\tTo\tFilled\tPrice\tReason\tSource\tActor')
      expect(record.slice(2).map((l) => l.split('\t').slice(1, 3))).toEqual([
        ['(new)', 'pending'],
        ['pending', 'partially_filled'],
      ])

      const j = await cli(['order', 'query', '--order-id', id, '--json'])
      ok(j)
      const body = json(j)
      expect(Object.keys(body).sort()).toEqual(['fills', 'history', 'order'])
      expect(body.order).toMatchObject({order_id: id, status: 'partially_filled', filled_quantity: 40, remaining_quantity: 60, avg_fill_price: 139.5, version: 2})
      expect(body.history.map((h: any) => h.to_status)).toEqual(['pending', 'partially_filled'])
      expect(body.fills).toHaveLength(1)
      expect(body.fills[0]).toMatchObject({order_id: id, quantity: 40, price: 139.5, side: 'buy', symbol: 'GOOGL'})
    })

    it('modify changes quantity and price with optimistic versioning, a history row and an order.modified event; history lists both', async () => {
      const id = await placeOrder(trader.user_id, ['--symbol', 'AAPL', '--side', 'buy', '--quantity', '1000', '--price', '150'])
      const events0 = await maxId(db, 'events')
      const r = await cli(['order', 'modify', '--order-id', id, '--quantity', '1500', '--price', '150.50'])
      ok(r)
      expect(r.stdout).toContain(`Order ${id}: quantity 1500, price 150.5 (version 2).`)
      const row = await orderRow(id)
      expect(Number(row.quantity)).toBe(1500)
      expect(Number(row.price)).toBe(150.5)
      expect(row.version).toBe(2)
      expect(row.status).toBe('pending')
      const logs = await logsOf(id)
      expect(logs).toHaveLength(2)
      expect(logs[1]).toMatchObject({from_status: 'pending', to_status: 'pending', source: 'cli'})
      expect(logs[1].reason).toMatch(/quantity 1000 -> 1500.*price 150 -> 150.5/)
      const events = await eventsSince(db, events0)
      expect(events.map((e) => [e.type, e.entity_id])).toEqual([['order.modified', id]])
      expect(events[0]!.payload).toMatchObject({quantity: 1500, price: 150.5, version: 2})

      const h = await cli(['order', 'history', '--order-id', id])
      ok(h)
      const lines = h.stdout.trimEnd().split('\n')
      expect(lines[0]).toBe('Time\tFrom\tTo\tFilled\tPrice\tReason\tSource\tActor')
      expect(lines).toHaveLength(3)
      expect(lines[1]!.split('\t').slice(1, 3)).toEqual(['(new)', 'pending'])
      expect(lines[2]).toContain('modified: quantity 1000 -> 1500')
      const hj = json(await cli(['order', 'history', '--order-id', id, '--json']))
      expect(hj.order_id).toBe(id)
      expect(hj.history.map((x: any) => x.reason)).toEqual(['created', expect.stringMatching(/^modified: /)])
    })

    it('cancel moves a pending order to cancelled; cancelling again is refused with exit 5 "already cancelled"', async () => {
      const id = await placeOrder(trader.user_id, ['--symbol', 'TSLA', '--side', 'sell', '--quantity', '10', '--price', '250'])
      const events0 = await maxId(db, 'events')
      const r = await cli(['order', 'cancel', '--order-id', id, '--reason', 'changed my mind'])
      ok(r)
      expect(r.stdout).toContain(`Order ${id} cancelled`)
      const row = await orderRow(id)
      expect(row).toMatchObject({status: 'cancelled', status_reason: 'changed my mind', version: 2})
      const logs = await logsOf(id)
      expect(logs.map((l) => [l.from_status, l.to_status])).toEqual([
        [null, 'pending'],
        ['pending', 'cancelled'],
      ])
      expect((await eventsSince(db, events0)).map((e) => [e.type, e.entity_id])).toEqual([['order.cancelled', id]])

      const line = await refused(['order', 'cancel', '--order-id', id], 5)
      expect(line).toMatch(/already cancelled/)
      expect((await orderRow(id)).version).toBe(2)
    })
  })

  describe('order cancel-batch', () => {
    it('cancels 1,500 pending orders with --yes: each gets exactly one cancel history row and one event', async () => {
      const user = await createUser('batch')
      const other = await createUser('bystander')
      const ids = await insertPending(user.user_id, 1500)
      const otherIds = await insertPending(other.user_id, 3)
      // A partially filled order of the same user is outside --status pending.
      const partial = await placeOrder(user.user_id, ['--symbol', 'AAPL', '--side', 'buy', '--quantity', '10', '--price', '100'])
      await withEngine((e) => e.orders.fill(partial, {quantity: 4, price: 100}, engineActor))
      const audit0 = await maxId(db, 'audit_log')

      const r = await cli(['order', 'cancel-batch', '--user-id', user.user_id, '--status', 'pending', '--yes', '--json'])
      ok(r)
      expect(json(r)).toEqual({matched: 1500, cancelled: 1500, skipped: 0, interrupted: false})

      const state = await cancelState(user.user_id)
      const byId = new Map(state.map((s) => [s.order_id, s]))
      for (const id of ids) expect(byId.get(id)).toEqual({order_id: id, status: 'cancelled', logs: 1, events: 1})
      expect(byId.get(partial)).toMatchObject({status: 'partially_filled', logs: 0, events: 0})
      expect((await db('orders').whereIn('order_id', otherIds)).map((o) => o.status)).toEqual(['pending', 'pending', 'pending'])
      const audit = await db('audit_log').where('id', '>', audit0)
      expect(audit.every((a) => a.action === 'order.cancel_batch' && a.target === user.user_id)).toBe(true)
      expect(audit.reduce((n, a) => n + parseJson(a.details).cancelled, 0)).toBe(1500)

      // Again: nothing pending is left.
      const again = await cli(['order', 'cancel-batch', '--user-id', user.user_id, '--status', 'pending', '--yes'])
      ok(again)
      expect(again.stdout).toMatch(/No open orders match; nothing to cancel/)
    })

    it('refuses without --yes on a non-interactive terminal (exit 2) and cancels nothing', async () => {
      const user = await createUser('batchno')
      await insertPending(user.user_id, 3)
      const line = await refused(['order', 'cancel-batch', '--user-id', user.user_id, '--status', 'pending'], 2)
      expect(line).toMatch(/3 order\(s\).*--yes/)
      expect((await cancelState(user.user_id)).map((s) => s.status)).toEqual(['pending', 'pending', 'pending'])
    })

    it('exits 0 with a message when nothing matches', async () => {
      const user = await createUser('batchnone')
      const before = await counts(db, tables)
      const r = await cli(['order', 'cancel-batch', '--user-id', user.user_id, '--yes'])
      ok(r)
      expect(r.stdout.trim()).toBe('No open orders match; nothing to cancel.')
      expect(await counts(db, tables)).toEqual(before)
    })

    it('leaves no half-cancelled order when interrupted with Ctrl-C, and a second run finishes the job', async () => {
      const user = await createUser('batchint')
      const ids = await insertPending(user.user_id, 1500)
      const run = spawnCli(['order', 'cancel-batch', '--user-id', user.user_id, '--batch-size', '50', '--yes'], {cwd: backend.dir, env: backend.env, input: ''})

      // Interrupt mid-run: once the first batches have committed (about 300 ms after the start).
      await until('the first cancelled batch', async () => run.hasExited() || (await countOf(db('orders').where({user_id: user.user_id, status: 'cancelled'}))) > 0, 20_000, 10)
      run.child.kill('SIGINT')
      // Not for ever: a cancel-batch that ignores SIGINT is killed after 30 s (and fails below).
      const exit = await within(run.exited, 30_000)
      if (exit === 'timeout') run.child.kill('SIGKILL')
      const {code, signal} = exit === 'timeout' ? await run.exited : exit
      const stdout = run.stdout()
      const stderr = run.stderr()

      expect(signal, stderr).toBeNull()
      expect(code, `SIGINT mid-run must stop cancel-batch between batches with exit 130; got exit ${code}, stdout: ${stdout.trim()} stderr: ${stderr.trim()}`).toBe(130)
      expect(stderr).toMatch(/Interrupted: \d+ of 1500 cancelled; the rest are untouched\. Run the same command again to finish\./)
      expect(stderr).not.toMatch(/\n\s+at /)

      const state = await cancelState(user.user_id)
      expect(state).toHaveLength(1500)
      for (const s of state) {
        if (s.status === 'cancelled') expect(s).toMatchObject({logs: 1, events: 1})
        else expect(s).toMatchObject({status: 'pending', logs: 0, events: 0})
      }
      const cancelled = state.filter((s) => s.status === 'cancelled').length
      expect(cancelled).toBeGreaterThan(0)
      expect(cancelled).toBeLessThan(1500)
      expect(cancelled % 50).toBe(0)
      expect(Number(/Interrupted: (\d+) of/.exec(stderr)![1])).toBe(cancelled)

      const rest = await cli(['order', 'cancel-batch', '--user-id', user.user_id, '--batch-size', '50', '--yes', '--json'])
      ok(rest)
      expect(json(rest)).toMatchObject({matched: 1500 - cancelled, cancelled: 1500 - cancelled, interrupted: false})
      const final = await cancelState(user.user_id)
      expect(final.map((s) => s.order_id)).toEqual(ids)
      for (const s of final) expect(s).toMatchObject({status: 'cancelled', logs: 1, events: 1})
    })
  })

  describe('bad input: one error line, an exit code, and no order, history or event written', () => {
    let suspended: {username: string; user_id: string}
    let otherStrategy: string
    let filled: string

    beforeAll(async () => {
      suspended = await createUser('suspended', ['--status', 'suspended'])
      const other = await createUser('other')
      writeFileSync(join(backend.dir, 'other-strategy.json'), JSON.stringify({name: 'other', type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.02}}))
      const s = await cli(['strategy', 'create', '--config', 'other-strategy.json', '--user-id', other.user_id, '--json'])
      ok(s)
      otherStrategy = json(s).strategy_id
      filled = await placeOrder(trader.user_id, ['--symbol', 'AAPL', '--side', 'buy', '--quantity', '100', '--price', '150'])
      await withEngine((e) => e.orders.fill(filled, {quantity: 100, price: 150}, engineActor))
    })

    const limit = (extra: string[]) => ['order', 'create', '--symbol', 'AAPL', '--side', 'buy', ...extra]

    it.each([
      ['--quantity -5', ['--quantity', '-5', '--price', '150'], 2, /quantity must be greater than 0/],
      ['--quantity 0', ['--quantity', '0', '--price', '150'], 2, /quantity must be greater than 0/],
      ['--quantity 1e30', ['--quantity', '1e30', '--price', '150'], 2, /quantity "1e30" is above the maximum/],
      ['--quantity abc', ['--quantity', 'abc', '--price', '150'], 2, /quantity "abc" is not a number/],
      ['a --price on a market order', ['--order-type', 'market', '--quantity', '10', '--price', '150'], 2, /market order takes no price/],
      ['a limit order without a price', ['--order-type', 'limit', '--quantity', '10'], 2, /limit order needs a price/],
    ] as Array<[string, string[], number, RegExp]>)('order create refuses %s', async (_label, flags, code, message) => {
      expect(await refused([...limit(flags), '--user-id', trader.user_id], code)).toMatch(message)
    })

    it('order create refuses an unknown --side (exit 2) and an unknown --user-id (exit 4)', async () => {
      const side = await refused(['order', 'create', '--user-id', trader.user_id, '--symbol', 'AAPL', '--side', 'hold', '--quantity', '10', '--price', '1'], 2)
      expect(side).toMatch(/--side=hold.*buy, sell/)
      const user = await refused([...limit(['--quantity', '10', '--price', '150']), '--user-id', 'NO_SUCH_USER'], 4)
      expect(user).toMatch(/No user id "NO_SUCH_USER"/)
    })

    it('order create refuses a suspended user and a strategy of another user (exit 5)', async () => {
      const s = await refused([...limit(['--quantity', '10', '--price', '150']), '--user-id', suspended.user_id], 5)
      expect(s).toContain(suspended.username)
      expect(s).toMatch(/suspended/)
      const o = await refused([...limit(['--quantity', '10', '--price', '150']), '--user-id', trader.user_id, '--strategy-id', otherStrategy], 5)
      expect(o).toContain(otherStrategy)
    })

    it('refuses an unknown --order-id with exit 4 on query, history, modify and cancel', async () => {
      for (const args of [['query'], ['history'], ['modify', '--quantity', '5'], ['cancel']]) {
        const [verb, ...rest] = args
        const line = await refused(['order', verb!, '--order-id', 'ORD999999', ...rest], 4)
        expect(line).toMatch(/No order "ORD999999"/)
      }
    })

    it('refuses to modify the quantity of a filled order (exit 5)', async () => {
      const before = await orderRow(filled)
      expect(before.status).toBe('filled')
      const line = await refused(['order', 'modify', '--order-id', filled, '--quantity', '200'], 5)
      expect(line).toContain(filled)
      expect(line).toMatch(/filled/)
      expect(await orderRow(filled)).toEqual(before)
    })
  })
})
