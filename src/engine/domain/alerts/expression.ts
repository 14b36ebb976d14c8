import type {InputType} from './inputs.js'

/**
 * Alert conditions (`cpu_usage > 80 and not db_connection_failed`): a small grammar parsed by hand
 * and compiled to closures. Nothing in a condition is ever evaluated as JavaScript.
 *
 *   or         := and (('or' | '||') and)*
 *   and        := not (('and' | '&&') not)*
 *   not        := ('not' | '!') not | comparison
 *   comparison := primary (('>' | '>=' | '<' | '<=' | '==' | '=' | '!=') primary)?
 *   primary    := number ['%'] | string | 'true' | 'false' | name | '(' or ')'
 *
 * Missing data is "unknown", as NULL is in SQL: a comparison with a missing (or null) operand is
 * unknown, `not unknown` is unknown, `unknown and false` is false, `unknown or true` is true. A
 * condition holds only when it is true, so no data never fires — `cpu_usage != 80` and
 * `not cpu_usage > 80` included — and `known` says the evaluator cannot tell either way.
 * Values of different types are never equal (`==` false, `!=` true) and never ordered (false).
 */

export type InputValue = number | string | boolean | null
export type Inputs = Readonly<Record<string, InputValue | undefined>>

export interface ConditionResult {
  /** The condition is true on these inputs. */
  holds: boolean
  /** The value of the first name the condition reads (for messages). */
  value: InputValue | undefined
  /** false when missing inputs left the condition undecided: neither holding nor clear. */
  known: boolean
}

export interface Condition {
  readonly source: string
  /** Identifiers the condition reads, in order of first appearance. */
  readonly names: readonly string[]
  test(inputs: Inputs): ConditionResult
}

export class ConditionSyntaxError extends Error {
  /** 1-based column (in characters) where the problem starts. */
  readonly position: number
  readonly expected: string
  readonly found: string

  constructor(position: number, expected: string, found: string, message?: string) {
    super(message ?? `at column ${position}: expected ${expected}, found ${found}`)
    this.name = 'ConditionSyntaxError'
    this.position = position
    this.expected = expected
    this.found = found
  }
}

/** Longer conditions and deeper nesting are mistakes, and would cost stack. */
export const MAX_CONDITION_LENGTH = 1000
export const MAX_NESTING = 32

type Value = InputValue | undefined
type Eval = (inputs: Inputs) => Value
type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!='
type StaticKind = 'number' | 'string' | 'boolean' | 'unknown'

type Token =
  | {kind: 'number'; at: number; text: string; value: number}
  | {kind: 'string'; at: number; text: string; value: string}
  | {kind: 'name'; at: number; text: string}
  | {kind: 'true' | 'false' | 'and' | 'or' | 'not' | '(' | ')' | 'bad' | 'end'; at: number; text: string}
  | {kind: 'compare'; at: number; text: string; op: CompareOp}

/** A compiled piece of a condition, with what is known of it before any input is seen. */
interface Node {
  ev: Eval
  kind: StaticKind
  at: number
  /** Set when the node is a bare name or literal, for type checks and messages. */
  name?: string
  literal?: Token
}

const keywords = new Set(['true', 'false', 'and', 'or', 'not'])
const lowerName = /^[a-z_][a-z0-9_]*$/
const numberAt = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?/y
const wordAt = /[A-Za-z_][A-Za-z0-9_]*/y
const primaryExpected = 'a number, a string or a name'

/**
 * Parses and compiles a condition. `known`: the names it may read (unknown ones are refused with a
 * suggestion); `types`: what each name can hold, so comparisons that can never hold are refused.
 */
export function parseCondition(source: string, known?: ReadonlySet<string>, types?: ReadonlyMap<string, InputType>): Condition {
  const column = (at: number) => Array.from(source.slice(0, at)).length + 1
  const fail = (at: number, expected: string, found: string, message?: string): never => {
    const col = column(at)
    throw new ConditionSyntaxError(col, expected, found, message === undefined ? undefined : `at column ${col}: ${message}`)
  }
  if (source.length > MAX_CONDITION_LENGTH) fail(MAX_CONDITION_LENGTH, 'the end', `${source.length} characters`, `expected the end, found more (a condition is at most ${MAX_CONDITION_LENGTH} characters)`)

  const tokens = tokenize(source, fail)
  const names: string[] = []
  let pos = 0
  let depth = 0
  /** The operand just parsed ended in a comparison (then another operator cannot follow). */
  let compared = false
  const peek = () => tokens[pos]!
  const next = () => tokens[pos++]!
  const shown = (t: Token) => (t.kind === 'end' ? 'the end' : t.kind === 'string' ? t.text : `'${t.text}'`)
  const enter = (t: Token) => {
    if (++depth > MAX_NESTING) fail(t.at, `at most ${MAX_NESTING} nested levels`, 'more')
  }

  const parseOr = (): Node => {
    let left = parseAnd()
    while (peek().kind === 'or') {
      const at = next().at
      const a = boolOf(left)
      const b = boolOf(parseAnd())
      left = {at, kind: 'boolean', ev: (i) => or(a, b, i)}
    }
    return left
  }
  const parseAnd = (): Node => {
    let left = parseNot()
    while (peek().kind === 'and') {
      const at = next().at
      const a = boolOf(left)
      const b = boolOf(parseNot())
      left = {at, kind: 'boolean', ev: (i) => and(a, b, i)}
    }
    return left
  }
  const parseNot = (): Node => {
    if (peek().kind !== 'not') return parseComparison()
    const t = next()
    enter(t)
    const inner = boolOf(parseNot())
    depth--
    return {at: t.at, kind: 'boolean', ev: (i) => negate(inner(i))}
  }
  const parseComparison = (): Node => {
    const left = parsePrimary()
    const t = peek()
    compared = t.kind === 'compare'
    if (t.kind !== 'compare') return left
    next()
    const right = parsePrimary()
    if (types) checkTypes(left, t, right)
    const a = left.ev
    const b = right.ev
    const op = t.op
    return {at: left.at, kind: 'boolean', ev: (i) => compare(op, a(i), b(i))}
  }
  const parsePrimary = (): Node => {
    const t = next()
    switch (t.kind) {
      case 'number':
        return {at: t.at, kind: 'number', literal: t, ev: () => t.value}
      case 'string':
        return {at: t.at, kind: 'string', literal: t, ev: () => t.value}
      case 'true':
      case 'false': {
        const v = t.kind === 'true'
        return {at: t.at, kind: 'boolean', literal: t, ev: () => v}
      }
      case 'name':
        return nameNode(t)
      case '(': {
        enter(t)
        const inner = parseOr()
        const close = next()
        if (close.kind !== ')') fail(close.at, afterOperand(true), shown(close))
        depth--
        compared = false
        return inner
      }
      default:
        return fail(t.at, primaryExpected, shown(t))
    }
  }
  const nameNode = (t: Token): Node => {
    const name = t.text
    if (!lowerName.test(name)) {
      const lower = name.toLowerCase()
      fail(t.at, 'a name in lower case', `'${name}'`, `expected a name in lower case, found '${name}'${known?.has(lower) ? ` (did you mean ${lower}?)` : ''}`)
    }
    if (known && !known.has(name)) {
      const guess = closest(name, known)
      fail(t.at, 'a known name', `'${name}'`, `unknown name '${name}'${guess ? ` (did you mean ${guess}?)` : ''}`)
    }
    if (!names.includes(name)) names.push(name)
    const type = types?.get(name)
    return {at: t.at, kind: type?.kind ?? 'unknown', name, ev: reader(name)}
  }
  /** What may follow a complete operand: an operator unless one was just used, and/or, the end or ')'. */
  const afterOperand = (inParens: boolean) => `${compared ? '' : 'an operator, '}'and', 'or' or ${inParens ? "')'" : 'the end'}`
  const foundOf = (n: Node) => (n.literal ? shown(n.literal) : n.name ? `'${n.name}' (${kindWords(types!.get(n.name)!)})` : 'a condition')

  /** A node used as a truth test (the operand of and/or/not, or the whole condition). */
  const boolOf = (n: Node): Eval => {
    if (n.kind === 'string') {
      const type = n.name ? types?.get(n.name) : undefined
      const example = n.name && type?.kind === 'string' ? `, e.g. ${n.name} == '${type.values[0]}'` : ''
      fail(n.at, 'a comparison', n.name ? `'${n.name}'` : shown(n.literal!), `${n.name ?? n.literal!.text} is text: compare it${example}`)
    }
    const ev = n.ev
    return n.kind === 'boolean' && !n.name ? ev : (i) => truth(ev(i))
  }

  /** With `types`: a name compared with something it can never be, or ordered when it has no order, is refused. */
  const checkTypes = (left: Node, op: Token & {kind: 'compare'}, right: Node) => {
    const ordering = op.op !== '==' && op.op !== '!='
    for (const [named, other] of [
      [left, right],
      [right, left],
    ] as const) {
      const type = named.name ? types!.get(named.name) : undefined
      if (!type) continue
      if (ordering && type.kind !== 'number') fail(op.at, '== or !=', `'${op.text}'`, `${named.name} is ${kindWords(type)}: compare it with == or !=, found '${op.text}'`)
      if (other.kind !== 'unknown' && other.kind !== type.kind) fail(other.at, kindExample(type), foundOf(other), `${named.name} is ${kindWords(type)}: expected ${kindExample(type)}, found ${foundOf(other)}`)
      const literal = other.literal
      if (type.kind === 'string' && literal?.kind === 'string' && !type.values.includes(literal.value)) {
        const values = type.values.map((v) => `'${v}'`).join(', ')
        fail(other.at, `one of ${values}`, literal.text, `expected one of ${values} (the values of ${named.name}), found ${literal.text}`)
      }
    }
  }

  const root = parseOr()
  const end = peek()
  // A stray ')' or a second operand: say what could have come instead.
  if (end.kind !== 'end') fail(end.at, afterOperand(false), shown(end))
  const test = boolOf(root)
  const first = names.length > 0 ? reader(names[0]!) : undefined
  return {
    source,
    names,
    test(inputs: Inputs): ConditionResult {
      const t = test(inputs) as boolean | undefined
      return {holds: t === true, known: t !== undefined, value: first ? first(inputs) : undefined}
    },
  }
}

function tokenize(source: string, fail: (at: number, expected: string, found: string, message?: string) => never): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    const at = i
    const two = source.slice(i, i + 2)
    if (two === '>=' || two === '<=' || two === '==' || two === '!=') {
      tokens.push({kind: 'compare', at, text: two, op: two})
      i += 2
    } else if (c === '>' || c === '<') {
      tokens.push({kind: 'compare', at, text: c, op: c})
      i++
    } else if (c === '=') {
      tokens.push({kind: 'compare', at, text: c, op: '=='})
      i++
    } else if (two === '&&' || two === '||') {
      tokens.push({kind: two === '&&' ? 'and' : 'or', at, text: two})
      i += 2
    } else if (c === '!') {
      tokens.push({kind: 'not', at, text: c})
      i++
    } else if (c === '(' || c === ')') {
      tokens.push({kind: c, at, text: c})
      i++
    } else if (c === "'" || c === '"') {
      let value = ''
      let j = i + 1
      for (; j < source.length && source[j] !== c; j++) {
        // A backslash keeps the next character as it is: \' inside '...', \\ for a backslash.
        if (source[j] === '\\' && j + 1 < source.length) j++
        value += source[j]
      }
      if (j >= source.length) fail(at, `a closing ${c}`, 'the end', `expected a closing ${c} for the string that starts here, found the end`)
      tokens.push({kind: 'string', at, text: source.slice(at, j + 1), value})
      i = j + 1
    } else if ((c >= '0' && c <= '9') || c === '.' || (c === '-' && /[0-9.]/.test(source[i + 1] ?? ''))) {
      const sign = c === '-' ? 1 : 0
      numberAt.lastIndex = i + sign
      const m = numberAt.exec(source)
      if (!m) {
        tokens.push({kind: 'bad', at, text: c})
        break
      }
      const text = source.slice(at, i + sign + m[0].length)
      tokens.push({kind: 'number', at, text, value: (sign ? -1 : 1) * Number(m[0].replace('%', ''))})
      i += sign + m[0].length
    } else if (/[A-Za-z_]/.test(c)) {
      wordAt.lastIndex = i
      const word = wordAt.exec(source)![0]
      const lower = word.toLowerCase()
      if (keywords.has(lower)) tokens.push({kind: lower as 'true', at, text: word})
      else tokens.push({kind: 'name', at, text: word})
      i += word.length
    } else {
      // The parser reports it with what it expected here; nothing after it matters.
      tokens.push({kind: 'bad', at, text: String.fromCodePoint(source.codePointAt(i)!)})
      break
    }
  }
  tokens.push({kind: 'end', at: source.length, text: ''})
  return tokens
}

/** A name's value, or undefined for anything that is not a plain value (a prototype's `constructor` included). */
function reader(name: string): Eval {
  return (inputs) => {
    const v = inputs[name]
    if (typeof v === 'number') return Number.isNaN(v) ? undefined : v
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v
    return undefined
  }
}

/** true, false or unknown (undefined). A bare value is true when it is true or a non-zero number. */
function truth(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string') return false
  return undefined
}

function negate(v: Value): boolean | undefined {
  return v === undefined ? undefined : !v
}

/** Kleene's and/or over true, false and unknown; the right side is skipped when the left decides. */
function and(a: Eval, b: Eval, inputs: Inputs): boolean | undefined {
  const x = a(inputs)
  if (x === false) return false
  const y = b(inputs)
  if (y === false) return false
  return x === true && y === true ? true : undefined
}

function or(a: Eval, b: Eval, inputs: Inputs): boolean | undefined {
  const x = a(inputs)
  if (x === true) return true
  const y = b(inputs)
  if (y === true) return true
  return x === false && y === false ? false : undefined
}

function compare(op: CompareOp, a: Value, b: Value): boolean | undefined {
  if (a === undefined || a === null || b === undefined || b === null) return undefined
  if (typeof a !== typeof b) return op === '!='
  switch (op) {
    case '==':
      return a === b
    case '!=':
      return a !== b
    default:
      if (typeof a === 'boolean') return false
      return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b
  }
}

const kindWords = (t: InputType) => (t.kind === 'number' ? 'a number' : t.kind === 'boolean' ? 'true or false' : 'text')
const kindExample = (t: InputType) => (t.kind === 'number' ? 'a number' : t.kind === 'boolean' ? 'true or false' : `a string such as '${t.values[0] ?? ''}'`)

/** The known name nearest to a misspelt one (at most a third of its letters off), for "did you mean". */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1
  for (const k of known) {
    const d = distance(name, k)
    if (d < bestDistance) [best, bestDistance] = [k, d]
  }
  return best
}

/** Edits from a to b: insertions, deletions, substitutions and swaps of neighbours ('fro' -> 'for' is 1). */
function distance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1)
    }
  return d[a.length]![b.length]!
}
