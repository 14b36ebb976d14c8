import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import {runCli} from '../helpers/cli.js'
import {engineProcesses} from '../helpers/engine-process.js'

describe('the foreground engine and signals (SQLite)', () => {
  let backend: TestBackend
  const engines = engineProcesses(() => ({cwd: backend.dir, env: {HOME: backend.dir, ...backend.env}}))

  beforeAll(async () => {
    backend = await createBackend('sqlite')
    const r = await runCli(['init', '--sample-data'], {env: backend.env, cwd: backend.dir})
    expect(r.code, r.stderr).toBe(0)
  })
  afterAll(async () => {
    await engines.stopAll()
    await backend?.cleanup()
  })

  it('SIGHUP reloads what may change at run time, refuses a bad file and keeps running; SIGINT stops it with exit 0', async () => {
    const engine = engines.spawn({args: ['start']})
    const {child} = engine
    await engine.waitStderr(/running on sqlite:.*Ctrl-C to stop/)

    mkdirSync(join(backend.dir, 'config'), {recursive: true})
    writeFileSync(join(backend.dir, 'config', 'logging.yaml'), 'logging:\n  level: debug\n')
    child.kill('SIGHUP')
    expect(await engine.waitStderr(/SIGHUP: configuration reloaded[^\n]*/)).toBe('SIGHUP: configuration reloaded (logging changed).')

    writeFileSync(join(backend.dir, 'config', 'logging.yaml'), 'logging:\n  level: loud\n')
    child.kill('SIGHUP')
    expect(await engine.waitStderr(/SIGHUP: configuration not reloaded: [^\n]*/)).toMatch(/config\/logging\.yaml: logging\.level: must be one of error, warn, info, debug \(got "loud"\)/)
    expect(engine.hasExited()).toBe(false)

    const t0 = Date.now()
    const {code} = await engine.stop('SIGINT', 10_000)
    expect(code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(engine.stderr()).toMatch(/SIGINT: stopping/)
  })
})
