import {afterEach, describe, expect, it} from 'vitest'
import {renderPanelSnapshot, type PanelSnapshot} from '../../src/cli/views/panel-snapshot.js'

/** The human view of `monitor real-time --once` with an engine running: metrics, uptime, alerts. */
const snap: PanelSnapshot = {
  at: '2026-11-21T10:01:05.000Z',
  feed: {connection: 'reconnecting', source: 'redis', target: 'redis://127.0.0.1:6379/0', error: 'connect ECONNREFUSED'},
  engine: {status: 'running', instance: 'host-1234', started_at: '2026-11-21T09:00:00.000Z', heartbeat_at: '2026-11-21T10:01:04.000Z'},
  metrics: {
    at: '2026-11-21T10:01:04.000Z',
    instance_id: 'host-1234',
    system: {cpu_pct: 45.25, memory_pct: 60, memory_used_mb: 4915.2, memory_total_mb: 8192, disk_read_kb_s: 12, disk_write_kb_s: 340, disk_io_pct: 3, net_rx_kb_s: 80, net_tx_kb_s: 20, net_io_pct: 1},
    business: {active_users: 3, running_strategies: 2, open_orders: 14, fills_today: 120, tps: 35, avg_latency_ms: 4.2, p99_latency_ms: 18.75, events_per_s: 40},
    process: {rss_mb: 301.4},
  } as PanelSnapshot['metrics'],
  users: {active: 3},
  strategies: {},
  orders: {pending: 2, filled: 5},
  recent_activity: [{id: 9, at: '2026-11-21T10:01:00.000Z', type: 'order.filled', text: 'ORD000009 filled', source: 'engine'}],
  alerts: [{id: 1, key: '1', at: '2026-11-21T10:00:00.000Z', level: 'warning', category: 'system', message: 'cpu above 80%', status: 'active'}],
}

const saved = process.env.ORDERMON_OUTPUT
afterEach(() => {
  if (saved === undefined) delete process.env.ORDERMON_OUTPUT
  else process.env.ORDERMON_OUTPUT = saved
})

describe('renderPanelSnapshot', () => {
  it('shows engine, connection, metrics, counts, activity and alerts (plain form)', () => {
    process.env.ORDERMON_OUTPUT = 'plain'
    const lines = renderPanelSnapshot(snap).split('\n')
    for (const h of ['Engine', 'Connection', 'Business metrics', 'System metrics', 'Counts by status', 'Recent activity', 'Alerts']) expect(lines).toContain(`# ${h}`)
    expect(lines).toContain('Status\trunning')
    expect(lines).toContain('Uptime\t1h 1m 5s')
    expect(lines).toContain('Feed\treconnecting')
    expect(lines).toContain('Source\tRedis pub/sub')
    expect(lines).toContain('Error\tconnect ECONNREFUSED')
    expect(lines).toContain('Open orders\t14')
    expect(lines).toContain('Latency avg / p99\t4.2 ms / 18.8 ms')
    expect(lines).toContain('CPU\t45.3%')
    // A kind with nothing in it still shows, as zero.
    expect(lines).toContain('strategies\t-\t0')
    expect(lines).toContain('orders\tfilled\t5')
    expect(lines).toContain('2026-11-21 10:01:00\torder.filled\tengine\tORD000009 filled')
    expect(lines).toContain('2026-11-21 10:00:00\twarning\tsystem\tcpu above 80%')
  })

  it('says plainly when there are no metrics or activity yet', () => {
    process.env.ORDERMON_OUTPUT = 'plain'
    const text = renderPanelSnapshot({...snap, metrics: null, recent_activity: [], alerts: []})
    expect(text).toContain('No metrics yet')
    expect(text).toContain('No activity yet.')
    expect(text).not.toContain('# Alerts')
    expect(text).not.toContain('# System metrics')
  })
})
