import {afterAll, beforeAll, beforeEach, expect} from 'vitest'
import {OrdermonError, type ErrorKind} from '../../src/engine/errors.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {createBackend, migratedEngine, type BackendKind, type TestBackend} from './backends.js'

/**
 * A migrated engine on a fresh backend for the enclosing describe. A setup failure (a server down) is
 * rethrown by every test, so each one fails with the real cause instead of being reported as skipped.
 */
export function useEngine(kind: BackendKind): {backend: TestBackend; engine: EngineHandle; error?: unknown} {
  const ctx = {} as {backend: TestBackend; engine: EngineHandle; error?: unknown}
  beforeAll(async () => {
    try {
      ctx.backend = await createBackend(kind)
      ctx.engine = await migratedEngine(ctx.backend)
    } catch (error) {
      ctx.error = error
    }
  })
  beforeEach(() => {
    if (ctx.error) throw ctx.error
  })
  afterAll(async () => {
    await ctx.engine?.close()
    await ctx.backend?.cleanup()
  })
  return ctx
}

/** Awaits `promise` and asserts it failed with an OrdermonError of `kind` (and `message`, if given). */
export async function expectKind(promise: Promise<unknown>, kind: ErrorKind, message?: RegExp | string): Promise<OrdermonError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected an OrdermonError').toBeInstanceOf(OrdermonError)
  const e = caught as OrdermonError
  expect(e.kind, e.message).toBe(kind)
  if (message !== undefined) expect(e.message).toMatch(message)
  return e
}

/** Runs `fn` and returns the message of the one-line invalid-input error it must throw. */
export function refusal(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(OrdermonError)
    expect((error as OrdermonError).kind).toBe('invalidInput')
    expect((error as OrdermonError).message).not.toMatch(/\n/)
    return (error as OrdermonError).message
  }
  throw new Error('expected an invalid-input error')
}
