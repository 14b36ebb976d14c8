import {hostname} from 'node:os'
import type {LoadedConfig, OrdermonConfig} from '../config/index.js'
import {AlertEvaluator, type AlertTransition} from '../domain/alerts/evaluator.js'
import type {Inputs} from '../domain/alerts/expression.js'
import {loadAlertRules, type AlertRule} from '../domain/alerts/rules.js'
import type {ChangeSource} from '../domain/statuses.js'
import {classifyFailure, isConnectionFailure, isOrdermonError, invalidInput} from '../errors.js'
import {openChannels} from '../notify/channels.js'
import type {Channel} from '../notify/types.js'
import type {Store} from '../store/index.js'
import {Notifier} from './notifier.js'
import {AlertService} from './service.js'

type Logger = {info(m: string, meta?: object): void; warn(m: string, meta?: object): void; error(m: string, meta?: object): void}

export interface AlertMonitorOptions {
  loaded: LoadedConfig
  store: Store
  logger: Logger
  version: string
  /** engine: the rules about the engine's own metrics; watcher: the dead-man and liveness rules. */
  role: 'engine' | 'watcher'
  raisedBy: string
  source: ChangeSource
  /** One-shot checks resolve at the first sample that no longer holds (they have no next sample). */
  clearForMs?: number
}

/**
 * The alert rules of the configuration, with the file they came from named in the error: a bad rule
 * stops whoever loads them (the engine at start, a watcher) with its name, position and expectation.
 */
export function rulesOf(loaded: LoadedConfig): AlertRule[] {
  try {
    return loadAlertRules(loaded.config.notification.alerts)
  } catch (error) {
    if (!isOrdermonError(error)) throw error
    const origin = loaded.sources.get('notification.alerts')?.origin
    throw invalidInput(`Invalid alert rules${origin && origin !== 'default' ? ` in ${origin}` : ''}: ${error.message}`, error.hint)
  }
}

const ownedBy = (role: 'engine' | 'watcher') => (r: AlertRule) => (role === 'watcher' ? r.watcher : !r.watcher)

/**
 * Alerting for one process: its share of the rules evaluated on each set of inputs, transitions
 * recorded and notified. The engine holds one (role engine, evaluated after each metrics sample);
 * `monitor alerts --watch` and `system check-alerts` hold one with role watcher, so a dead engine
 * is still reported.
 */
export class AlertMonitor {
  private constructor(
    private options: AlertMonitorOptions,
    private readonly evaluator: AlertEvaluator,
    private readonly service: AlertService,
    readonly notifier: Notifier,
    private channels: Map<string, Channel>,
    private rules: AlertRule[],
  ) {}

  static async open(options: AlertMonitorOptions): Promise<AlertMonitor> {
    const rules = rulesOf(options.loaded).filter(ownedBy(options.role))
    const channels = openChannels(options.loaded.config.notification, {logger: options.logger, version: options.version, host: hostname()})
    const notifier = new Notifier({channels, alerts: options.store.alerts, logger: options.logger, timeoutMs: timeoutOf(options.loaded.config)})
    const holder: {monitor?: AlertMonitor} = {}
    const service = new AlertService({
      store: options.store,
      notifier,
      channels: () => [...(holder.monitor?.channels ?? channels).keys()],
      defaultRecipients: () => ((holder.monitor?.options.loaded ?? options.loaded).config.notification.recipients ?? []).map(String),
      raisedBy: options.raisedBy,
      host: hostname(),
      source: options.source,
      logger: options.logger,
    })
    const evaluator = new AlertEvaluator(rules, options.clearForMs === undefined ? undefined : {clearForMs: options.clearForMs})
    const monitor = (holder.monitor = new AlertMonitor(options, evaluator, service, notifier, channels, rules))
    try {
      await service.adopt(evaluator, rules)
      if (options.role === 'engine') {
        const live = (await options.store.instances.live(options.loaded.config.engine.instance_ttl_ms)).map((i) => i.instance_id)
        const adopted = await service.adoptOrphans(live)
        if (adopted) options.logger.info('pending notifications of a stopped process taken over', {notifications: adopted})
      }
    } catch (error) {
      // A database that is down is no reason not to watch: alerts raised now are notified at once
      // and recorded once it answers (and an alert that was open is then found open, not doubled).
      if (!isConnectionFailure(classifyFailure(error).failure)) throw error
      options.logger.warn('open alerts not read: the database does not answer', {error: String(error)})
    }
    return monitor
  }

  get ruleNames(): string[] {
    return this.rules.map((r) => r.name)
  }

  /** Evaluates the rules on `inputs`; what changed is recorded and queued for notification. */
  async check(inputs: Inputs, now = new Date()): Promise<AlertTransition[]> {
    const transitions = this.evaluator.evaluate(inputs, now)
    await this.service.apply(transitions, this.evaluator)
    return transitions
  }

  /** Sends the notifications that are due (the caller's own loop: never the sampling loop). */
  async deliver(now = Date.now()): Promise<number> {
    return this.notifier.run(now)
  }

  /** An operator acknowledged this rule's alert elsewhere: no more reminders for this firing. */
  acknowledged(rule: string): void {
    this.evaluator.acknowledge(rule)
  }

  /** SIGHUP: new rules (state kept for unchanged ones) and channels; an invalid rule set is refused. */
  reload(loaded: LoadedConfig): void {
    // Both checked before either is applied: a bad rule or channel refuses the whole reload.
    const rules = rulesOf(loaded).filter(ownedBy(this.options.role))
    const channels = openChannels(loaded.config.notification, {logger: this.options.logger, version: this.options.version, host: hostname()})
    const dropped = this.evaluator.setRules(rules)
    void this.service.closeDropped(dropped)
    this.options = {...this.options, loaded}
    this.rules = rules
    const old = this.channels
    this.channels = channels
    this.notifier.setChannels(channels)
    for (const c of old.values()) void c.close?.()
  }

  stats(): {rules: number; firing: {rule: string; level: string}[]; raised_total: number; sent_total: number; failed_total: number; queued: number} {
    const levels = new Map(this.rules.map((r) => [r.name, r.level]))
    return {
      rules: this.rules.length,
      firing: this.evaluator.firing().map((f) => ({rule: f.rule, level: levels.get(f.rule) ?? 'warning'})),
      raised_total: this.service.raisedTotal,
      sent_total: this.notifier.sentTotal,
      failed_total: this.notifier.failedTotal,
      queued: this.notifier.pending,
    }
  }

  /** Last attempt at what is queued (bounded by the channel timeout), then the channels closed. */
  async close(): Promise<void> {
    await this.notifier.flush()
    await Promise.all([...this.channels.values()].map((c) => c.close?.().catch(() => {})))
  }
}

function timeoutOf(c: OrdermonConfig): number {
  return Math.max(c.notification.email?.timeout_ms ?? 10_000, c.notification.webhook?.timeout_ms ?? 5_000) + 1000
}
