import type {PanelModel} from './model.js'
import type {FeedStatus} from './feed.js'

/** The panel's data as plain JSON, for `monitor real-time --once --json` and scripts. */
export function panelSnapshot(model: PanelModel, status: FeedStatus) {
  const byStatus = (xs: Iterable<{status: string}>) => {
    const out: Record<string, number> = {}
    for (const x of xs) out[x.status] = (out[x.status] ?? 0) + 1
    return out
  }
  return {
    at: new Date().toISOString(),
    feed: status,
    engine: model.engine,
    metrics: model.metrics ?? null,
    users: byStatus(model.users.values()),
    strategies: byStatus(model.strategies.values()),
    orders: byStatus(model.orders.values()),
    recent_activity: model.activity.slice(0, 20),
    alerts: model.alerts,
  }
}
