import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {describeStop, spawnDaemon, stopEngine, type DaemonSettings, type StartResult, type StopResult} from '../cli/daemon.js'
import {success} from '../cli/output.js'
import {OrdermonError} from '../engine/errors.js'
import {runningPid} from '../engine/runtime/pidfile.js'

export default class Restart extends BaseCommand<typeof Restart> {
  static override summary = 'Stop the engine if it runs, then start it again as a daemon.'
  static override examples = ['<%= config.bin %> restart', '<%= config.bin %> restart --json']

  static override flags = {
    timeout: Flags.integer({default: 15, min: 1, description: 'Seconds to wait for the graceful stop.'}),
    'start-timeout': Flags.integer({default: 30, min: 1, description: 'Seconds to wait for the new engine to report healthy.'}),
  }

  async run(): Promise<{stopped: StopResult; started: StartResult}> {
    const loaded = this.config_()
    const home = loaded.paths.home
    const progress = !this.jsonEnabled()
    const stopped = await stopEngine(home, this.flags.timeout, {progress})
    if (stopped.running || stopped.not_ours) this.logToStderr(describeStop(stopped, this.flags.timeout))
    // Something started an engine on this home meanwhile: do not start a second one.
    const other = runningPid(home)
    if (other) throw new OrdermonError('conflict', `An engine is already running on ${home} (pid ${other}).`, {hint: 'See `ordermon status`.'})
    const started = await spawnDaemon({home, logDir: loaded.paths.logDir, settings: this.flags as DaemonSettings, timeoutS: this.flags['start-timeout'], progress})
    const s = started.state
    this.log(success(`Engine running in the background (pid ${started.pid}): ${s.users} users, ${s.strategies} strategies, ${s.open_orders} open orders. Logs: ${loaded.paths.logDir}`))
    return {stopped, started}
  }
}
