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

export function isOrdermonError(err: unknown): err is OrdermonError {
  return err instanceof OrdermonError
}
