import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const script = fileURLToPath(new URL('./pty-run.py', import.meta.url))
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

export const CTRL_C = '\u0003'

export interface PtyStep {
  /** Text to wait for in the terminal output (searched after the previous step's match). */
  expect: string
  /** Keys to type once it appears: CTRL_C, or an answer ending in '\r' (Enter). */
  send: string
}

export interface PtyResult {
  /** Everything the terminal showed (stdout and stderr together, escape sequences included). */
  output: string
  /** As a shell reports it: 130 for exit(130); negative for death by a signal (-2: SIGINT). */
  exit_code: number
  timed_out: boolean
  /** The step whose text never appeared (the process ended or the time ran out first). */
  failed_expect: string | null
  /** Milliseconds from writing the last keys to the process's exit. */
  ms_after_last_send: number | null
  /** The terminal's echo and line mode after the exit: a prompt that forgot to restore them leaves them off. */
  echo: boolean
  icanon: boolean
}

/**
 * Runs the built `ordermon` on a real pseudo-terminal (through test/helpers/pty-run.py: Node has no
 * pty module), answering prompts as `steps` say, with a clean environment plus `env`, in `cwd`.
 * With `stdoutPath`, stdout goes to that file and the terminal shows only stderr.
 */
export function runCliPty(args: string[], options: {steps: PtyStep[]; env?: Record<string, string>; cwd?: string; timeoutMs?: number; stdoutPath?: string}): Promise<PtyResult> {
  const spec = {
    argv: [process.execPath, bin, ...args],
    cwd: options.cwd,
    env: {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm-256color', NO_COLOR: '1', ...options.env},
    steps: options.steps,
    stdout_path: options.stdoutPath,
    timeout_ms: options.timeoutMs ?? 15_000,
  }
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, JSON.stringify(spec)], {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? ''
      try {
        resolve(JSON.parse(last) as PtyResult)
      } catch {
        reject(new Error(`pty-run.py failed (exit ${code}):\n${stdout}\n${stderr}`))
      }
    })
  })
}

/** The terminal output without escape sequences and carriage returns, for reading and matching. */
export const plain = (output: string) =>
  output
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\r/g, '')
