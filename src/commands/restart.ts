import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {stopEngine} from './stop.js'

export default class Restart extends BaseCommand<typeof Restart> {
  static override summary = 'Stop the engine if it runs, then start it again as a daemon.'
  static override examples = ['<%= config.bin %> restart']

  static override flags = {
    timeout: Flags.integer({default: 15, min: 1, description: 'Seconds to wait for the graceful stop.'}),
  }

  async run(): Promise<unknown> {
    const stopped = await stopEngine(this.config_().paths.home, this.flags.timeout)
    if (stopped.running) this.logToStderr(`Stopped pid ${stopped.pid} (${stopped.signal}).`)
    const passthrough = ['--daemon', ...['env', 'home', 'database-url', 'redis-url', 'config-dir'].flatMap((k) => (this.flags[k as 'home'] ? [`--${k}`, String(this.flags[k as 'home'])] : []))]
    return this.config.runCommand('start', passthrough)
  }
}
