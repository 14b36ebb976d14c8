import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import {runCli, type CliResult} from '../helpers/cli.js'
import {engineProcesses} from '../helpers/engine-process.js'
import {isAlive, until} from '../helpers/process.js'

/**
 * Two engines on one MariaDB database, started as an operator would from two ORDERMON_HOMEs: the
 * second is refused while the first lives (exit 5, the live engine named), and once the first is
 * killed -9 the second starts within seconds instead of waiting on a dead heartbeat.
 */
describe('one engine per MariaDB database', () => {
  let backend: TestBackend
  const homeA = () => join(backend.dir, 'home-a')
  const homeB = () => join(backend.dir, 'home-b')
  const envOf = (home: string) => ({...backend.env, ORDERMON_HOME: home})
  const engines = engineProcesses(() => ({cwd: backend.dir, env: envOf(homeA())}))
  const cli = (home: string, args: string[], timeoutMs = 40_000) => runCli(args, {env: envOf(home), cwd: backend.dir, timeoutMs})
  const enginePid = (home: string) => Number(JSON.parse(readFileSync(join(home, 'engine.json'), 'utf8')).pid)

  beforeAll(async () => {
    backend = await createBackend('mariadb')
    const init = await cli(homeA(), ['init', '--sample-data'], 120_000)
    expect(init.code, init.stderr).toBe(0)
  })
  afterAll(async () => {
    await engines.stopAll()
    await backend?.cleanup()
  })

  it('refuses a second engine from another home, naming host, pid and instance; a kill -9 does not block a restart', async () => {
    const {pid: pidA} = await engines.startDaemon({env: envOf(homeA())})
    expect(enginePid(homeA())).toBe(pidA)
    const instance = String(JSON.parse(readFileSync(join(homeA(), 'engine.json'), 'utf8')).instance_id)

    const b = await cli(homeB(), ['start', '--quiet'])
    expect(b.code).toBe(5)
    const lines = b.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(instance)
    expect(lines[0]).toContain(`pid ${pidA}`)
    expect(lines[0]).toMatch(/on host \S+/)
    expect(lines[0]).toMatch(/ordermon stop/)

    // As a daemon too: the refusal reaches the operator with the same exit code, the live engine named.
    const {result: bd} = await engines.runDaemon({env: envOf(homeB())})
    expect(bd.code).toBe(5)
    expect(bd.stderr).toContain(instance)

    // A crash: no graceful stop, its heartbeat row still says running.
    process.kill(pidA, 'SIGKILL')
    await until('engine A gone', () => !isAlive(pidA), 5000)
    const t0 = Date.now()
    let started: CliResult | undefined
    await until(
      'engine B to start',
      async () => {
        started = (await engines.runDaemon({env: envOf(homeB())})).result
        return started.code === 0
      },
      8000,
      500,
    ).catch(() => {})
    expect(started!.code, started!.stderr).toBe(0)
    engines.track(enginePid(homeB()))
    expect(Date.now() - t0).toBeLessThan(8000)
    const stop = await cli(homeB(), ['stop'])
    expect(stop.code, stop.stderr).toBe(0)
  })
})
