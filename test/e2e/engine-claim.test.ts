import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import {runCli, type CliResult} from '../helpers/cli.js'
import {engineProcesses} from '../helpers/engine-process.js'
import {isAlive, until} from '../helpers/process.js'

/**
 * Two engines on one MariaDB database, started as an operator would from two ORDERMON_HOMEs. With
 * engine.sharing: false the second is refused while the first lives (exit 5, the live engine named),
 * and once the first is killed -9 the second starts within seconds instead of waiting on a dead
 * heartbeat. By default (auto) the second joins and the two split the users.
 */
describe('two engines on one MariaDB database', () => {
  let backend: TestBackend
  const homeA = () => join(backend.dir, 'home-a')
  const homeB = () => join(backend.dir, 'home-b')
  // The first test turns sharing off; the second leaves it to its default.
  const envOf = (home: string, extra: Record<string, string> = {ORDERMON__ENGINE__SHARING: 'false'}) => ({...backend.env, ORDERMON_HOME: home, ...extra})
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

  it('with engine.sharing false: refuses a second engine from another home, naming host, pid and instance; a kill -9 does not block a restart', async () => {
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

  it('by default (sharing auto) a second engine joins: both run, status lists both with half the shards each, both stop', async () => {
    const a = await engines.startDaemon({env: envOf(homeA(), {})})
    const b = await engines.startDaemon({env: envOf(homeB(), {})})
    const halves = async () => {
      const r = await runCli(['status', '--json'], {env: envOf(homeA(), {}), cwd: backend.dir})
      const listed = (JSON.parse(r.stdout).engines ?? []) as Array<{pid: number; shards: number}>
      return listed.length === 2 && listed.every((e) => e.shards === 32) && [a.pid, b.pid].every((p) => listed.some((e) => e.pid === p))
    }
    await until('both engines listed with 32 shards each', halves, 20_000, 300)
    for (const home of [homeA(), homeB()]) {
      const stop = await runCli(['stop'], {env: envOf(home, {}), cwd: backend.dir, timeoutMs: 40_000})
      expect(stop.code, stop.stderr).toBe(0)
    }
    await until('both engines gone', () => !isAlive(a.pid) && !isAlive(b.pid), 10_000)
  })
})
