import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {success} from '../cli/output.js'
import {describeStop} from '../cli/views/daemon.js'
import {startDaemon, stopDaemon, type DaemonSettings, type StartResult, type StopResult} from '../engine/index.js'

export default class Restart extends BaseCommand<typeof Restart> {
  static override summary = 'Stop the engine if it runs, then start it again as a daemon.'
  static override examples = ['<%= config.bin %> restart', '<%= config.bin %> restart --json']

  static override flags = {
    timeout: Flags.integer({default: 15, min: 1, description: 'Seconds to wait for the graceful stop.'}),
    'start-timeout': Flags.integer({default: 30, min: 1, description: 'Seconds to wait for the new engine to report healthy.'}),
  }

  async run(): Promise<{stopped: StopResult; started: StartResult}> {
    const loaded = this.config_()
    const stopped = await this.withSpinner((onProgress) => stopDaemon(loaded.paths.home, this.flags.timeout, {onProgress}))
    if (stopped.running || stopped.not_ours) this.logToStderr(describeStop(stopped, this.flags.timeout))
    // startDaemon refuses if something started an engine on this home meanwhile.
    const started = await this.withSpinner((onProgress) => startDaemon({loaded, settings: this.flags as DaemonSettings, timeoutS: this.flags['start-timeout'], onProgress}))
    const s = started.state
    this.log(success(`Engine running in the background (pid ${started.pid}): ${s.users} users, ${s.strategies} strategies, ${s.open_orders} open orders. Logs: ${loaded.paths.logDir}`))
    return {stopped, started}
  }
}
