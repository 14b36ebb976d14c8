import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {REDIS_URL, uniqueName} from '../helpers/backends.js'
import {loadConfig, type LoadedConfig} from '../../src/engine/config/index.js'
import {connectRedis, describeRedis, redisConfigured, type RedisClient} from '../../src/engine/bus/redis.js'
import {OrdermonError} from '../../src/engine/errors.js'

/** Real Redis at 127.0.0.1:6379; every key this file writes carries a per-run prefix and is removed afterwards. */

describe('Redis (real server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ordermon-redis-'))
  const prefix = `${uniqueName('ordermon_test')}:`
  let loaded: LoadedConfig
  let client: RedisClient
  let raw: Redis
  let setupError: unknown

  // A Redis that does not answer fails every test here (with the cause), it never skips them.
  beforeAll(async () => {
    try {
      loaded = loadConfig({cwd: dir, env: {ORDERMON_REDIS_URL: REDIS_URL}})
      client = await connectRedis(loaded.config, {keyPrefix: prefix})
      raw = new Redis(REDIS_URL, {lazyConnect: true, maxRetriesPerRequest: 1})
      raw.on('error', () => {})
      await raw.connect()
    } catch (error) {
      setupError = error
    }
  })
  beforeEach(() => {
    if (setupError) throw setupError
  })

  afterAll(async () => {
    if (raw && !setupError) {
      const keys = await raw.keys(`${prefix}*`)
      if (keys.length) await raw.del(...keys)
      expect(await raw.keys(`${prefix}*`)).toEqual([])
      await raw.quit()
    }
    if (setupError) raw?.disconnect()
    await client?.quit()
    rmSync(dir, {recursive: true, force: true})
  })

  it('is configured from ORDERMON_REDIS_URL and answers PING', async () => {
    expect(loaded.config.redis.url).toBe(REDIS_URL)
    expect(redisConfigured(loaded.config)).toBe(true)
    expect(redisConfigured(loadConfig({cwd: dir, env: {}}).config)).toBe(false)
    expect(await client.ping()).toBe('PONG')
    expect(client.options.keyPrefix).toBe(prefix)
  })

  it('writes every key under the per-run prefix', async () => {
    await client.set('plain-key', 'v', 'EX', 60)
    const keys = (await raw.keys(`${prefix}*`)).sort()
    expect(keys).toEqual([`${prefix}plain-key`])
    // Nothing was written without the prefix.
    expect(await raw.exists('plain-key')).toBe(0)
    expect(await raw.get(`${prefix}plain-key`)).toBe('v')
  })

  it('describeRedis hides passwords', () => {
    const withUrl = loadConfig({cwd: dir, env: {ORDERMON_REDIS_URL: 'redis://:s3cretpw@cache.example:6380/2'}})
    expect(describeRedis(withUrl.config)).toBe('redis://:********@cache.example:6380/2')
    const withHost = loadConfig({cwd: dir, env: {REDIS_HOST: 'cache.example', REDIS_PORT: '6381', REDIS_PASSWORD: 's3cretpw', REDIS_DB: '3'}})
    expect(describeRedis(withHost.config)).toBe('redis://:********@cache.example:6381/3')
  })

  describe('unreachable Redis', () => {
    it('gives redisUnavailable naming the URL without the password', async () => {
      const config = loadConfig({cwd: dir, env: {ORDERMON_REDIS_URL: 'redis://:pw123@127.0.0.1:1'}}).config
      const started = Date.now()
      let caught: unknown
      try {
        const c = await connectRedis(config, {keyPrefix: prefix})
        await c.quit()
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(OrdermonError)
      const e = caught as OrdermonError
      expect(e.kind).toBe('redisUnavailable')
      expect(e.exitCode).toBe(6)
      expect(e.message).toContain('redis://:********@127.0.0.1:1')
      expect(e.message).not.toContain('pw123')
      expect(e.hint ?? '').not.toContain('pw123')
      expect(Date.now() - started).toBeLessThan(10_000)
    })

    it('says why: connection refused (one clean sentence)', async () => {
      const config = loadConfig({cwd: dir, env: {ORDERMON_REDIS_URL: 'redis://127.0.0.1:1'}}).config
      let caught: unknown
      try {
        const c = await connectRedis(config, {keyPrefix: prefix})
        await c.quit()
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(OrdermonError)
      expect((caught as OrdermonError).message).toBe('Cannot reach Redis at redis://127.0.0.1:1: connection refused.')
    })

    it('the same with host/port/password settings', async () => {
      const config = loadConfig({cwd: dir, env: {REDIS_HOST: '127.0.0.1', REDIS_PORT: '1', REDIS_PASSWORD: 'pw123'}}).config
      let caught: unknown
      try {
        const c = await connectRedis(config, {keyPrefix: prefix})
        await c.quit()
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(OrdermonError)
      expect((caught as OrdermonError).kind).toBe('redisUnavailable')
      expect((caught as OrdermonError).message).toContain('127.0.0.1:1')
      expect((caught as OrdermonError).message).not.toContain('pw123')
    })
  })
})
