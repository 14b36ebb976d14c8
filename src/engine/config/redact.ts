/** Secrets never leave the process in clear: not in `system config`, not in logs, not in error lines. */
const secretKey = /(password|passwd|secret|token|credentials|(access|secret|api|private)_?key)$/i

export const REDACTED = '********'

export function isSecretPath(path: string): boolean {
  const leaf = path.split('.').pop() ?? path
  return secretKey.test(leaf)
}

/** Hides the password of a URL (mysql://user:pw@host/db -> mysql://user:********@host/db) and its query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = REDACTED
    for (const k of [...u.searchParams.keys()]) if (secretKey.test(k) || /key|sig/i.test(k)) u.searchParams.set(k, REDACTED)
    return decodeURIComponent(u.toString())
  } catch {
    // Not a URL we can parse: hide anything between "://user:" and "@" to be safe.
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, `$1${REDACTED}@`)
  }
}

export function redactValue(path: string, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value
  if (isSecretPath(path)) return REDACTED
  // A webhook's path is often its credential (Slack, Teams, DingTalk): only the origin is shown.
  if (path.endsWith('webhook.url') && typeof value === 'string') return redactWebhookUrl(value)
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value)
  return value
}

export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}/${REDACTED}`
  } catch {
    return REDACTED
  }
}
