import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {success} from '../cli/output.js'
import {describeStop} from '../cli/views/daemon.js'
import {OrdermonError, requestEngineStop, stopDaemon, type RemoteStopResult, type StopResult} from '../engine/index.js'

export default class Stop extends BaseCommand<typeof Stop> {
  static override summary = 'Stop the engine: SIGTERM, wait for a graceful stop, then SIGKILL after --timeout.'
  static override description = `Only a process verified as this home's engine (command line, start time) is signalled; a pidfile naming anything else is removed as stale.

With --all or --instance ID the stop is asked for through the database instead: every live engine on it (or the one named), on any host, reads the request with its heartbeat and stops gracefully, handing its shards to the others. Nothing is signalled.`
  static override examples = ['<%= config.bin %> stop', '<%= config.bin %> stop --timeout 30', '<%= config.bin %> stop --all', '<%= config.bin %> stop --instance host-a-4242-9f1c2e']

  static override flags = {
    timeout: Flags.integer({default: 15, min: 1, max: 3600, description: 'Seconds to wait for a graceful stop (then SIGKILL, for this home\'s engine).'}),
    all: Flags.boolean({description: 'Ask every live engine on the database to stop.', exclusive: ['instance']}),
    instance: Flags.string({description: 'Ask the live engine with this instance id to stop (see `ordermon status`).', exclusive: ['all']}),
  }

  async run(): Promise<StopResult | RemoteStopResult> {
    if (this.flags.all || this.flags.instance !== undefined) {
      const r = await this.withSpinner((onProgress) => requestEngineStop({loaded: this.config_(), instance: this.flags.instance?.trim() || undefined, timeoutS: this.flags.timeout, onProgress}))
      if (r.asked.length === 0) this.log('No engine is running on this database.')
      else if (r.still_running.length === 0) this.log(success(`Stopped ${r.stopped.length} engine(s): ${r.stopped.join(', ')}.`))
      else throw new OrdermonError('conflict', `Asked ${r.asked.length} engine(s) to stop; still running after ${this.flags.timeout}s: ${r.still_running.join(', ')}.`, {hint: 'They stop once in-flight work is done; check again with `ordermon status`, or raise --timeout.'})
      return r
    }
    const r = await this.withSpinner((onProgress) => stopDaemon(this.config_().paths.home, this.flags.timeout, {onProgress}))
    const line = describeStop(r, this.flags.timeout)
    this.log(r.signal === 'SIGTERM' ? success(line) : line)
    return r
  }
}
