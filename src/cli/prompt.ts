import {createInterface} from 'node:readline'
import {OrdermonError} from '../engine/errors.js'

export const interactive = () => Boolean(process.stdin.isTTY && process.stderr.isTTY)

/** Asks a yes/no question on the terminal (prompt on stderr, so stdout stays clean for data). */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve))
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/** Reads a secret from the terminal without echoing it. */
export async function askSecret(question: string): Promise<string> {
  const rl = createInterface({input: process.stdin, output: process.stderr, terminal: true})
  const out = rl as unknown as {_writeToOutput: (s: string) => void; output: NodeJS.WriteStream}
  let asked = false
  out._writeToOutput = (s: string) => {
    if (!asked) {
      process.stderr.write(s)
      asked = true
    }
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve))
  } finally {
    process.stderr.write('\n')
    rl.close()
  }
}

/** The first line of standard input: `--password-stdin` keeps passwords out of shell history. */
export async function readStdinLine(what: string): Promise<string> {
  if (process.stdin.isTTY) throw new OrdermonError('invalidInput', `--${what}-stdin expects the ${what} on standard input, not a terminal.`, {hint: `echo "$SECRET" | ordermon ... --${what}-stdin`})
  let data = ''
  for await (const chunk of process.stdin) {
    data += chunk
    if (data.includes('\n')) break
  }
  return data.split(/\r?\n/)[0] ?? ''
}
