import {afterEach, describe, expect, it, vi} from 'vitest'

// Ink draws only the final frame when it believes it runs in CI (the CI variable, read when Ink is
// first imported). These tests drive the interactive panel, frame by frame, whatever runs them.
vi.hoisted(() => {
  process.env.CI = 'false'
})
import {spawn} from 'node:child_process'
import {EventEmitter} from 'node:events'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {OrderLog} from '../../src/engine/store/index.js'
import type {PanelSource} from '../../src/tui/app.js'
import type {FeedStatus} from '../../src/tui/feed.js'
import {emptyModel, type PanelModel} from '../../src/tui/model.js'
import {runPanel} from '../../src/tui/run.js'
import {ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, enterAltScreen} from '../../src/tui/terminal.js'
import {sleep, until} from '../helpers/process.js'

/**
 * The panel draws on the terminal's alternate screen, so the operator's scrollback survives it,
 * and leaves it on every way out: q, Ctrl-C, an error while rendering, an uncaught error, exit.
 * runPanel is driven through real Ink with a recording stdout (80x24) and a scripted stdin.
 */

/** A terminal that records every write. */
class RecordingTerminal extends Writable {
  readonly writes: string[] = []
  isTTY = true
  columns = 80
  rows = 24
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.writes.push(String(chunk))
    done()
  }
  get text() {
    return this.writes.join('')
  }
}

/** Keys for Ink, as ink-testing-library's stdin delivers them. */
class ScriptedKeyboard extends EventEmitter {
  isTTY = true
  private data: string | null = null
  write(data: string) {
    this.data = data
    this.emit('readable')
  }
  read() {
    const d = this.data
    this.data = null
    return d
  }
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

class Source extends EventEmitter implements PanelSource {
  status: FeedStatus = {connection: 'live', source: 'database', target: 'ordermon.db'}
  constructor(readonly model: PanelModel = emptyModel()) {
    super()
  }
  async orderHistory(): Promise<OrderLog[]> {
    return []
  }
}

function startPanel(source: PanelSource = new Source()) {
  const stdout = new RecordingTerminal()
  const stdin = new ScriptedKeyboard()
  const listeners = {exit: process.listenerCount('exit'), monitor: process.listenerCount('uncaughtExceptionMonitor')}
  const done = runPanel(source, {stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream})
  // Settled either way, so a test can look before awaiting.
  const settled = done.then(
    () => ({error: undefined as Error | undefined}),
    (error: Error) => ({error}),
  )
  return {stdout, stdin, done, settled, listeners}
}

/**
 * Resolves once the panel is up: its first frame drawn, and Ink reading keys (and the App listening to
 * its source), which both start in effects React runs after the first render.
 */
async function panelUp(p: ReturnType<typeof startPanel>, source?: Source): Promise<void> {
  await until(
    'the first frame, with Ink reading the keyboard',
    () => p.stdout.text.includes('1 dashboard') && p.stdin.listenerCount('readable') > 0 && (!source || source.listenerCount('change') > 0),
    5000,
    10,
  )
}

/**
 * Enter is the first write, a frame follows it, the leave sequence is the last write (once), and
 * the panel's process hooks are gone.
 */
function expectWrapped({stdout, listeners}: ReturnType<typeof startPanel>) {
  expect(stdout.writes[0]).toBe(ENTER_ALT_SCREEN)
  const frame = stdout.writes.findIndex((w) => w.includes('ordermon'))
  expect(frame, stdout.text).toBeGreaterThan(0)
  expect(stdout.writes.at(-1)).toBe(LEAVE_ALT_SCREEN)
  expect(stdout.text.split(LEAVE_ALT_SCREEN)).toHaveLength(2)
  expect(process.listenerCount('exit')).toBe(listeners.exit)
  expect(process.listenerCount('uncaughtExceptionMonitor')).toBe(listeners.monitor)
}

describe('runPanel on the alternate screen', () => {
  it('enters before the first frame; q leaves it as the last write and unhooks the process', async () => {
    const p = startPanel()
    await panelUp(p)
    expect(p.stdout.writes[0]).toBe(ENTER_ALT_SCREEN)
    expect(p.stdout.text).toContain('1 dashboard')
    expect(p.stdout.text).not.toContain(LEAVE_ALT_SCREEN)
    expect(process.listenerCount('exit')).toBe(p.listeners.exit + 1)
    p.stdin.write('q')
    expect((await p.settled).error).toBeUndefined()
    expectWrapped(p)
  })

  it('Ctrl-C leaves it too', async () => {
    const p = startPanel()
    await panelUp(p)
    p.stdin.write('\u0003')
    expect((await p.settled).error).toBeUndefined()
    expectWrapped(p)
  })

  it('an error thrown while rendering leaves it and reaches the caller', async () => {
    const model = emptyModel()
    let broken = false
    const engine = model.engine
    Object.defineProperty(model, 'engine', {
      get: () => {
        if (broken) throw new Error('boom in render')
        return engine
      },
    })
    const source = new Source(model)
    const p = startPanel(source)
    await panelUp(p, source)
    expect(p.stdout.text).not.toContain(LEAVE_ALT_SCREEN)
    // The next frame reads the model and throws.
    broken = true
    source.emit('change')
    const {error} = await p.settled
    expect(error?.message).toBe('boom in render')
    expectWrapped(p)
  })

  it('an uncaught error elsewhere in the process: Ink stops drawing, then the screen is left', async () => {
    const p = startPanel()
    await panelUp(p)
    // What Node emits before it reports an uncaught exception (or an unhandled rejection) and exits.
    const proc: EventEmitter = process
    proc.emit('uncaughtExceptionMonitor', new Error('elsewhere'), 'uncaughtException')
    // The panel redraws its clock every second: nothing may land on the normal screen after leaving.
    // A duration, not a condition: long enough for that timer to fire once more.
    await sleep(1100)
    expect(p.stdout.writes.at(-1)).toBe(LEAVE_ALT_SCREEN)
    expect((await p.settled).error).toBeUndefined()
    expectWrapped(p)
  })
})

describe('enterAltScreen', () => {
  const fake = () => {
    const emitter = new EventEmitter()
    const writes: string[] = []
    return {proc: emitter as unknown as NodeJS.Process, emitter, writes, out: {write: (s: string) => writes.push(s)}}
  }

  it('restores once, however many ways out fire, and removes its process hooks', () => {
    const {proc, emitter, writes, out} = fake()
    const screen = enterAltScreen(out, proc)
    expect(writes).toEqual([ENTER_ALT_SCREEN])
    expect(proc.listenerCount('exit')).toBe(1)
    expect(proc.listenerCount('uncaughtExceptionMonitor')).toBe(1)
    screen.restore()
    screen.restore()
    emitter.emit('exit', 0)
    expect(writes).toEqual([ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN])
    expect(screen.active).toBe(false)
    expect(proc.listenerCount('exit')).toBe(0)
    expect(proc.listenerCount('uncaughtExceptionMonitor')).toBe(0)
  })

  it('an uncaught exception or process exit restores it', () => {
    for (const event of ['uncaughtExceptionMonitor', 'exit']) {
      const {proc, emitter, writes, out} = fake()
      enterAltScreen(out, proc)
      emitter.emit(event, event === 'exit' ? 1 : new Error('x'))
      expect(writes, event).toEqual([ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN])
      expect(proc.listenerCount('exit')).toBe(0)
    }
  })

  it('a terminal that is gone does not turn the restore into a second error', () => {
    const {proc} = fake()
    let calls = 0
    const screen = enterAltScreen(
      {
        write: () => {
          if (calls++ > 0) throw new Error('EPIPE')
        },
      },
      proc,
    )
    expect(() => screen.restore()).not.toThrow()
  })
})

/** The built module (`npm test` builds first), run in a process of its own. */
const built = fileURLToPath(new URL('../../dist/src/tui/terminal.js', import.meta.url))

describe('a process that dies on the alternate screen', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
    dir = undefined
  })

  const run = (body: string) => {
    expect(existsSync(built), `${built} missing: run npm run build`).toBe(true)
    dir = mkdtempSync(join(tmpdir(), 'ordermon-altscreen-'))
    const script = join(dir, 'panel.mjs')
    writeFileSync(script, `import {enterAltScreen} from ${JSON.stringify(pathToFileURL(built).href)}\nenterAltScreen(process.stdout)\n${body}\n`)
    return new Promise<{code: number | null; stdout: string; stderr: string}>((resolve, reject) => {
      const child = spawn(process.execPath, [script], {stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({code, stdout, stderr})
      })
    })
  }

  it('an uncaught exception: the screen is restored, Node still reports the error and exits 1', async () => {
    const r = await run(`process.stdout.write('frame')\nsetTimeout(() => { throw new Error('boom in the panel') }, 10)`)
    expect(r.stdout).toBe(`${ENTER_ALT_SCREEN}frame${LEAVE_ALT_SCREEN}`)
    expect(r.stderr).toContain('boom in the panel')
    expect(r.code).toBe(1)
  })

  it('an unhandled rejection: restored, reported, exit 1', async () => {
    const r = await run(`process.stdout.write('frame')\nsetTimeout(() => { Promise.reject(new Error('rejected in the panel')) }, 10)`)
    expect(r.stdout).toBe(`${ENTER_ALT_SCREEN}frame${LEAVE_ALT_SCREEN}`)
    expect(r.stderr).toContain('rejected in the panel')
    expect(r.code).toBe(1)
  })

  it('process.exit() anywhere: restored, with the exit code kept', async () => {
    const r = await run(`process.stdout.write('frame')\nsetTimeout(() => process.exit(3), 10)`)
    expect(r.stdout).toBe(`${ENTER_ALT_SCREEN}frame${LEAVE_ALT_SCREEN}`)
    expect(r.code).toBe(3)
  })
})
