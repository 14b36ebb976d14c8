import {readFileSync, statSync} from 'node:fs'
import {invalidInput} from '../../errors.js'
import {jsonErrorOffset} from './json-error.js'

/** Where in `text` a character offset falls, 1-based, for error messages people can act on. */
function lineCol(text: string, offset: number): {line: number; column: number} {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const lines = before.split('\n')
  return {line: lines.length, column: lines.at(-1)!.length + 1}
}

/**
 * Parses strategy JSON and names the line and column of a syntax error ("strategy.json: line 7,
 * column 3: ...") instead of V8's bare character position.
 */
export function parseJsonConfig(text: string, label: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const offset = jsonErrorOffset(text) ?? text.length
    const at = lineCol(text, offset)
    // V8's own wording when it is a clean sentence ("Expected ',' or '}' after property value");
    // otherwise what stands at the offending place.
    const v8 = (error instanceof Error ? error.message : '').match(/^(.*?) in JSON at position \d+/)?.[1]
    const what = offset >= text.length ? 'the file ends too early' : v8 && !v8.includes('\n') ? v8 : `unexpected ${JSON.stringify(text.slice(offset, offset + 12).split(/\r?\n/)[0])}`
    throw invalidInput(`${label}: line ${at.line}, column ${at.column}: malformed JSON (${what}).`, 'Fix the JSON and run the command again.', {parser: error instanceof Error ? error.message.split('\n')[0] : String(error)})
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidInput(`${label}: expected a JSON object with name, type and parameters.`)
  return value as Record<string, unknown>
}

/** Reads a strategy configuration file (at most 1 MiB: these are hand-written settings). */
export function readJsonConfig(path: string): Record<string, unknown> {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw invalidInput(`${path} is not a file.`)
    size = st.size
  } catch (error) {
    if ((error as {kind?: string}).kind) throw error
    throw invalidInput(`Cannot read ${path}: ${(error as {code?: string}).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`)
  }
  if (size > 1_048_576) throw invalidInput(`${path} is ${size} bytes; a strategy configuration is at most 1 MiB.`)
  return parseJsonConfig(readFileSync(path, 'utf8'), path)
}
