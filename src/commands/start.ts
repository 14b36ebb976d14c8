import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {spawnDaemon, type DaemonSettings, type StartResult} from '../cli/daemon.js'
import {success} from '../cli/output.js'
import {eventLine} from '../cli/views/events.js'
import {loadConfig} from '../engine/config/index.js'
import {OrdermonError} from '../engine/errors.js'
import {runningPid, type EngineState} from '../engine/runtime/pidfile.js'

export default class Start extends BaseCommand<typeof Start> {
  static override summary = 'Run the monitoring engine: in the foreground, or detached with --daemon.'
  static override description = `In the foreground it prints one line per event; Ctrl-C (or SIGTERM) stops it gracefully. With --daemon it detaches, writes $ORDERMON_HOME/ordermon.pid, sends its own output to logs/daemon.log, and returns once the engine is healthy. Its settings (--database-url ...) reach it through its environment, not its command line.`
  static override examples = ['<%= config.bin %> start', '<%= config.bin %> start --daemon', '<%= config.bin %> start --market replay --replay-file ticks.csv --venue external']

  static override flags = {
    daemon: Flags.boolean({char: 'd', description: 'Detach and run in the background.'}),
    market: Flags.string({options: ['sim', 'replay', 'redis'], description: 'Market data source (engine.market).'}),
    'replay-file': Flags.string({description: 'CSV of ticks for --market replay.'}),
    venue: Flags.string({options: ['paper', 'external'], description: 'Execution venue (engine.venue).'}),
    seed: Flags.integer({description: 'Seed of the sim market (engine.market_seed).'}),
    quiet: Flags.boolean({char: 'q', description: 'Foreground: do not print events.'}),
    timeout: Flags.integer({default: 30, min: 1, description: 'With --daemon: seconds to wait for the engine to report healthy.'}),
  }

  private overrides(): Record<string, unknown> {
    const f = this.flags
    return {'engine.market': f.market, 'engine.replay_file': f['replay-file'], 'engine.venue': f.venue, 'engine.market_seed': f.seed}
  }

  async run(): Promise<EngineState | StartResult> {
    const loaded = this.config_(this.overrides())
    const home = loaded.paths.home
    const other = runningPid(home)
    if (other) throw new OrdermonError('conflict', `An engine is already running on ${home} (pid ${other}).`, {hint: 'See `ordermon status`; stop it with `ordermon stop`.'})
    if (this.flags.daemon) {
      const r = await spawnDaemon({home, logDir: loaded.paths.logDir, settings: this.flags as DaemonSettings, timeoutS: this.flags.timeout, progress: !this.jsonEnabled()})
      const s = r.state
      this.log(success(`Engine running in the background (pid ${r.pid}): ${s.users} users, ${s.strategies} strategies, ${s.open_orders} open orders. Logs: ${loaded.paths.logDir}`))
      return r
    }

    const {MonitoringEngine} = await import('../engine/runtime/engine.js')
    const quiet = this.flags.quiet || process.env.ORDERMON_DAEMON_CHILD === '1' || this.jsonEnabled()
    let yieldTo: string | undefined
    // Signals are taken from before the engine starts: a SIGTERM during start-up (a supervisor, a
    // test) stops it gracefully once it is up, instead of killing it half-started.
    let requested: string | undefined
    let stopNow: (reason: string) => void = (reason) => void (requested ??= reason)
    const engine = new MonitoringEngine({
      loaded,
      version: this.config.version,
      pidfile: true,
      onEvent: quiet ? undefined : (e) => e.type !== 'system.metrics' && this.log(eventLine(e)),
      // Another engine claimed the database while this one was unresponsive: it must stop trading.
      onSuperseded: (by) => {
        yieldTo = by
        stopNow('superseded')
      },
    })
    process.once('SIGINT', () => stopNow('SIGINT'))
    process.once('SIGTERM', () => stopNow('SIGTERM'))
    await engine.start()
    const s = engine.status()
    if (!quiet) this.logToStderr(`Engine ${s.instance_id} running on ${s.database}${s.redis ? ` + ${s.redis}` : ''}: ${s.users} users, ${s.strategies} strategies, ${s.open_orders} open orders. Ctrl-C to stop.`)
    await new Promise<void>((resolve) => {
      stopNow = (reason: string) => {
        if (!quiet) this.logToStderr(`\n${reason}: stopping (finishing in-flight work, flushing the outbox)...`)
        // A second signal while stopping means "now".
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
        engine.stop().then(resolve, resolve)
      }
      if (requested) stopNow(requested)
      process.on('SIGHUP', () => {
        try {
          const changed = engine.reload(loadConfig({configDir: this.flags['config-dir'], overrides: {env: this.flags.env, home: this.flags.home, 'database.url': this.flags['database-url'], 'redis.url': this.flags['redis-url'], ...this.overrides()}}))
          if (!quiet) this.logToStderr(`SIGHUP: configuration reloaded${changed.length ? ` (${changed.join(', ')} changed)` : ', nothing changed'}.`)
        } catch (error) {
          this.logToStderr(`SIGHUP: configuration not reloaded: ${(error as Error).message}`)
        }
      })
    })
    const final = engine.status()
    if (yieldTo) throw new OrdermonError('conflict', `This engine stopped: engine ${yieldTo} claimed the database while this one was not answering.`, {hint: 'Run one engine per database; see `ordermon status` and the system log.'})
    if (!quiet) this.logToStderr(`Stopped after ${final.events_total} events.`)
    return final
  }
}
