/**
 * Request bodies are parsed only after a cheap scan has bounded their nesting: a body of a million
 * `[` would otherwise cost the parser deep recursion for nothing. Sizes are bounded before this by
 * server.body_limit.
 */
export const MAX_DEPTH = 32

export function nestingDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \\ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91 /* { [ */) {
      if (++depth > max) max = depth
      if (max > MAX_DEPTH) return max
    } else if (c === 125 || c === 93) depth--
  }
  return max
}
