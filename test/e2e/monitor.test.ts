import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {render} from 'ink-testing-library'
import React from 'react'
import stripAnsi from 'strip-ansi'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/engine/config/index.js'
import {App} from '../../src/tui/app.js'
import {LiveFeed} from '../../src/tui/feed.js'
import {REDIS_URL, createBackend, uniqueName, type TestBackend} from '../helpers/backends.js'
import {json, runCli} from '../helpers/cli.js'
import {cliIn} from '../helpers/e2e.js'
import {engineProcesses} from '../helpers/engine-process.js'
import {until} from '../helpers/process.js'
import {deleteKeys} from '../helpers/redis.js'

/**
 * The live panel as the user meets it: `monitor real-time` refusing a pipe, its --once --json
 * snapshot, `demo --headless`, and end to end on MariaDB + Redis — the engine as a daemon, an order
 * cancelled with the CLI, seen by a LiveFeed in this process and drawn by the real App.
 */

describe.concurrent('the live panel from the command line', () => {
  describe.sequential('monitor real-time on the embedded database', () => {
    let backend: TestBackend
    let setupError: unknown
    const run = cliIn(() => backend)

    beforeAll(async () => {
      try {
        backend = await createBackend('sqlite')
        const init = await run(['init', '--sample-data'])
        expect(init.code, init.stderr).toBe(0)
      } catch (error) {
        setupError = error
      }
    })
    beforeEach(() => {
      if (setupError) throw setupError
    })
    afterAll(async () => {
      await backend?.cleanup()
    })

    it('refuses to draw on a pipe: exit 2 and one "needs an interactive terminal" error line', async () => {
      const r = await run(['monitor', 'real-time'])
      expect(r.code, r.stderr).toBe(2)
      const lines = r.stderr.split('\n').filter(Boolean)
      expect(lines, r.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(/^Error: .*needs an interactive terminal/)
      expect(lines[0]).toMatch(/--once --json/)
      expect(r.stdout).toBe('')
    })

    it('--once --json prints one snapshot: counts by status, recent activity, a live feed', async () => {
      const r = await run(['monitor', 'real-time', '--once', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const snap = json(r)
      expect(Date.parse(snap.at)).toBeGreaterThan(Date.now() - 60_000)
      expect(snap.feed).toMatchObject({connection: 'live', source: 'database', target: backend.loaded.paths.sqliteFile})
      expect(snap.users).toEqual({active: 3, suspended: 1, locked: 1})
      expect(snap.strategies).toEqual({running: 2, paused: 1, stopped: 1})
      expect(snap.orders).toEqual({pending: 7, partially_filled: 7, filled: 7, cancelled: 7, rejected: 6, expired: 6})
      expect(snap.engine).toMatchObject({status: 'unknown'})
      expect(snap.metrics).toBeNull()
      expect(snap.alerts).toEqual([])
      // The sample users and strategies being created, newest first.
      expect(snap.recent_activity.length).toBeGreaterThan(0)
      expect(snap.recent_activity.length).toBeLessThanOrEqual(20)
      for (const a of snap.recent_activity) expect(Object.keys(a).sort()).toEqual(['at', 'id', 'source', 'text', 'type'])
      expect(snap.recent_activity.some((a: {type: string; text: string}) => a.type === 'strategy.created' && /^trader00\d created strategy STR\d+$/.test(a.text))).toBe(true)
      expect(snap.recent_activity.some((a: {type: string; text: string}) => a.type === 'user.created' && /^user U\d+ created$/.test(a.text))).toBe(true)
      const ids = snap.recent_activity.map((a: {id: number}) => a.id)
      expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x))
      expect(r.stderr).toBe('')
    })

    it('--once without --json prints the snapshot for people: headed records and tables, not JSON', async () => {
      const r = await run(['monitor', 'real-time', '--once'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(() => JSON.parse(r.stdout)).toThrow()
      // Piped, so the plain form: "# Heading" lines, key<TAB>value records, tab-separated tables.
      for (const h of ['Engine', 'Connection', 'Business metrics', 'Counts by status', 'Recent activity']) expect(r.stdout).toContain(`# ${h}\n`)
      const lines = r.stdout.split('\n')
      expect(lines).toContain('Status\tunknown')
      expect(lines).toContain('Feed\tlive')
      expect(lines).toContain('Source\tdatabase outbox')
      expect(lines).toContain('Kind\tStatus\tCount')
      for (const row of ['users\tactive\t3', 'users\tsuspended\t1', 'users\tlocked\t1', 'strategies\trunning\t2', 'orders\tpending\t7', 'orders\texpired\t6']) expect(lines).toContain(row)
      expect(lines).toContain('At\tType\tSource\tWhat')
      expect(lines.some((l) => /\tstrategy\.created\tcli\ttrader00\d created strategy STR\d+$/.test(l))).toBe(true)
    })

    it('--once on a terminal (ORDERMON_OUTPUT=table) draws bordered tables under the headings', async () => {
      const r = await run(['monitor', 'real-time', '--once'], {env: {ORDERMON_OUTPUT: 'table'}})
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^Engine$/m)
      expect(r.stdout).toMatch(/^Counts by status$/m)
      expect(r.stdout).toMatch(/│ Kind +│ Status +│ Count │/)
      expect(r.stdout).toMatch(/│ orders +│ partially_filled +│ 7 +│/)
    })
  })

  describe.sequential('demo --headless', () => {
    it('runs the engine on a throwaway database, reports events and transitions, and removes it', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'ordermon-demo-cwd-'))
      const demos = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('ordermon-demo-') && !n.startsWith('ordermon-demo-cwd-')))
      try {
        const before = demos()
        const r = await runCli(['demo', '--headless', '--seconds', '6', '--json'], {env: {TMPDIR: tmpdir()}, cwd, timeoutMs: 40_000})
        expect(r.code, r.stderr).toBe(0)
        const s = json(r)
        expect(s.seconds).toBe(6)
        expect(s.events).toBeGreaterThan(0)
        expect(s.transitions).toBeGreaterThan(0)
        expect(s.strategies).toBeGreaterThan(0)
        expect(s.users).toBeGreaterThan(0)
        // Its directory was in the temp dir, and is gone.
        const dir = dirname(s.home)
        expect(dirname(dir)).toBe(tmpdir())
        expect(dir).toMatch(/ordermon-demo-/)
        expect(existsSync(dir)).toBe(false)
        const left = [...demos()].filter((n) => !before.has(n))
        expect(left).toEqual([])
      } finally {
        rmSync(cwd, {recursive: true, force: true})
      }
    })
  })

  describe.sequential('end to end on MariaDB + Redis: engine daemon, CLI cancel, LiveFeed and the App', () => {
    const prefix = `${uniqueName('ordermon_mon')}:`
    let backend: TestBackend
    let env: Record<string, string>
    let feed: LiveFeed | undefined
    let setupError: unknown
    const engines = engineProcesses(() => ({cwd: backend.dir, env}))
    let orderId = ''
    let traderId = ''
    const run = cliIn(() => ({dir: backend.dir, env}))

    beforeAll(async () => {
      try {
        backend = await createBackend('mariadb')
        env = {...backend.env, ORDERMON_REDIS_URL: REDIS_URL, ORDERMON__REDIS__KEY_PREFIX: prefix}
        const init = await run(['init', '--sample-data'])
        expect(init.code, init.stderr).toBe(0)
        await engines.startDaemon()
        feed = new LiveFeed(loadConfig({cwd: backend.dir, env}))
        await feed.start()
      } catch (error) {
        setupError = error
      }
    })
    beforeEach(() => {
      if (setupError) throw setupError
    })
    afterAll(async () => {
      await feed?.stop()
      await engines.stopAll()
      await deleteKeys(prefix)
      await backend?.cleanup()
    })

    /** A pending order of trader001 (a limit buy far below the market: the paper venue leaves it), seen by the feed. */
    async function ensureOrder(): Promise<void> {
      if (orderId) return
      traderId = [...feed!.model.users.values()].find((u) => u.username === 'trader001')!.user_id
      const created = await run(['order', 'create', '--user-id', traderId, '--symbol', 'AAPL', '--side', 'buy', '--quantity', '10', '--price', '1', '--json'])
      expect(created.code, created.stderr).toBe(0)
      orderId = json(created).order.order_id as string
      await until('the new order in the feed', () => feed!.model.orders.get(orderId), 5000)
    }

    async function ensureCancelled(): Promise<void> {
      await ensureOrder()
      if (feed!.model.orders.get(orderId)?.status === 'cancelled') return
      const r = await run(['order', 'cancel', '--order-id', orderId])
      expect(r.code, r.stderr).toBe(0)
      await until('the cancel in the feed', () => feed!.model.orders.get(orderId)?.status === 'cancelled', 5000)
    }

    it('the feed is live on Redis, loaded the sample desk, and sees the running engine and its metrics', async () => {
      expect(feed!.status).toMatchObject({connection: 'live', source: 'redis'})
      expect([...feed!.model.users.values()].find((u) => u.name === '张三')?.username).toBe('trader001')
      expect(feed!.model.strategies.size).toBe(4)
      expect(feed!.model.orders.size).toBeGreaterThanOrEqual(40)
      // Same home: the engine's state file says it runs.
      expect(feed!.model.engine.status).toBe('running')
      expect(feed!.model.engine.instance).toBeTruthy()
      // Metric snapshots arrive every second over Redis.
      const samples = feed!.model.history.cpu.length
      await until('two more metric snapshots', () => feed!.model.history.cpu.length >= samples + 2, 6000)
      expect(feed!.model.metrics!.business.active_users).toBe(3)
    })

    it('ordermon order cancel: the feed shows the order cancelled and the activity says so within a few seconds', async () => {
      await ensureOrder()
      expect(feed!.model.orders.get(orderId)).toMatchObject({status: 'pending', user_id: traderId, symbol: 'AAPL', side: 'buy', quantity: 10, price: 1})
      expect(feed!.model.activity.some((a) => a.text === `trader001 placed ${orderId}: buy 10 AAPL @ 1`)).toBe(true)
      const t0 = Date.now()
      const r = await run(['order', 'cancel', '--order-id', orderId])
      expect(r.code, r.stderr).toBe(0)
      const item = await until('"order X cancelled" in the activity', () => feed!.model.activity.find((a) => a.type === 'order.cancelled' && a.text.startsWith(`order ${orderId} cancelled`)), 5000)
      expect(Date.now() - t0).toBeLessThan(5000)
      expect(item).toMatchObject({text: `order ${orderId} cancelled (trader001)`, source: 'cli'})
      expect(feed!.model.orders.get(orderId)!.status).toBe('cancelled')
    })

    it('the App on that feed: the orders view (4) shows the order cancelled', async () => {
      await ensureCancelled()
      const app = render(React.createElement(App, {source: feed!}))
      try {
        const text = () => stripAnsi(app.lastFrame() ?? '')
        const filterPrompt = () => /^\//.test(text().trimEnd().split('\n').at(-1) ?? '')
        /**
         * Types `k` and waits for what it must show (a key that did nothing times out). Then one turn of
         * the event loop: Ink re-binds the key handler in an effect React runs after drawing the frame,
         * and a key typed before that would reach the previous handler.
         */
        const press = async (k: string, what: string, shown: () => boolean) => {
          app.stdin.write(k)
          await until(what, shown, 3000, 10)
          await new Promise((r) => setImmediate(r))
        }
        // The dashboard draws the engine's metrics.
        await until('the dashboard with the engine running', () => /● running/.test(text()), 3000, 10)
        expect(text()).toMatch(/● running/)
        expect(text()).toMatch(/redis live/)
        expect(text()).toMatch(/CPU\s+[█░]+\s+\d+%/)
        // Rows (and the header) sit behind a 2-column gutter that holds the selection marker.
        const header = /^\s{2}Order\s+User\s+Symbol\s+Side\s+Qty\s+Price\s+Filled\s+Status/m
        await press('4', 'the orders view', () => header.test(text()))
        await press('/', 'the filter prompt', filterPrompt)
        await press(orderId, 'the filter applied', () => text().includes(`1 rows matching "${orderId}"`))
        await press('\r', 'the filter prompt closed', () => !filterPrompt())
        expect(text()).toMatch(/1 rows matching/)
        const row = text()
          .split('\n')
          .map((l) => l.slice(2))
          .find((l) => l.startsWith(orderId))
        expect(row, text()).toBeDefined()
        expect(row).toMatch(new RegExp(`^${orderId}\\s+${traderId}\\s+AAPL\\s+buy\\s+10\\s+1\\s+0\\s+cancelled`))
        // Its history comes from the database.
        await press('\r', 'the order history', () => /\(new\)\s+pending/.test(text()) && /pending\s+cancelled\s+cli/.test(text()))
        // q quits: the App unmounts and lets go of the feed.
        await press('q', 'the App to let go of the feed', () => feed!.listenerCount('change') === 0)
        expect(feed!.listenerCount('change')).toBe(0)
      } finally {
        app.unmount()
      }
    })
  })
})
