import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {backendKinds, createBackend, migratedEngine, type TestBackend} from '../helpers/backends.js'
import type {Engine} from '../../src/engine/index.js'

describe.each(backendKinds)('smoke on %s', (kind) => {
  let backend: TestBackend
  let engine: Engine
  beforeAll(async () => {
    backend = await createBackend(kind)
    engine = await migratedEngine(backend)
  })
  afterAll(async () => {
    await engine?.close()
    await backend?.cleanup()
  })

  it('creates and finds a user', async () => {
    const u = await engine.users.create({username: 'smoke1', password: 'password123', name: '张三'}, {name: 'test', source: 'cli'})
    expect(u.user_id).toBe('U000001')
    expect((await engine.users.find({username: 'smoke1'})).name).toBe('张三')
  })
})
