import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {success} from '../cli/output.js'
import {isAlive, releasePidfile, runningPid} from '../engine/runtime/pidfile.js'

export interface StopResult {
  running: boolean
  pid?: number
  signal?: 'SIGTERM' | 'SIGKILL'
  waited_ms?: number
}

export async function stopEngine(home: string, timeoutS: number): Promise<StopResult> {
  const pid = runningPid(home)
  if (!pid) return {running: false}
  const t0 = Date.now()
  process.kill(pid, 'SIGTERM')
  while (Date.now() - t0 < timeoutS * 1000) {
    if (!isAlive(pid)) return {running: true, pid, signal: 'SIGTERM', waited_ms: Date.now() - t0}
    await new Promise((r) => setTimeout(r, 100))
  }
  process.kill(pid, 'SIGKILL')
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50))
  releasePidfile(home, pid)
  return {running: true, pid, signal: 'SIGKILL', waited_ms: Date.now() - t0}
}

export default class Stop extends BaseCommand<typeof Stop> {
  static override summary = 'Stop the engine: SIGTERM, wait for a graceful stop, then SIGKILL after --timeout.'
  static override examples = ['<%= config.bin %> stop', '<%= config.bin %> stop --timeout 30']

  static override flags = {
    timeout: Flags.integer({default: 15, min: 1, max: 3600, description: 'Seconds to wait for a graceful stop before SIGKILL.'}),
  }

  async run(): Promise<StopResult> {
    const r = await stopEngine(this.config_().paths.home, this.flags.timeout)
    if (!r.running) this.log('No engine is running.')
    else if (r.signal === 'SIGTERM') this.log(success(`Engine (pid ${r.pid}) stopped gracefully in ${(r.waited_ms! / 1000).toFixed(1)}s.`))
    else this.log(`Engine (pid ${r.pid}) did not stop within ${this.flags.timeout}s; killed it (SIGKILL). Unpublished events stay in the outbox and go out at the next start.`)
    return r
  }
}
