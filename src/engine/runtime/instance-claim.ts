import {hostname} from 'node:os'
import {conflict} from '../errors.js'
import type {EngineInstance, InstanceRow, Store} from '../store/index.js'
import {isAlive} from '../daemon/pidfile.js'

/** Engines running in this process (tests and the demo may run more than one). */
const ours = new Set<string>()

/** An engine row left by a crash on this host: its pid is gone, or is ours but not one of our engines (reused). */
export const goneHere = (i: EngineInstance) => i.hostname === hostname() && (i.pid === process.pid ? !ours.has(i.instance_id) : !isAlive(i.pid))

const describe = (i: EngineInstance) => `instance ${i.instance_id} on host ${i.hostname}, pid ${i.pid}, heartbeat ${((i.heartbeat_age_ms ?? 0) / 1000).toFixed(1)}s ago`

/** A sharing engine's heartbeat carries its shard count (0 while it starts); one running alone has none. */
const runsAlone = (i: EngineInstance) => typeof i.info.shards !== 'number'

/**
 * Claims the database for this engine, or refuses with the engine in the way named and what to do.
 * Alone (engine.sharing off): any live engine is in the way. Sharing: only one running alone is,
 * since both would handle every user. One lock serialises both, so engines starting at once cannot
 * both get in. A crashed engine on this host is recognised at once; one on another host once its
 * heartbeat is older than `ttlMs`.
 */
export async function claimDatabase(store: Store, row: InstanceRow, ttlMs: number, label: string, options: {sharing: boolean}): Promise<void> {
  const claimed = options.sharing ? {...row, info: {...row.info, shards: 0, leader: false}} : row
  const others = await store.transaction((tx) => tx.instances.claim(claimed, ttlMs, goneHere, options.sharing ? runsAlone : undefined))
  if (others.length === 0) {
    ours.add(row.instance_id)
    return
  }
  const live = others[0]!
  if (options.sharing)
    throw conflict(
      `An engine runs alone on ${label} (engine.sharing false): ${describe(live)}.`,
      `Stop it first (\`ordermon stop\` on ${live.hostname}), or give every engine on this database the same engine.sharing.`,
    )
  throw conflict(
    `Another engine is running on ${label}: ${describe(live)}.`,
    `Stop it first (\`ordermon stop\` on ${live.hostname}, with its ORDERMON_HOME), or use another database. If it crashed, its claim lapses ${Math.round(ttlMs / 1000)}s after its last heartbeat.`,
  )
}

/**
 * The id of an engine that claimed the database after this one started, if one is live: it was
 * let in because this engine's heartbeat looked dead, so this one is the one that must yield.
 */
export async function supersededBy(store: Store, instanceId: string, startedAt: Date, ttlMs: number): Promise<string | undefined> {
  const others = await store.instances.live(ttlMs, instanceId)
  return others.find((i) => Date.parse(i.started_at) > startedAt.getTime() && !goneHere(i))?.instance_id
}

/** This engine no longer runs (stopped or failed to start). */
export function releaseClaim(instanceId: string): void {
  ours.delete(instanceId)
}
