import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {jsonRequested, spinner} from '../../src/cli/spinner.js'

/** A fake stream that records what is written, claiming to be a terminal or not. */
function fakeStream(isTTY: boolean) {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & {written: string}
  s.written = ''
  ;(s as {isTTY?: boolean}).isTTY = isTTY
  s.write = ((chunk: string) => {
    s.written += chunk
    return true
  }) as typeof s.write
  return s
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('spinner', () => {
  it('writes nothing at all when stderr is not a terminal', () => {
    const writes = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const original = process.stderr.isTTY
    ;(process.stderr as {isTTY?: boolean}).isTTY = false
    try {
      const s = spinner('Starting the engine')
      s.update('waiting for the heartbeat')
      s.succeed('Engine started')
      s.fail('never shown')
      s.stop()
    } finally {
      ;(process.stderr as {isTTY?: boolean}).isTTY = original
    }
    expect(writes).not.toHaveBeenCalled()
    expect(stdout).not.toHaveBeenCalled()
  })

  it('writes nothing on a terminal when --json was given', () => {
    const stream = fakeStream(true)
    expect(jsonRequested(['status', '--json'])).toBe(true)
    expect(jsonRequested(['status', '--', '--json'])).toBe(false)
    const s = spinner('x', {stream, enabled: !jsonRequested(['status', '--json'])})
    s.succeed('done')
    expect(stream.written).toBe('')
  })

  it('animates on a terminal and clears its line when done', () => {
    vi.useFakeTimers()
    const stream = fakeStream(true)
    const s = spinner('Stopping', {stream, enabled: true})
    vi.advanceTimersByTime(450)
    const frames = stream.written.split('\r').filter(Boolean)
    expect(frames.length).toBeGreaterThanOrEqual(5)
    expect(new Set(frames).size).toBeGreaterThan(1)
    s.update('waiting')
    expect(stream.written.endsWith('waiting')).toBe(true)
    s.succeed('Stopped')
    expect(stream.written.endsWith('\r\u001B[2K✔ Stopped\n')).toBe(true)
    const after = stream.written
    vi.advanceTimersByTime(500)
    s.stop()
    expect(stream.written).toBe(after)
  })

  it('stop() leaves an empty line', () => {
    const stream = fakeStream(true)
    const s = spinner('x', {stream, enabled: true})
    s.stop()
    expect(stream.written.endsWith('\r\u001B[2K')).toBe(true)
  })
})
