import chalk from 'chalk'
import type {panelSnapshot} from '../../tui/snapshot.js'
import {colorStatus, heading, renderRecord, renderTable} from '../output.js'

/** What `monitor real-time --once` prints with --json; rendered here for people. */
export type PanelSnapshot = ReturnType<typeof panelSnapshot>

/** How many activity lines the human view shows (the JSON keeps the panel's twenty). */
const ACTIVITY_LINES = 10

const time = (iso: string | undefined) => (iso ? iso.slice(0, 19).replace('T', ' ') : undefined)
const ms = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)} ms`)

function uptime(startedAt: string | undefined, now: string): string | undefined {
  if (!startedAt) return undefined
  let s = Math.max(0, Math.round((Date.parse(now) - Date.parse(startedAt)) / 1000))
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ')
}

const engineColor: Record<string, (s: string) => string> = {running: chalk.green, degraded: chalk.yellow, down: chalk.red}
const connectionColor: Record<string, (s: string) => string> = {live: chalk.green, connecting: chalk.cyan, reconnecting: chalk.yellow}

/** The one-shot panel for a terminal or a pipe: small records and tables under headings. */
export function renderPanelSnapshot(snap: PanelSnapshot): string {
  const out: string[] = []
  const section = (title: string, body: string) => out.push(heading(title), body, '')

  const e = snap.engine
  section(
    'Engine',
    renderRecord([
      ['Status', (engineColor[e.status] ?? ((x: string) => x))(e.status)],
      ['Instance', e.instance],
      ['Started', time(e.started_at)],
      ['Uptime', uptime(e.started_at, snap.at)],
      ['Last heartbeat', time(e.heartbeat_at)],
      ['Snapshot at', time(snap.at)],
    ]),
  )

  const f = snap.feed
  section(
    'Connection',
    renderRecord([
      ['Feed', (connectionColor[f.connection] ?? ((x: string) => x))(f.connection)],
      ['Source', f.source === 'redis' ? 'Redis pub/sub' : 'database outbox'],
      ['Target', f.target],
      ...(f.error ? ([['Error', f.error]] as Array<[string, unknown]>) : []),
    ]),
  )

  const m = snap.metrics
  if (m) {
    const b = m.business
    section(
      'Business metrics',
      renderRecord([
        ['Active users', b.active_users],
        ['Running strategies', b.running_strategies],
        ['Open orders', b.open_orders],
        ['Fills today', b.fills_today],
        ['Transitions/s', b.tps],
        ['Events/s', b.events_per_s],
        ['Latency avg / p99', `${ms(b.avg_latency_ms)} / ${ms(b.p99_latency_ms)}`],
      ]),
    )
    const s = m.system
    section(
      'System metrics',
      renderRecord([
        ['CPU', `${s.cpu_pct.toFixed(1)}%`],
        ['Memory', `${s.memory_pct.toFixed(1)}% (${Math.round(s.memory_used_mb)} of ${Math.round(s.memory_total_mb)} MB)`],
        ['Disk I/O', `read ${s.disk_read_kb_s.toFixed(0)} KB/s, write ${s.disk_write_kb_s.toFixed(0)} KB/s`],
        ['Network I/O', `in ${s.net_rx_kb_s.toFixed(0)} KB/s, out ${s.net_tx_kb_s.toFixed(0)} KB/s`],
        ['Engine memory', `${Math.round(m.process.rss_mb)} MB`],
      ]),
    )
  } else {
    section('Business metrics', 'No metrics yet: the engine publishes them every second while it runs (`ordermon start`).')
  }

  const counts: Array<{kind: string; status: string; count: number}> = []
  for (const [kind, byStatus] of [
    ['users', snap.users],
    ['strategies', snap.strategies],
    ['orders', snap.orders],
  ] as const) {
    const entries = Object.entries(byStatus).sort(([a], [b]) => a.localeCompare(b))
    if (entries.length === 0) counts.push({kind, status: '-', count: 0})
    for (const [status, count] of entries) counts.push({kind, status, count})
  }
  section(
    'Counts by status',
    renderTable(
      [
        {header: 'Kind', get: (r) => r.kind},
        {header: 'Status', get: (r) => r.status, color: (t) => colorStatus(t)},
        {header: 'Count', get: (r) => r.count},
      ],
      counts,
    ),
  )

  const activity = snap.recent_activity.slice(0, ACTIVITY_LINES)
  section(
    'Recent activity',
    activity.length === 0
      ? 'No activity yet.'
      : renderTable(
          [
            {header: 'At', get: (a) => time(a.at)},
            {header: 'Type', get: (a) => a.type},
            {header: 'Source', get: (a) => a.source},
            {header: 'What', get: (a) => a.text},
          ],
          activity,
        ),
  )

  if (snap.alerts.length > 0) {
    section(
      'Alerts',
      renderTable(
        [
          {header: 'At', get: (a) => time(a.at)},
          {header: 'Level', get: (a) => a.level, color: (t) => (t === 'critical' || t === 'error' ? chalk.red(t) : t === 'warning' ? chalk.yellow(t) : t)},
          {header: 'Category', get: (a) => a.category},
          {header: 'Message', get: (a) => a.message},
        ],
        snap.alerts,
      ),
    )
  }
  return out.join('\n').trimEnd()
}
