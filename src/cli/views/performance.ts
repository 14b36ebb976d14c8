import type {DailyPerformance} from '../../engine/index.js'
import type {Column} from '../output.js'

/** One row per day of `monitor performance-report` (and the period's summary as its last row). */
export const performanceColumns: Column<DailyPerformance>[] = [
  {header: 'Date', get: (d) => d.date},
  {header: 'Avg TPS', get: (d) => d.avg_tps},
  {header: 'Peak TPS', get: (d) => d.peak_tps},
  {header: 'Avg ms', get: (d) => d.avg_latency_ms},
  {header: 'P99 ms', get: (d) => d.p99_latency_ms},
  {header: 'Orders', get: (d) => d.orders},
  {header: 'Fills', get: (d) => d.fills},
  {header: 'Volume', get: (d) => d.volume},
  {header: 'Turnover', get: (d) => d.turnover},
  {header: 'Rejected', get: (d) => d.rejected},
  {header: 'Error %', get: (d) => d.error_rate_pct},
  {header: 'CPU % avg/peak', get: (d) => (d.avg_cpu_pct === null ? null : `${d.avg_cpu_pct}/${d.peak_cpu_pct}`)},
  {header: 'Mem % avg/peak', get: (d) => (d.avg_memory_pct === null ? null : `${d.avg_memory_pct}/${d.peak_memory_pct}`)},
]
