import chalk from 'chalk'
import type {EventMessage} from '../../engine/index.js'
import {colorStatus} from '../output.js'

/** One line per event for the foreground engine: time, type, entity, user and what changed. */
export function eventLine(e: EventMessage): string {
  const p = e.payload
  const time = e.created_at.slice(11, 23)
  const detail =
    e.entity_type === 'order'
      ? [p.side, p.filled_delta ? `+${p.filled_delta}` : p.quantity, p.symbol, p.fill_price ? `@ ${p.fill_price}` : p.price ? `@ ${p.price}` : '', p.to ? colorStatus(String(p.to)) : ''].filter(Boolean).join(' ')
      : p.to
        ? `${p.from ?? '-'} -> ${colorStatus(String(p.to))}`
        : ''
  return `${chalk.dim(time)}  ${e.type.padEnd(24)} ${e.entity_id.padEnd(10)} ${(e.user_id ?? '').padEnd(8)} ${detail}${e.source === 'engine' ? '' : chalk.dim(`  [${e.source}]`)}`
}
