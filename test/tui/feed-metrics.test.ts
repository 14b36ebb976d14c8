import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/engine/config/index.js'
import {seedDemo} from '../../src/engine/domain/seed/demo.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {MonitoringEngine} from '../../src/engine/runtime/engine.js'
import {LiveFeed} from '../../src/tui/feed.js'
import {backendKinds, createBackend, migratedEngine, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {until} from '../helpers/process.js'

/**
 * Without Redis the panel's live figures come from the database: the engine's heartbeat row carries
 * its latest metrics sample, and the trend lines start from the samples stored in `metrics`. The
 * outbox carries no metrics at all, and the panel registers (then releases) its outbox position so
 * pruning never passes it.
 */
describe.each(backendKinds)('the panel without Redis on %s', (kind: BackendKind) => {
  let backend: TestBackend
  let setup: EngineHandle
  let engine: MonitoringEngine
  let setupError: unknown

  beforeAll(async () => {
    try {
      backend = await createBackend(kind)
      setup = await migratedEngine(backend)
      await seedDemo({store: setup.store, config: backend.loaded.config}, {name: 'test', source: 'cli'})
      const loaded = loadConfig({cwd: backend.dir, env: {...backend.env, ORDERMON__ENGINE__TICK_MS: '100', ORDERMON__ENGINE__PAPER_LATENCY_MS: '0', ORDERMON__ENGINE__METRICS_MS: '200', ORDERMON__MONITORING__STORE_INTERVAL: '1'}})
      engine = new MonitoringEngine({loaded, version: 'test'})
      await engine.start()
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })
  afterAll(async () => {
    await engine?.stop()
    await setup?.close()
    await backend?.cleanup()
  })

  it('shows the engine live with its latest metrics, read from the heartbeat row', async () => {
    await until('a stored sample for the trend lines', async () => (await setup.store.metrics.count()) >= 20, 8000)
    const feed = new LiveFeed(backend.loaded)
    try {
      await feed.start()
      expect(feed.status.source).toBe('database')
      // History: the trend lines start with the stored samples.
      expect(feed.model.history.cpu.length).toBeGreaterThan(0)
      const first = feed.model.metrics?.at
      await until('a newer live sample', () => feed.model.metrics && feed.model.metrics.at !== first && feed.model.metrics.instance_id === engine.instanceId, 5000)
      expect(feed.model.metrics!.business.active_users).toBeGreaterThan(0)
      expect(feed.model.engine.status).toBe('running')
      expect(feed.model.engine.instance).toBe(engine.instanceId)
      // The panel holds a named outbox position while it runs...
      expect((await setup.store.events.readers()).some((r) => r.name.startsWith('feed.'))).toBe(true)
    } finally {
      await feed.stop()
    }
    // ...and gives it up when it closes.
    expect((await setup.store.events.readers()).some((r) => r.name.startsWith('feed.'))).toBe(false)
  })
})
