import type {EngineSummary} from '../../engine/index.js'
import {renderTable} from '../output.js'

/** The live engines on the database, one row each: what `status` and `system status` show when several share it. */
export function enginesTable(engines: EngineSummary[]): string {
  return renderTable<EngineSummary>(
    [
      {header: 'Instance', get: (e) => e.instance_id},
      {header: 'Host', get: (e) => e.hostname},
      {header: 'PID', get: (e) => e.pid},
      {header: 'Status', get: (e) => (e.leader ? `${e.status} (leader)` : e.status)},
      {header: 'Shards', get: (e) => e.shards},
      {header: 'Users', get: (e) => e.users},
      {header: 'Strategies', get: (e) => e.strategies},
      {header: 'Open orders', get: (e) => e.open_orders},
      {header: 'Heartbeat', get: (e) => (e.heartbeat_age_s === null ? null : `${e.heartbeat_age_s}s ago`)},
    ],
    engines,
  )
}
