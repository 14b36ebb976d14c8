import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {success} from '../cli/output.js'
import {eventLine} from '../cli/views/events.js'
import {checkApiConfig, isDaemonChild, runEngine, startDaemon, type DaemonSettings, type EngineState, type StartResult} from '../engine/index.js'

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
    // With server.enabled the API comes up beside the engine; refuse now, before any detaching.
    const api = loaded.config.server.enabled
    if (api) checkApiConfig(loaded.config)
    if (this.flags.daemon) {
      const r = await this.withSpinner((onProgress) => startDaemon({loaded, settings: this.flags as DaemonSettings, timeoutS: this.flags.timeout, onProgress}))
      const s = r.state
      this.log(success(`Engine running in the background (pid ${r.pid}): ${s.users} users, ${s.strategies} strategies, ${s.open_orders} open orders. Logs: ${loaded.paths.logDir}`))
      return r
    }
    const quiet = this.flags.quiet || isDaemonChild() || this.jsonEnabled()
    return runEngine({
      loaded,
      version: this.config.version,
      onEvent: quiet ? undefined : (e) => e.type !== 'system.metrics' && this.log(eventLine(e)),
      notice: (line, warning) => (warning || !quiet) && this.logToStderr(line),
      // SIGHUP reads the same sources again, with the same flags on top.
      reloadConfig: () => this.reloadConfig(this.overrides()),
      // The HTTP server loads only when it is wanted.
      alongside: api
        ? async () => {
            const {serveApi} = await import('../api/serve.js')
            const running = await serveApi({loaded, version: this.config.version})
            return {line: `REST API on ${running.url} (OpenAPI: ${running.url}/openapi.json).`, close: running.close}
          }
        : undefined,
    })
  }
}
