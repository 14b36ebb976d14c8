import {userInfo} from 'node:os'
import {Command, Errors, Flags, type Interfaces} from '@oclif/core'
import chalk from 'chalk'
import {classifyFailure, environments, ExitCode, isConnectionFailure, isOrdermonError, loadConfig, openEngine, OrdermonError, type Actor, type Engine, type LoadedConfig, type OpenEngineOptions} from '../engine/index.js'
import type {Spinner} from './spinner.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const GLOBAL = 'GLOBAL'

/**
 * Every ordermon command: the shared flags, `--json`, configuration and engine handle, and the one
 * place that turns errors into a single line and an exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    env: Flags.string({helpGroup: GLOBAL, options: [...environments], description: 'Environment whose .env.<env> to load (ORDERMON_ENV).'}),
    home: Flags.string({helpGroup: GLOBAL, description: 'State directory: SQLite file, pidfile, logs (ORDERMON_HOME, default ./.ordermon).'}),
    'database-url': Flags.string({helpGroup: GLOBAL, description: 'mysql://user:pass@host:3306/db selects MySQL/MariaDB (ORDERMON_DATABASE_URL).'}),
    'redis-url': Flags.string({helpGroup: GLOBAL, description: 'redis://host:6379/0 (ORDERMON_REDIS_URL).'}),
    'config-dir': Flags.string({helpGroup: GLOBAL, description: 'Folder of YAML configuration files (default ./config).'}),
    actor: Flags.string({helpGroup: GLOBAL, description: 'Name recorded in the audit log (default: your OS user).'}),
    verbose: Flags.boolean({helpGroup: GLOBAL, description: 'Show stack traces of unexpected errors.'}),
    color: Flags.boolean({helpGroup: GLOBAL, allowNo: true, default: true, description: 'Colour output (--no-color or NO_COLOR to turn off).'}),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private engineHandle?: Engine
  private loadedConfig?: LoadedConfig

  public override async init(): Promise<void> {
    await super.init()
    if (process.env.NO_COLOR) chalk.level = 0
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    if (!this.flags.color) chalk.level = 0
  }

  /** Configuration with the command-line flags as the top layer (read once per command run). */
  protected config_(extra: Record<string, unknown> = {}): LoadedConfig {
    this.loadedConfig ??= this.reloadConfig(extra)
    return this.loadedConfig
  }

  /** The configuration read again from its sources, the flags on top (SIGHUP). */
  protected reloadConfig(extra: Record<string, unknown> = {}): LoadedConfig {
    return loadConfig({
      configDir: this.flags['config-dir'],
      overrides: {
        env: this.flags.env,
        home: this.flags.home,
        'database.url': this.flags['database-url'],
        'redis.url': this.flags['redis-url'],
        ...extra,
      },
    })
  }

  /** Opens the engine library once per command run; closed in finally(). */
  protected async engine(options: Omit<OpenEngineOptions, 'loaded'> = {}): Promise<Engine> {
    this.engineHandle ??= await openEngine({...options, loaded: this.config_()})
    return this.engineHandle
  }

  /** Runs `work`, with a spinner on a terminal from its first progress line until it ends (none with --json). */
  protected async withSpinner<T>(work: (onProgress: (text: string) => void) => Promise<T>): Promise<T> {
    if (this.jsonEnabled()) return work(() => {})
    // Loaded here: only the commands that wait on the engine draw one.
    const {spinner} = await import('./spinner.js')
    let spin: Spinner | undefined
    try {
      return await work((text) => (spin ? spin.update(text) : (spin = spinner(text))))
    } finally {
      spin?.stop()
    }
  }

  protected actor(): Actor {
    let name = this.flags.actor ?? process.env.ORDERMON_ACTOR
    if (!name) {
      try {
        name = userInfo().username
      } catch {
        name = 'unknown'
      }
    }
    if (name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) throw new OrdermonError('invalidInput', 'The actor name must be at most 100 characters, without control characters.')
    return {name: `cli:${name}`, source: 'cli'}
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const {code, kind, message, hint} = describeError(err)
    if (this.jsonEnabled()) {
      this.logJson({error: {code: kind, exit_code: code, message, hint: hint ?? null}})
    } else {
      const label = chalk.red('Error:')
      process.stderr.write(`${label} ${message}${hint ? ` ${chalk.dim(hint)}` : ''}\n`)
      if (code === ExitCode.internal && (this.flags?.verbose || /ordermon/.test(process.env.DEBUG ?? ''))) process.stderr.write(`${err.stack}\n`)
    }
    this.exit(code)
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    await this.engineHandle?.close().catch(() => {})
    return super.finally(err)
  }
}

interface Described {
  code: number
  kind: string
  message: string
  hint?: string
}

/** Maps anything thrown to what the user sees: one line, and an exit code documented in the README. */
export function describeError(err: Error & {oclif?: {exit?: number}; code?: string}): Described {
  if (isOrdermonError(err)) return {code: err.exitCode, kind: err.kind, message: err.message, hint: err.hint}
  // Driver errors from knex carry the whole SQL statement before " - "; the user needs only the reason.
  const raw = (err as {sqlMessage?: string}).sqlMessage ?? (err.message ?? String(err)).split(' - ').at(-1)!
  const line = raw.split('\n')[0]!.trim()
  const first = line.length > 300 ? `${line.slice(0, 300)}…` : line
  if (err instanceof Errors.CLIError || err.oclif?.exit === 2) {
    // oclif's parse errors span lines ("Parsing --limit\n\tExpected an integer..."): fold them into one.
    const folded = (err.message ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^See more help with/i.test(l) && !/^The following errors? occurred:?$/i.test(l))
      .join(': ')
      .replace(/^Error: /, '')
    return {code: ExitCode.invalidInput, kind: 'invalidInput', message: folded, hint: 'See --help for the flags.'}
  }
  const {failure} = classifyFailure(err)
  if (isConnectionFailure(failure))
    return {code: ExitCode.databaseUnavailable, kind: 'databaseUnavailable', message: `Lost the database connection: ${first}.`, hint: 'Check that the database is running; nothing was half-written.'}
  if (failure === 'no_schema') return {code: ExitCode.databaseUnavailable, kind: 'databaseUnavailable', message: 'The database has no ordermon schema.', hint: 'Run `ordermon init`.'}
  if (failure === 'redis_unavailable') return {code: ExitCode.redisUnavailable, kind: 'redisUnavailable', message: `Lost the Redis connection: ${first}.`, hint: 'Check that Redis is running, or unset ORDERMON_REDIS_URL.'}
  return {code: ExitCode.internal, kind: 'internal', message: `Unexpected error: ${first}`, hint: 'Run again with --verbose for the stack trace.'}
}

export {OrdermonError}
