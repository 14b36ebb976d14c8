import {OrdermonError} from '../engine/index.js'

export const interactive = () => Boolean(process.stdin.isTTY && process.stderr.isTTY)

/**
 * Prompts use Inquirer, which restores the terminal (echo, cursor) and turns Ctrl-C into an
 * ExitPromptError instead of leaving a readline question pending forever (Node then exits with 13).
 * The libraries are imported only when a prompt is shown, so quick commands do not load them.
 * Prompts write to stderr: stdout stays clean for data and --json.
 */
const context = () => ({input: process.stdin, output: process.stderr})

/** Ctrl-C (or the terminal closing) at a prompt becomes the `aborted` error: one line, exit 130. */
function asAborted(error: unknown): never {
  if (error instanceof Error && error.name === 'ExitPromptError') throw new OrdermonError('aborted', 'Aborted.', {cause: error})
  throw error
}

/** Asks a yes/no question on the terminal; the default (just Enter, or anything not yes) is no. */
export async function confirm(question: string): Promise<boolean> {
  const {default: confirmPrompt} = await import('@inquirer/confirm')
  return confirmPrompt({message: question, default: false}, context()).catch(asAborted)
}

/** Reads a secret from the terminal without echoing it, not even as a mask (its length stays private too). */
export async function askSecret(question: string): Promise<string> {
  const {default: passwordPrompt} = await import('@inquirer/password')
  return passwordPrompt({message: question}, context()).catch(asAborted)
}

/** The first line of standard input: `--password-stdin` keeps passwords out of shell history. */
export async function readStdinLine(what: string): Promise<string> {
  // A terminal is refused rather than read: a prompt-less read there would wait, and Ctrl-C would not end it cleanly.
  if (process.stdin.isTTY) throw new OrdermonError('invalidInput', `--${what}-stdin expects the ${what} on standard input, not a terminal.`, {hint: `echo "$SECRET" | ordermon ... --${what}-stdin`})
  let data = ''
  for await (const chunk of process.stdin) {
    data += chunk
    if (data.includes('\n')) break
  }
  return data.split(/\r?\n/)[0] ?? ''
}
