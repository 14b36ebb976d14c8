import type {AuditRecord, LoginRecord, User, UserDetails} from '../../engine/index.js'
import {colorStatus, type Column, heading, renderRecord, renderTable} from '../output.js'

const typeLabel: Record<string, string> = {personal: 'personal', professional: 'professional', institutional: 'institutional'}

export const userColumns: Column<User>[] = [
  {header: 'ID', get: (u) => u.user_id},
  {header: 'Username', get: (u) => u.username},
  {header: 'Name', get: (u) => u.name},
  {header: 'Type', get: (u) => typeLabel[u.type] ?? u.type},
  {header: 'Role', get: (u) => u.role},
  {header: 'Group', get: (u) => u.group},
  {header: 'Status', get: (u) => u.status, color: (s) => colorStatus(s)},
  {header: 'Last login', get: (u) => u.last_login_at?.slice(0, 16).replace('T', ' ')},
]

export function userRecord(u: User): string {
  return renderRecord([
    ['User id', u.user_id],
    ['Username', u.username],
    ['Name', u.name],
    ['Email', u.email],
    ['Phone', u.phone],
    ['Type', u.type],
    ['Role', u.role],
    ['Group', u.group],
    ['Status', colorStatus(u.status)],
    ['Created', u.created_at],
    ['Updated', u.updated_at],
    ['Last login', u.last_login_at],
  ])
}

export function userDetails(d: UserDetails): string {
  const p = d.pnl
  const parts = [heading('Basic information'), userRecord(d.user), '', heading('Permissions'), d.user.permissions.length ? d.user.permissions.join(', ') : '(none)']
  parts.push('', heading('Trading (all fills, average cost)'))
  parts.push(
    renderRecord([
      ['Realized P&L', p.realized_pnl.toFixed(2)],
      ['Unrealized P&L', p.unrealized_pnl.toFixed(2)],
      ['Fees', p.fees.toFixed(2)],
      ['Open positions', p.positions.length ? p.positions.map((x) => `${x.symbol} ${x.quantity} @ ${x.avg_cost}`).join(', ') : '(none)'],
    ]),
  )
  parts.push('', heading('Login history'))
  parts.push(
    d.login_history.length
      ? renderTable<LoginRecord>(
          [
            {header: 'Time', get: (l) => l.at},
            {header: 'IP', get: (l) => l.ip},
            {header: 'Device', get: (l) => l.device},
            {header: 'Result', get: (l) => (l.success ? 'ok' : `failed${l.reason ? ` (${l.reason})` : ''}`)},
          ],
          d.login_history,
        )
      : '(no logins recorded)',
  )
  parts.push('', heading('Operation log'))
  parts.push(
    d.operations.length
      ? renderTable<AuditRecord>(
          [
            {header: 'Time', get: (a) => a.at},
            {header: 'Actor', get: (a) => a.actor},
            {header: 'Action', get: (a) => a.action},
            {header: 'Details', get: (a) => (a.details && Object.keys(a.details).length ? JSON.stringify(a.details) : '')},
          ],
          d.operations,
        )
      : '(no operations recorded)',
  )
  return parts.join('\n')
}
