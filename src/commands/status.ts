import {BaseCommand} from '../cli/base-command.js'
import {renderRecord} from '../cli/output.js'
import {enginesTable} from '../cli/views/engines.js'
import {heading} from '../cli/output.js'
import {engineStatus, listEngines, sharesDatabase, type EngineState, type EngineSummary} from '../engine/index.js'

function uptime(since: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000))
  const h = Math.floor(s / 3600)
  return `${h ? `${h}h ` : ''}${Math.floor((s % 3600) / 60)}m ${s % 60}s`
}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Is the engine running? pid, uptime, version, backend, what it monitors, events/s, last scan.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<{running: boolean; state?: EngineState; engines?: EngineSummary[]}> {
    const {running, state} = await engineStatus(this.config_().paths.home)
    // Engines sharing the database (engine.sharing) are listed whichever of them runs here.
    const shared = sharesDatabase(this.config_().config) ? await listEngines(this.config_()) : undefined
    const showShared = () => shared && this.log(`\n${heading(`Engines on this database (${shared.length})`)}\n${enginesTable(shared)}`)
    if (!running || !state) {
      this.log(`Engine: not running here${state ? ` (last: ${state.status} at ${state.updated_at})` : ''}.`)
      showShared()
      return {running: false, ...(shared ? {engines: shared} : {})}
    }
    this.log(
      renderRecord([
        ['Engine', state.status],
        ['PID', state.pid],
        ['Instance', state.instance_id],
        ['Uptime', uptime(state.started_at)],
        ['Version', state.version],
        ['Backend', `${state.backend} (${state.database})`],
        ['Redis', state.redis ?? 'not configured (embedded mode)'],
        ['Users monitored', state.users],
        ['Strategies running', state.strategies],
        ['Open orders', state.open_orders],
        ['Events/s', state.events_per_s],
        ['Events total', state.events_total],
        ['Last scan', state.last_scan_at],
        ['Last error', state.last_error],
        ['Heartbeat', state.updated_at],
        ...(state.shards === null || state.shards === undefined ? [] : ([['Shards', `${state.shards}${state.leader ? ' (leader)' : ''}`]] as Array<[string, unknown]>)),
      ]),
    )
    showShared()
    return {running: true, state, ...(shared ? {engines: shared} : {})}
  }
}
