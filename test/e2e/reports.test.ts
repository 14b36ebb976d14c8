import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {PDFParse} from 'pdf-parse'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {openHandle} from '../../src/engine/handle.js'
import {backendKinds, createBackend, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, expectRefusal, ok} from '../helpers/e2e.js'

/**
 * End-to-end: `ordermon report daily|weekly|monthly` as a process on each backend over a known
 * data set (orders and fills on 2024-01-15, the day before, the week before, and just outside), in
 * each format with its numbers checked; bad input exits with one line and leaves no file.
 */

async function seed(backend: TestBackend): Promise<void> {
  const h = await openHandle({loaded: backend.loaded})
  try {
    const knex = h.db.knex
    const db = (iso: string) => h.store.dialect.toDb(new Date(iso))
    const t = db('2024-01-01T00:00:00Z')
    const stamp = {created_at: t, updated_at: t, synced_at: t}
    await knex('users').insert([
      {user_id: 'U000901', username: 'rep_zhang', password_hash: 'x', name: '张三', group_name: 'desk-a', permissions: '[]', ...stamp},
      {user_id: 'U000902', username: 'rep_li', password_hash: 'x', name: '李四', group_name: 'desk-b', permissions: '[]', ...stamp},
    ])
    await knex('strategies').insert([
      {strategy_id: 'STR000901', user_id: 'U000901', name: '均值回归策略', type: 'momentum', status: 'running', parameters: '{}', ...stamp},
      {strategy_id: 'STR000902', user_id: 'U000902', name: 'Grid B', type: 'grid', status: 'running', parameters: '{}', ...stamp},
    ])
    let n = 0
    const order = (user: string, strategy: string, iso: string, status: string, reason: string | null = null) => ({
      order_id: `ORDR${String(++n).padStart(6, '0')}`, user_id: user, strategy_id: strategy, symbol: 'AAPL', side: 'buy', order_type: 'limit', time_in_force: 'GTC',
      quantity: 10, price: 100, status, status_reason: reason, created_at: db(iso), updated_at: db(iso), synced_at: db(iso),
    })
    const orders = [
      // 2024-01-15 (UTC): 4 orders of 张三 (2 filled, 1 rejected, 1 cancelled), 1 of 李四 (filled)
      order('U000901', 'STR000901', '2024-01-15T09:00:00Z', 'filled'),
      order('U000901', 'STR000901', '2024-01-15T10:00:00Z', 'filled'),
      order('U000901', 'STR000901', '2024-01-15T11:00:00Z', 'rejected', 'insufficient funds'),
      order('U000901', 'STR000901', '2024-01-15T12:00:00Z', 'cancelled', 'cancelled by user'),
      order('U000902', 'STR000902', '2024-01-15T13:00:00Z', 'filled'),
      // 2024-01-14: 2 orders (the previous day; in the same ISO week 2024-W02)
      order('U000901', 'STR000901', '2024-01-14T09:00:00Z', 'filled'),
      order('U000901', 'STR000901', '2024-01-14T10:00:00Z', 'rejected', 'insufficient funds'),
      // 2024-01-15T17:00Z is 2024-01-16 01:00 in Asia/Shanghai
      order('U000902', 'STR000902', '2024-01-15T17:00:00Z', 'filled'),
      // outside: 2023-12-31 (previous month), 2024-02-01 (after)
      order('U000902', 'STR000902', '2023-12-31T12:00:00Z', 'filled'),
      order('U000902', 'STR000902', '2024-02-01T00:00:00Z', 'filled'),
    ]
    await knex('orders').insert(orders)
    const fill = (o: (typeof orders)[number], side: string, qty: number, price: number, fee: number) => ({order_id: o.order_id, user_id: o.user_id, strategy_id: o.strategy_id, symbol: o.order_id === orders[4]!.order_id ? 'MSFT' : 'AAPL', side, quantity: qty, price, fee, at: o.created_at})
    await knex('fills').insert([
      // 张三 on 01-15: buy 10 @ 100 (fee 1), sell 10 @ 110 (fee 1): realized 100 - 2 = 98
      fill(orders[0]!, 'buy', 10, 100, 1),
      fill(orders[1]!, 'sell', 10, 110, 1),
      // 李四 on 01-15: buy 5 MSFT @ 400 (fee 2): realized -2
      fill(orders[4]!, 'buy', 5, 400, 2),
      // 01-14: 张三 buys 10 @ 90 (fee 0.5): realized -0.5
      fill(orders[5]!, 'buy', 10, 90, 0.5),
      fill(orders[7]!, 'buy', 1, 100, 0),
      fill(orders[8]!, 'buy', 1, 100, 0),
      fill(orders[9]!, 'buy', 1, 100, 0),
    ])
    await knex('alerts').insert({rule: 'cpu_usage_high', level: 'warning', category: 'system', message: 'CPU 告警 90%', status: 'resolved', created_at: db('2024-01-15T10:30:00Z'), updated_at: t, resolved_at: db('2024-01-15T10:35:00Z')})
    await h.store.metrics.insertSample('e2e', new Date('2024-01-15T10:00:00Z'), {tps: 40, cpu_usage: 30, avg_latency_ms: 2, p99_latency_ms: 8, memory_usage: 50})
  } finally {
    await h.close()
  }
}

describe.each(backendKinds)('report on %s', (kind) => {
  let backend: TestBackend
  const cli = cliIn(() => backend)
  const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'))

  beforeAll(async () => {
    backend = await createBackend(kind)
    ok(await cli(['init']))
    await seed(backend)
  })
  afterAll(async () => {
    await backend?.cleanup()
  })

  it('daily --json: figures beside the day before', async () => {
    const r = await cli(['report', 'daily', '--date', '2024-01-15', '--json'])
    ok(r)
    const rep = json(r)
    expect(rep.period).toMatchObject({kind: 'daily', label: '2024-01-15', timezone: 'UTC', start: '2024-01-15T00:00:00.000Z', end: '2024-01-16T00:00:00.000Z', previous: {label: '2024-01-14'}})
    expect(rep.empty).toBe(false)
    // 01-15 UTC holds 6 orders (the 17:00Z one too); 01-14 holds 2.
    expect(rep.summary.orders).toEqual({current: 6, previous: 2, change_pct: 200})
    expect(rep.summary.fills).toEqual({current: 4, previous: 1, change_pct: 300})
    expect(rep.summary.volume).toEqual({current: 26, previous: 10, change_pct: 160})
    expect(rep.summary.turnover).toEqual({current: 4200, previous: 900, change_pct: 366.7})
    expect(rep.summary.fees).toEqual({current: 4, previous: 0.5, change_pct: 700})
    expect(rep.summary.realized_pnl).toEqual({current: 96, previous: -0.5, change_pct: 19300})
    expect(rep.summary.rejected).toEqual({current: 1, previous: 1, change_pct: 0})
    expect(rep.summary.cancelled).toEqual({current: 1, previous: 0, change_pct: null})
    expect(rep.summary.error_rate_pct).toEqual({current: 16.67, previous: 50, change_pct: -66.7})
    expect(rep.summary.alerts.current).toBe(1)
    expect(rep.summary.avg_tps.current).toBe(40)
    expect(rep.users.find((u: {id: string}) => u.id === 'U000901')).toMatchObject({name: '张三', orders: {current: 4, previous: 2}, realized_pnl: {current: 98, previous: -0.5}})
    expect(rep.strategies.map((s: {name: string}) => s.name).sort()).toEqual(['Grid B', '均值回归策略'])
    expect(rep.top_strategies[0]).toMatchObject({id: 'STR000901', realized_pnl: {current: 98}})
    expect(rep.symbols.map((s: {symbol: string}) => s.symbol)).toEqual(['AAPL', 'MSFT']) // by turnover: AAPL 2,200, MSFT 2,000
    expect(rep.reasons).toEqual(expect.arrayContaining([{status: 'rejected', reason: 'insufficient funds', count: 1}, {status: 'cancelled', reason: 'cancelled by user', count: 1}]))
    expect(rep.problem_orders).toHaveLength(2)
  })

  it('weekly and monthly cover their own periods; filters narrow', async () => {
    const w = json(await cli(['report', 'weekly', '--week', '2024-W03', '--json']))
    // 2024-W03 is 01-15..01-21; W02 holds 01-14.
    expect(w.period).toMatchObject({start: '2024-01-15T00:00:00.000Z', end: '2024-01-22T00:00:00.000Z', previous: {label: '2024-W02'}})
    expect(w.summary.orders).toEqual({current: 6, previous: 2, change_pct: 200})
    const m = json(await cli(['report', 'monthly', '--month', '2024-01', '--json']))
    expect(m.summary.orders).toEqual({current: 8, previous: 1, change_pct: 700})
    expect(m.period.previous.label).toBe('2023-12')
    const u = json(await cli(['report', 'daily', '--date', '2024-01-15', '--user-id', 'U000902', '--json']))
    expect(u.summary.orders.current).toBe(2)
    const g = json(await cli(['report', 'daily', '--date', '2024-01-15', '--group', 'desk-a', '--json']))
    expect(g.summary.orders.current).toBe(4)
    const s = json(await cli(['report', 'daily', '--date', '2024-01-15', '--strategy-id', 'STR000901', '--json']))
    expect(s.summary.realized_pnl.current).toBe(98)
  })

  it('--timezone moves the day boundary', async () => {
    const r = json(await cli(['report', 'daily', '--date', '2024-01-16', '--timezone', 'Asia/Shanghai', '--json']))
    expect(r.period).toMatchObject({start: '2024-01-15T16:00:00.000Z', end: '2024-01-16T16:00:00.000Z'})
    expect(r.summary.orders.current).toBe(1)
  })

  it('writes PDF, CSV and Markdown files; prints Markdown without --output', async () => {
    ok(await cli(['report', 'daily', '--date', '2024-01-15', '--output', 'day.pdf']))
    const pdf = readFileSync(join(backend.dir, 'day.pdf'))
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const parser = new PDFParse({data: pdf})
    const text = await parser.getText()
    await parser.destroy()
    expect(text.total).toBeGreaterThanOrEqual(2)
    expect(text.text).toContain('张三')
    expect(text.text).toContain('均值回归策略')
    expect(text.text).toContain(`Page 1 of ${text.total}`)
    expect(text.text).toContain('4,200')

    ok(await cli(['report', 'daily', '--date', '2024-01-15', '--output', 'day.csv']))
    const csv = readFileSync(join(backend.dir, 'day.csv'), 'utf8')
    expect(csv).toContain('# summary\nfigure,current,previous,change_pct\norders,6,2,200\n')
    expect(csv).toContain('U000901,张三,4,2,100,')

    ok(await cli(['report', 'daily', '--date', '2024-01-15', '--output', 'day.md']))
    const md = readFileSync(join(backend.dir, 'day.md'), 'utf8')
    expect(md).toContain('| Orders | 6 | 2 | +200% |')
    const printed = await cli(['report', 'daily', '--date', '2024-01-15'])
    ok(printed)
    expect(printed.stdout).toContain('| Turnover | 4,200 | 900 | +366.7% |')
    const csvOut = await cli(['report', 'daily', '--date', '2024-01-15', '--format', 'csv'])
    expect(csvOut.stdout.startsWith('# report\n')).toBe(true)
    expect(leftovers(backend.dir)).toEqual([])
  })

  it('a long table runs over pages with its header on each, every page numbered', async () => {
    // 1,200 rejected orders on 2024-03-05: the table shows the newest 1,000 over about twenty pages.
    const h = await openHandle({loaded: backend.loaded})
    try {
      const rows = Array.from({length: 1200}, (_, i) => {
        const at = h.store.dialect.toDb(new Date(Date.UTC(2024, 2, 5, 8, 0, i)))
        return {order_id: `ORDP${String(i).padStart(6, '0')}`, user_id: 'U000902', strategy_id: 'STR000902', symbol: 'NVDA', side: 'sell', order_type: 'limit', time_in_force: 'GTC', quantity: 1, price: 10, status: 'rejected', status_reason: '价格超出涨跌停', created_at: at, updated_at: at, synced_at: at}
      })
      for (let i = 0; i < rows.length; i += 200) await h.db.knex('orders').insert(rows.slice(i, i + 200))
    } finally {
      await h.close()
    }
    ok(await cli(['report', 'daily', '--date', '2024-03-05', '--output', 'long.pdf']))
    const parser = new PDFParse({data: readFileSync(join(backend.dir, 'long.pdf'))})
    const text = await parser.getText()
    await parser.destroy()
    expect(text.total).toBeGreaterThan(15)
    expect(text.text).toContain('Showing 1,000 of 1,200')
    const withRows = text.pages.filter((p) => p.text.includes('ORDP'))
    expect(withRows.length).toBeGreaterThan(10)
    for (const page of withRows) expect(page.text).toMatch(/Order\s+User\s+Strategy\s+Symbol\s+Side\s+Qty/)
    // The newest first, none twice, and the oldest 200 left out.
    const ids = [...text.text.matchAll(/ORDP\d{6}/g)].map((m) => m[0])
    expect(new Set(ids).size).toBe(1000)
    expect(ids[0]).toBe('ORDP001199')
    expect(ids).not.toContain('ORDP000199')
    expect(text.text).toContain('价格超出涨跌停')
    text.pages.forEach((p, i) => expect(p.text).toContain(`Page ${i + 1} of ${text.total}`))
  })

  it('an empty period says so', async () => {
    const r = json(await cli(['report', 'daily', '--date', '2023-06-01', '--json']))
    expect(r.empty).toBe(true)
    const md = await cli(['report', 'daily', '--date', '2023-06-01'])
    expect(md.stdout).toContain('No activity in this period')
  })

  it('bad input: one line, exit 2 or 4, no file left behind', async () => {
    const cases: [string[], number, RegExp][] = [
      [['daily', '--date', '2024-02-30'], 2, /2024-02 has days 01-29/],
      [['daily', '--date', "2024-01-01'; DROP TABLE orders;--"], 2, /not a day/],
      [['weekly', '--week', '2021-W53'], 2, /weeks W01-W52/],
      [['monthly', '--month', '2024-13'], 2, /not 01-12/],
      [['daily', '--date', '2024-01-15', '--timezone', 'Mars/Olympus'], 2, /not a known time zone/],
      [['daily', '--date', '2024-01-15', '--output', 'r.docx'], 2, /not a report format/],
      [['daily', '--date', '2024-01-15', '--output', 'missing/r.pdf'], 2, /does not exist/],
      [['daily', '--date', '2024-01-15', '--format', 'pdf'], 2, /needs --output/],
      [['daily', '--date', '2024-01-15', '--user-id', 'U999999', '--output', 'u.pdf'], 4, /does not exist/],
      [['daily', '--date', '2024-01-15', '--group', '无此组', '--output', 'g.pdf'], 4, /No user is in group/],
    ]
    for (const [args, code, message] of cases) {
      const line = expectRefusal(await cli(['report', ...args]), code)
      expect(line).toMatch(message)
    }
    expect(existsSync(join(backend.dir, 'u.pdf')) || existsSync(join(backend.dir, 'g.pdf')) || existsSync(join(backend.dir, 'r.docx'))).toBe(false)
    const ro = join(backend.dir, 'readonly')
    mkdirSync(ro)
    chmodSync(ro, 0o555)
    if (process.getuid?.() !== 0) {
      const line = expectRefusal(await cli(['report', 'daily', '--date', '2024-01-15', '--output', 'readonly/r.pdf']), 2)
      expect(line).toMatch(/not writable/)
    }
    expect(readdirSync(ro)).toEqual([])
    expect(leftovers(backend.dir)).toEqual([])
  })
})
