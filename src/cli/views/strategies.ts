import type {Performance, Strategy} from '../../engine/index.js'
import {colorStatus, type Column, heading, renderRecord, renderTable} from '../output.js'

export const strategyColumns: Column<Strategy>[] = [
  {header: 'Strategy ID', get: (s) => s.strategy_id},
  {header: 'Name', get: (s) => s.name},
  {header: 'Type', get: (s) => s.type},
  {header: 'User', get: (s) => s.user_id},
  {header: 'Status', get: (s) => s.status, color: (t) => colorStatus(t)},
  {header: 'Updated', get: (s) => s.updated_at.slice(0, 19).replace('T', ' ')},
]

export function strategyRecord(s: Strategy): string {
  return renderRecord([
    ['Strategy id', s.strategy_id],
    ['Name', s.name],
    ['Type', s.type],
    ['User', s.user_id],
    ['Status', colorStatus(s.status)],
    ['Status reason', s.status_reason],
    ['Version', s.version],
    ['Created', s.created_at],
    ['Started', s.started_at],
    ['Stopped', s.stopped_at],
  ])
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`)

export function performanceRecord(p: Performance): string {
  const lines = renderRecord([
    ['Period', `${p.period.start ?? 'beginning'} .. ${p.period.end ?? 'now'}`],
    ['Total orders', p.total_orders],
    ['Filled orders', p.filled_orders],
    ['Open orders', p.open_orders],
    ['Cancelled / rejected / expired', `${p.cancelled_orders} / ${p.rejected_orders} / ${p.expired_orders}`],
    ['Success rate', pct(p.success_rate)],
    ['Fill rate (quantity)', pct(p.fill_rate)],
    ['Fills', p.fills],
    ['Realized P&L', p.realized_pnl.toFixed(2)],
    ['Unrealized P&L', p.unrealized_pnl.toFixed(2)],
    ['Total P&L', p.profit_loss.toFixed(2)],
    ['Fees', p.fees.toFixed(2)],
    ['Max drawdown', `${p.max_drawdown.toFixed(2)}${p.max_drawdown_pct === null ? '' : ` (${pct(p.max_drawdown_pct)})`}`],
  ])
  if (p.positions.length === 0) return lines
  return [
    lines,
    '',
    heading('Open positions'),
    renderTable(
      [
        {header: 'Symbol', get: (x) => x.symbol},
        {header: 'Quantity', get: (x) => x.quantity},
        {header: 'Avg cost', get: (x) => x.avg_cost},
        {header: 'Mark', get: (x) => x.mark_price},
        {header: 'Unrealized', get: (x) => x.unrealized_pnl.toFixed(2)},
      ],
      p.positions,
    ),
  ].join('\n')
}

export function strategyDetails(s: Strategy, p: Performance): string {
  return [
    heading('Strategy'),
    strategyRecord(s),
    '',
    heading('Configuration'),
    JSON.stringify({parameters: s.parameters, risk_management: s.risk_management, schedule: s.schedule, ...(s.module_path ? {module_path: s.module_path} : {})}, null, 2),
    '',
    heading('Performance'),
    performanceRecord(p),
  ].join('\n')
}
