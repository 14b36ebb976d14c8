import type {EventMessage} from '../bus/channels.js'
import type {LoadedConfig} from '../config/index.js'
import {OrdermonError} from '../errors.js'
import type {EngineState} from './pidfile.js'

export interface RunEngineOptions {
  loaded: LoadedConfig
  version: string
  /** Every event, for a console view; omit to run quietly. */
  onEvent?: (event: EventMessage) => void
  /** Lines for the operator (running, stopping, reloaded); `warning` marks one a quiet run still shows. */
  notice?: (line: string, warning?: boolean) => void
  /** SIGHUP: the configuration read again, from the same sources (throws if it is invalid). */
  reloadConfig: () => LoadedConfig
  /**
   * Something served beside the engine (the REST API when server.enabled): started once the engine
   * runs, closed before it stops, so no request reaches a stopping engine. Kept abstract here so the
   * engine does not depend on the HTTP framework.
   */
  alongside?: () => Promise<Sidecar>
}

/** A service running beside the engine in the same process. */
export interface Sidecar {
  /** The notice line once it is up (e.g. the API's URL). */
  line: string
  close(): Promise<void>
}

/** An engine running in this process, for callers that drive it themselves (the demo, tests). */
export interface RunningEngine {
  status(): EngineState
  stop(): Promise<void>
}

/** Starts an engine in this process without a pidfile or signal handling (the demo). */
export async function startEngineHere(options: {loaded: LoadedConfig; version: string}): Promise<RunningEngine> {
  // The runtime loads here only: quick commands never pay for it.
  const {MonitoringEngine} = await import('../runtime/engine.js')
  const engine = new MonitoringEngine(options)
  await engine.start()
  return engine
}

/**
 * `ordermon start` in the foreground (and as the daemon's child): claims the home with a pidfile,
 * runs until SIGINT/SIGTERM and then stops gracefully; SIGHUP reloads the configuration. A signal
 * that arrives during start-up is kept and acted on once the engine runs, so a supervisor's stop is
 * never a kill of a half-started engine; a second signal while stopping exits at once (130).
 * Resolves with the final state; throws a conflict if another engine claimed the database meanwhile.
 */
export async function runEngine(options: RunEngineOptions): Promise<EngineState> {
  const {MonitoringEngine} = await import('../runtime/engine.js')
  const notice = options.notice ?? (() => {})
  let yieldTo: string | undefined
  let requested: string | undefined
  let stopNow: (reason: string) => void = (reason) => void (requested ??= reason)
  const engine = new MonitoringEngine({
    loaded: options.loaded,
    version: options.version,
    pidfile: true,
    onEvent: options.onEvent,
    // Another engine claimed the database while this one was unresponsive: it must stop trading.
    onSuperseded: (by) => {
      yieldTo = by
      stopNow('superseded')
    },
    onStopRequested: () => stopNow('stop requested (ordermon stop --all/--instance)'),
  })
  const onSignal = (signal: string) => () => stopNow(signal)
  process.once('SIGINT', onSignal('SIGINT'))
  process.once('SIGTERM', onSignal('SIGTERM'))
  await engine.start()
  let sidecar: Sidecar | undefined
  try {
    sidecar = options.alongside ? await options.alongside() : undefined
  } catch (error) {
    await engine.stop()
    throw error
  }
  const s = engine.status()
  notice(`Engine ${s.instance_id} running on ${s.database}${s.redis ? ` + ${s.redis}` : ''}: ${s.users} users, ${s.strategies} strategies, ${s.open_orders} open orders. Ctrl-C to stop.`)
  if (sidecar) notice(sidecar.line)
  const onHup = () => {
    try {
      const changed = engine.reload(options.reloadConfig())
      notice(`SIGHUP: configuration reloaded${changed.length ? ` (${changed.join(', ')} changed)` : ', nothing changed'}.`)
    } catch (error) {
      notice(`SIGHUP: configuration not reloaded: ${(error as Error).message}`, true)
    }
  }
  process.on('SIGHUP', onHup)
  await new Promise<void>((resolve) => {
    stopNow = (reason: string) => {
      notice(`\n${reason}: stopping (finishing in-flight work, flushing the outbox)...`)
      // A second signal while stopping means "now".
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
      const closing = sidecar ? sidecar.close().catch((error: unknown) => notice(`API did not close cleanly: ${String(error)}`, true)) : Promise.resolve()
      closing.then(() => engine.stop()).then(resolve, resolve)
    }
    if (requested) stopNow(requested)
  })
  process.off('SIGHUP', onHup)
  const final = engine.status()
  if (yieldTo) throw new OrdermonError('conflict', `This engine stopped: engine ${yieldTo} claimed the database while this one was not answering.`, {hint: 'Run one engine per database; see `ordermon status` and the system log.'})
  notice(`Stopped after ${final.events_total} events.`)
  return final
}
