import type {Logger} from '../logging/logger.js'
import type {MetricsSnapshot} from '../metrics/snapshot.js'
import type {InstanceRow, Store} from '../store/index.js'
import {supersededBy} from './instance-claim.js'
import {writeState, type EngineState} from '../daemon/pidfile.js'

export interface HeartbeatOptions {
  store: Store
  home: string
  logger: Logger
  startedAt: Date
  /** This engine's engine_instances row with the given status. */
  row(status: string): InstanceRow
  /** The engine's state as engine.json shows it. */
  status(): EngineState
  latestMetrics(): MetricsSnapshot | undefined
  ttlMs(): number
  /** Another engine claimed the database while this one looked dead: called once. */
  onSuperseded(by: string): void
  /** Engines sharing the database by shard leases: a newer engine is a peer, not a takeover. */
  shared?(): boolean
  /** `ordermon stop --all` / `--instance` asked this engine to stop: called once. */
  onStopRequested?(): void
}

/**
 * The engine's vital signs, every heartbeat_ms: engine.json for commands on this machine, the
 * engine_instances row (with the latest metrics, which a panel without Redis shows) for everyone
 * else, and a look for an engine that claimed the database while this one was frozen or cut off, in
 * which case this one must yield. A failure of a loop since the last beat shows as `degraded`.
 */
export class Heartbeat {
  private lastError: string | null = null
  private superseded = false
  private stopAsked = false

  constructor(private readonly options: HeartbeatOptions) {}

  /** The last failure since the previous beat, for status(); cleared by each beat that succeeds. */
  get error(): string | null {
    return this.lastError
  }

  /** A loop failed: the next beat reports degraded. */
  report(error: string): void {
    this.lastError = error
  }

  async beat(): Promise<void> {
    const options = this.options
    const store = options.store
    // A failure reported while this beat awaits the database is the next beat's news, not cleared.
    const reported = this.lastError
    this.write(reported ? 'degraded' : 'running')
    const s = options.status()
    await store.instances.heartbeat({
      ...options.row('running'),
      info: {users: s.users, strategies: s.strategies, open_orders: s.open_orders, events_per_s: s.events_per_s, ...(s.shards === null || s.shards === undefined ? {} : {shards: s.shards, leader: Boolean(s.leader)}), last_error: this.lastError, metrics: options.latestMetrics() ?? null},
    })
    // Engines sharing the database by shard leases are expected beside each other.
    const newer = options.shared?.() ? undefined : await supersededBy(store, options.row('running').instance_id, options.startedAt, options.ttlMs())
    if (newer && !this.superseded) {
      this.superseded = true
      options.logger.error('another engine claimed this database; stopping', {instance: options.row('running').instance_id, by: newer})
      options.onSuperseded(newer)
    }
    if (options.onStopRequested && !this.stopAsked && (await store.instances.stopRequested(options.row('running').instance_id))) {
      this.stopAsked = true
      options.logger.info('stop requested through the database', {instance: options.row('running').instance_id})
      options.onStopRequested()
    }
    if (this.lastError === reported) this.lastError = null
  }

  /** The last beat: the row says stopped, so nobody waits for its heartbeat to age. */
  async stopped(): Promise<void> {
    await this.options.store.instances.heartbeat({...this.options.row('stopped'), info: {}}).catch(() => {})
  }

  /** engine.json; a state file that cannot be written is logged, never fatal. */
  write(status: EngineState['status']): void {
    try {
      writeState(this.options.home, {...this.options.status(), status})
    } catch (error) {
      this.options.logger.warn('cannot write engine state', {error: String(error)})
    }
  }
}
