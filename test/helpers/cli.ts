import {spawn, type ChildProcess} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {expect} from 'vitest'

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the built `ordermon` as a child process (as a user would: `npm test` builds first), with a
 * clean environment plus `env`, in `cwd`. `input` is written to standard input.
 */
export function runCli(args: string[], options: {env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd,
      env: {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Parses the --json output of a command. */
export function json<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A CLI process started with spawnCli: its output so far, its exit, and ways to wait for either. */
export interface CliProcess {
  child: ChildProcess
  pid: number
  stdout(): string
  stderr(): string
  /** stdout and stderr as they arrived, interleaved (for failure messages). */
  output(): string
  /** Resolves once the process has exited and its output is read (its pipes closed, or 2 s after the exit). */
  exited: Promise<Exit>
  hasExited(): boolean
  /** Resolves with the first match of `re` on stderr; rejects if the process exits or `ms` passes first. */
  waitStderr(re: RegExp, ms?: number): Promise<string>
  /** Sends `signal` and awaits the exit, failing the test if it takes more than `ms`. */
  stop(signal: NodeJS.Signals, ms?: number): Promise<Exit>
}

/** Resolves with `promise`, or with 'timeout' after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Starts the built `ordermon` as a child process without waiting for it (see runCli for the
 * environment). Standard input is /dev/null, or a pipe given `input` and then closed.
 */
export function spawnCli(args: string[], options: {env?: Record<string, string>; cwd?: string; input?: string} = {}): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...options.env},
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  if (options.input !== undefined) child.stdin!.end(options.input)
  let out = ''
  let err = ''
  let all = ''
  child.stdout!.on('data', (d) => ((out += d), (all += d)))
  child.stderr!.on('data', (d) => ((err += d), (all += d)))
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      const done = () => resolve({code, signal})
      // The last output may still be in the pipes; a grandchild holding them must not keep us waiting.
      const timer = setTimeout(done, 2000)
      child.on('close', () => {
        clearTimeout(timer)
        done()
      })
    })
  })
  const proc: CliProcess = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    exited,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
    waitStderr(re, ms = 15_000) {
      return new Promise<string>((resolve, reject) => {
        let settled = false
        const finish = (f: () => void) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          child.stderr!.off('data', check)
          f()
        }
        function check() {
          const m = re.exec(err)
          if (m) finish(() => resolve(m[0]))
        }
        const timer = setTimeout(() => finish(() => reject(new Error(`stderr did not match ${re} within ${ms} ms:\n${err}`))), ms)
        child.stderr!.on('data', check)
        void exited.then((e) => {
          check()
          finish(() => reject(new Error(`exited (${JSON.stringify(e)}) before stderr matched ${re}:\n${all}`)))
        })
        check()
      })
    },
    async stop(signal, ms = 15_000) {
      child.kill(signal)
      const result = await within(exited, ms)
      expect(result, `no exit within ${ms} ms of ${signal}: ${all}`).not.toBe('timeout')
      return result as Exit
    },
  }
  return proc
}
