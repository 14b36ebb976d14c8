import type {LoadedConfig} from '../config/index.js'
import {notFound} from '../errors.js'
import {openDatabase, Store} from '../store/index.js'

export interface RemoteStopResult {
  /** Engines asked to stop (live when asked). */
  asked: string[]
  /** Of those, the ones whose row said stopped (or whose heartbeat ended) within the timeout. */
  stopped: string[]
  still_running: string[]
}

/**
 * `ordermon stop --all` / `--instance ID`: the stop is asked for through the database (each engine
 * reads it with its heartbeat and stops gracefully, handing its shards over), so engines on other
 * hosts are reached and no process is signalled that this host cannot verify as an engine.
 */
export async function requestStop(options: {loaded: LoadedConfig; instance?: string; timeoutS: number; onProgress?: (text: string) => void}): Promise<RemoteStopResult> {
  const {loaded} = options
  const db = await openDatabase(loaded)
  try {
    const store = Store.over(db)
    const ttl = loaded.config.engine.instance_ttl_ms
    const asked = await store.instances.requestStop(ttl, options.instance ? [options.instance] : undefined)
    if (options.instance && asked.length === 0) throw notFound(`No live engine ${options.instance} on this database.`, 'See `ordermon status` or `ordermon system status` for the live engines.')
    const deadline = Date.now() + options.timeoutS * 1000
    let running = asked
    while (running.length && Date.now() < deadline) {
      options.onProgress?.(`waiting for ${running.length} engine(s) to stop`)
      await new Promise((r) => setTimeout(r, 250))
      const live = new Set((await store.instances.live(ttl)).map((i) => i.instance_id))
      running = running.filter((id) => live.has(id))
    }
    return {asked, stopped: asked.filter((id) => !running.includes(id)), still_running: running}
  } finally {
    await db.close()
  }
}
