import {Box, Text} from 'ink'
import stringWidth from 'string-width'
import type {PanelModel} from '../model.js'
import {bar, clock, fit, formatNumber, sparkline} from '../text.js'

function Gauge({label, pct, trend, barWidth, sparkWidth}: {label: string; pct: number | undefined; trend: number[]; barWidth: number; sparkWidth: number}) {
  const v = pct ?? 0
  const color = v >= 80 ? 'red' : v >= 60 ? 'yellow' : 'green'
  return (
    <Text wrap="truncate">
      {fit(label, 8)}
      <Text color={color}>{bar(v, barWidth)}</Text>
      {fit(pct === undefined ? '  -' : `${Math.round(v)}%`, 5, 'right')} <Text color="cyan">{sparkline(trend, sparkWidth, 100)}</Text>
    </Text>
  )
}

/** Room the labels keep ("Running strategies"); a longer value takes the rest, not less. */
const LABEL_WIDTH = 19
const VALUE_WIDTH = 13

function Stat({label, value, width}: {label: string; value: string; width: number}) {
  // A value wider than usual ("106.9ms p99 250") takes room from the label's padding rather
  // than being cut: the cut used to drop the p99 figure entirely.
  const valueWidth = Math.min(Math.max(VALUE_WIDTH, stringWidth(value)), Math.max(VALUE_WIDTH, width - 1 - LABEL_WIDTH))
  return (
    <Text wrap="truncate">
      {fit(label, Math.max(10, width - 1 - valueWidth))}
      <Text bold>{fit(value, valueWidth, 'right')}</Text>
    </Text>
  )
}

/** The manual's monitoring screen: system bars with trends, business metrics, activity, alerts. */
export function Dashboard({model, width, height}: {model: PanelModel; width: number; height: number}) {
  const m = model.metrics
  const half = Math.floor(width / 2)
  const barWidth = Math.max(6, Math.min(30, half - 28))
  const sparkWidth = Math.max(6, half - barWidth - 16)
  const b = m?.business
  const latency = b?.avg_latency_ms == null ? '-' : `${formatNumber(b.avg_latency_ms, 1)}ms`
  const listHeight = Math.max(1, height - 9)
  // Fixed widths (and fit(), which counts CJK as two columns): a long alert cannot squeeze the
  // activity column or push a line past the terminal's width.
  const activityWidth = Math.max(Math.floor(width * 0.6), Math.min(60, width - 20))
  const alertWidth = width - activityWidth
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Box flexDirection="column" width={half}>
          <Text bold underline>System</Text>
          <Gauge label="CPU" pct={m?.system.cpu_pct} trend={model.history.cpu} barWidth={barWidth} sparkWidth={sparkWidth} />
          <Gauge label="Memory" pct={m?.system.memory_pct} trend={model.history.memory} barWidth={barWidth} sparkWidth={sparkWidth} />
          <Gauge label="Disk IO" pct={m?.system.disk_io_pct} trend={model.history.disk} barWidth={barWidth} sparkWidth={sparkWidth} />
          <Gauge label="Net IO" pct={m?.system.net_io_pct} trend={model.history.net} barWidth={barWidth} sparkWidth={sparkWidth} />
        </Box>
        <Box flexDirection="column" width={width - half}>
          <Text bold underline>Business</Text>
          <Stat label="Active users" value={formatNumber(b?.active_users)} width={width - half} />
          <Stat label="Running strategies" value={formatNumber(b?.running_strategies)} width={width - half} />
          <Stat label="Orders in progress" value={formatNumber(b?.open_orders)} width={width - half} />
          <Stat label="Fills today" value={formatNumber(b?.fills_today)} width={width - half} />
          <Stat label="TPS" value={formatNumber(b?.tps, 1)} width={width - half} />
          <Stat label="Avg latency" value={b?.p99_latency_ms == null ? latency : `${latency} p99 ${formatNumber(b.p99_latency_ms, 0)}`} width={width - half} />
        </Box>
      </Box>
      <Box marginTop={1}>
        <Box flexDirection="column" width={activityWidth} flexShrink={0}>
          <Text bold underline>Recent activity</Text>
          {model.activity.slice(0, listHeight).map((a) => (
            <Text key={a.id}>
              <Text dimColor>• {clock(a.at)} </Text>
              {fit(a.text, activityWidth - 12)}
            </Text>
          ))}
          {model.activity.length === 0 ? <Text dimColor>(nothing yet)</Text> : null}
        </Box>
        <Box flexDirection="column" width={alertWidth} flexShrink={0}>
          <Text bold underline>Active alerts</Text>
          {model.alerts.length === 0 ? (
            <Text color="green">no alerts</Text>
          ) : (
            model.alerts.slice(0, listHeight).map((a) => (
              <Text key={a.id} color={a.level === 'error' || a.level === 'critical' ? 'red' : 'yellow'}>
                {fit(`${clock(a.at)} ${a.message}`, alertWidth - 1)}
              </Text>
            ))
          )}
        </Box>
      </Box>
    </Box>
  )
}
