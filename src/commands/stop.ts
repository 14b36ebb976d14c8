import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {success} from '../cli/output.js'
import {describeStop} from '../cli/views/daemon.js'
import {stopDaemon, type StopResult} from '../engine/index.js'

export default class Stop extends BaseCommand<typeof Stop> {
  static override summary = 'Stop the engine: SIGTERM, wait for a graceful stop, then SIGKILL after --timeout.'
  static override description = 'Only a process verified as this home\'s engine (command line, start time) is signalled; a pidfile naming anything else is removed as stale.'
  static override examples = ['<%= config.bin %> stop', '<%= config.bin %> stop --timeout 30']

  static override flags = {
    timeout: Flags.integer({default: 15, min: 1, max: 3600, description: 'Seconds to wait for a graceful stop before SIGKILL.'}),
  }

  async run(): Promise<StopResult> {
    const r = await this.withSpinner((onProgress) => stopDaemon(this.config_().paths.home, this.flags.timeout, {onProgress}))
    const line = describeStop(r, this.flags.timeout)
    this.log(r.signal === 'SIGTERM' ? success(line) : line)
    return r
  }
}
