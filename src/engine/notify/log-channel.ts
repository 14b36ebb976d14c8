import type {Channel, Notification, NotifyLogger} from './types.js'

/**
 * The system log as a channel: always there, so an alert leaves a trace even when no other channel
 * is configured or all of them are down. Critical alerts are errors, warnings warnings; the rest,
 * and every resolution, info.
 */
export class LogChannel implements Channel {
  readonly name = 'log'

  constructor(private readonly logger: NotifyLogger) {}

  async send(n: Notification): Promise<void> {
    const meta = {
      notification: n.id,
      rule: n.rule,
      level: n.level,
      category: n.category,
      value: n.value,
      at: n.at,
      host: n.host,
      instance: n.instance,
      alert_message: n.message,
    }
    const line = `alert ${n.kind}: ${n.rule}: ${n.message}`
    if (n.kind === 'resolved' || n.level === 'info') this.logger.info(line, meta)
    else if (n.level === 'warning') this.logger.warn(line, meta)
    else this.logger.error(line, meta)
  }
}
