import {Box, Text} from 'ink'
import type {FeedStatus} from '../feed.js'
import type {PanelModel} from '../model.js'
import {duration} from '../text.js'

const statusColor = {running: 'green', degraded: 'yellow', down: 'red', unknown: 'gray'} as const

/** Vital signs on one line: engine status, instance, uptime, feed connection, clock, pause. */
export function Header({model, status, paused, now}: {model: PanelModel; status: FeedStatus; paused: boolean; now: number}) {
  const e = model.engine
  const conn = status.connection === 'live' ? <Text color="green">{status.source} live</Text> : <Text color="red" bold>{status.connection === 'connecting' ? 'connecting…' : `DISCONNECTED: ${status.error ?? ''}, reconnecting…`}</Text>
  return (
    <Box justifyContent="space-between">
      {/* What must never be cut comes first: status, connection, pause; then the long parts. */}
      <Text wrap="truncate">
        <Text bold>ordermon </Text>
        <Text color={statusColor[e.status]}>● {e.status}</Text>
        {paused ? <Text color="yellow" bold> │ PAUSED</Text> : null}
        <Text> │ </Text>
        {conn}
        {e.engines && e.engines > 1 ? <Text color="cyan"> │ {e.engines} engines</Text> : null}
        {e.started_at ? <Text dimColor> │ up {duration(now - Date.parse(e.started_at))}</Text> : null}
        {e.instance ? <Text dimColor> │ {e.instance}</Text> : null}
      </Text>
      <Text dimColor>{new Date(now).toISOString().slice(11, 19)}</Text>
    </Box>
  )
}
