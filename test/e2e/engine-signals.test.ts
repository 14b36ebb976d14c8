import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type TestBackend} from '../helpers/backends.js'
import {runCli} from '../helpers/cli.js'

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/** Waits until `text` matches what the process has written to stderr. */
async function stderrMatches(get: () => string, re: RegExp, ms = 15_000): Promise<string> {
  const t0 = Date.now()
  while (Date.now() - t0 < ms) {
    const m = re.exec(get())
    if (m) return m[0]
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`stderr never matched ${re}:\n${get()}`)
}

describe('the foreground engine and signals (SQLite)', () => {
  let backend: TestBackend
  let child: ChildProcess | undefined
  let err = ''

  beforeAll(async () => {
    backend = await createBackend('sqlite')
    const r = await runCli(['init', '--sample-data'], {env: backend.env, cwd: backend.dir})
    expect(r.code, r.stderr).toBe(0)
  })
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL')
    await backend?.cleanup()
  })

  it('SIGHUP reloads what may change at run time, refuses a bad file and keeps running; SIGINT stops it with exit 0', async () => {
    child = spawn(process.execPath, [bin, 'start'], {cwd: backend.dir, env: {PATH: process.env.PATH ?? '', HOME: backend.dir, NO_COLOR: '1', ...backend.env}, stdio: ['ignore', 'pipe', 'pipe']})
    child.stderr!.on('data', (d) => (err += d))
    await stderrMatches(() => err, /running on sqlite:.*Ctrl-C to stop/)

    mkdirSync(join(backend.dir, 'config'), {recursive: true})
    writeFileSync(join(backend.dir, 'config', 'logging.yaml'), 'logging:\n  level: debug\n')
    child.kill('SIGHUP')
    expect(await stderrMatches(() => err, /SIGHUP: configuration reloaded[^\n]*/)).toBe('SIGHUP: configuration reloaded (logging changed).')

    writeFileSync(join(backend.dir, 'config', 'logging.yaml'), 'logging:\n  level: loud\n')
    child.kill('SIGHUP')
    expect(await stderrMatches(() => err, /SIGHUP: configuration not reloaded: [^\n]*/)).toMatch(/config\/logging\.yaml: logging\.level: must be one of error, warn, info, debug \(got "loud"\)/)
    expect(child.exitCode).toBeNull()

    const t0 = Date.now()
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child!.on('exit', (c) => resolve(c)))
    expect(code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(err).toMatch(/SIGINT: stopping/)
  })
})
