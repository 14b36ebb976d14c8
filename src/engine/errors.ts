/**
 * One error type for everything a user can cause. It carries what went wrong, what to try, and the
 * process exit code, so the CLI (and later the REST API) render it the same way without guessing.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  invalidInput: 2,
  databaseUnavailable: 3,
  notFound: 4,
  conflict: 5,
  redisUnavailable: 6,
  /** Not signed in, or a token that is bad, expired or revoked (HTTP 401). */
  unauthorized: 7,
  /** Signed in, but not allowed this (HTTP 403). */
  forbidden: 8,
  aborted: 130,
} as const

export type ErrorKind = keyof typeof ExitCode

export class OrdermonError extends Error {
  readonly kind: ErrorKind
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(kind: ErrorKind, message: string, options: {hint?: string; details?: Record<string, unknown>; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'OrdermonError'
    this.kind = kind
    this.hint = options.hint
    this.details = options.details
  }

  get exitCode(): number {
    return ExitCode[this.kind]
  }
}

export const invalidInput = (message: string, hint?: string, details?: Record<string, unknown>) =>
  new OrdermonError('invalidInput', message, {hint, details})

export const notFound = (message: string, hint?: string) => new OrdermonError('notFound', message, {hint})

export const conflict = (message: string, hint?: string, details?: Record<string, unknown>) =>
  new OrdermonError('conflict', message, {hint, details})

export const unauthorized = (message: string, hint?: string) => new OrdermonError('unauthorized', message, {hint})

export const forbidden = (message: string, hint?: string) => new OrdermonError('forbidden', message, {hint})

export function isOrdermonError(err: unknown): err is OrdermonError {
  return err instanceof OrdermonError
}

/**
 * What kind of failure a driver error is (mysql2, better-sqlite3, knex's pool, ioredis), decided in
 * this one place: the CLI's exit codes, the engine's degraded state, the connection messages and the
 * retry of busy SQLite transactions all ask here.
 */
export type Failure =
  | 'connection_refused'
  | 'connection_lost'
  | 'timeout'
  | 'host_not_found'
  | 'access_denied'
  | 'auth_failed'
  | 'no_database'
  | 'no_schema'
  | 'cannot_open'
  | 'redis_unavailable'
  | 'duplicate'
  | 'busy'
  | 'other'

const failureByCode: Record<string, Failure> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_lost',
  EPIPE: 'connection_lost',
  PROTOCOL_CONNECTION_LOST: 'connection_lost',
  ER_SERVER_SHUTDOWN: 'connection_lost',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'host_not_found',
  EAI_AGAIN: 'host_not_found',
  ER_ACCESS_DENIED_ERROR: 'access_denied',
  ER_BAD_DB_ERROR: 'no_database',
  ER_NO_SUCH_TABLE: 'no_schema',
  SQLITE_CANTOPEN: 'cannot_open',
  ER_DUP_ENTRY: 'duplicate',
  SQLITE_CONSTRAINT_UNIQUE: 'duplicate',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'duplicate',
}

/** The phrase each failure is reported with ("Cannot reach the database at ...: connection refused."). */
const failureReason: Partial<Record<Failure, string>> = {
  connection_refused: 'connection refused',
  connection_lost: 'connection lost',
  timeout: 'connection timed out',
  host_not_found: 'host not found',
  access_denied: 'access denied (user or password)',
  auth_failed: 'authentication failed',
  no_database: 'the database does not exist',
  no_schema: 'no ordermon schema',
  cannot_open: 'cannot open the file',
}

export interface ClassifiedFailure {
  failure: Failure
  /** One line for a message: the phrase above, or the error's own first line with URL passwords hidden. */
  reason: string
}

export function classifyFailure(error: unknown): ClassifiedFailure {
  const e = error as {code?: string; message?: string} | undefined
  const code = e?.code ?? ''
  const message = e?.message ?? String(error)
  const failure: Failure =
    failureByCode[code] ??
    (code.startsWith('SQLITE_BUSY') ? 'busy'
    : /no such table/i.test(message) ? 'no_schema'
    : /NOAUTH|WRONGPASS|invalid password/i.test(message) ? 'auth_failed'
    // ioredis reports a dead server in words, without a code.
    : /Connection is closed|max retries per request|Stream isn't writeable/i.test(message) ? 'redis_unavailable'
    // knex's pool: "Timeout acquiring a connection. The pool is probably full."
    : /acquiring a connection|timed? ?out/i.test(message) ? 'timeout'
    : /connection/i.test(message) ? 'connection_lost'
    : 'other')
  const own = message.split('\n')[0]!.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1********@').replace(/\.+$/, '')
  return {failure, reason: failureReason[failure] ?? own}
}

/** The database (or Redis) cannot be reached right now: worth retrying later, not a bug. */
export const isConnectionFailure = (f: Failure) => f === 'connection_refused' || f === 'connection_lost' || f === 'timeout' || f === 'host_not_found'
