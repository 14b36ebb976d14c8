import {Box, Text} from 'ink'
import type {OrderLog} from '../../engine/index.js'
import type {OrderRow} from '../model.js'
import {fit} from '../text.js'

/** An order and its state history (order_logs), oldest first. */
export function OrderDetail({order, history}: {order: OrderRow; history: OrderLog[] | undefined}) {
  return (
    <Box flexDirection="column">
      <Text bold>
        {order.order_id} {order.side} {order.quantity} {order.symbol}
        {order.price === null ? '' : ` @ ${order.price}`} · {order.status} · filled {order.filled_quantity} · user {order.user_id}
      </Text>
      <Text bold>{`${fit('Time', 13)} ${fit('From', 17)} ${fit('To', 17)} ${fit('Filled', 8)} ${fit('Source', 7)} Reason`}</Text>
      {history === undefined ? <Text dimColor>loading…</Text> : null}
      {(history ?? []).map((h) => (
        <Text key={h.id} wrap="truncate">
          {`${fit(h.at.slice(11, 23), 13)} ${fit(h.from_status ?? '(new)', 17)} ${fit(h.to_status, 17)} ${fit(h.filled_delta ? `+${h.filled_delta}` : '', 8)} ${fit(h.source, 7)} ${h.reason ?? ''}`}
        </Text>
      ))}
      <Text dimColor>Esc: back</Text>
    </Box>
  )
}
