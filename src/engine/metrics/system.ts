import {DISK_FULL_SCALE_KB, NET_FULL_SCALE_KB, type MetricsSnapshot} from './snapshot.js'

type SI = typeof import('systeminformation')

/**
 * Host metrics through `systeminformation`, loaded on first use (it is only needed by the engine).
 * Each call reads /proc asynchronously; a failing probe gives zeros rather than stopping sampling.
 */
export class SystemProbe {
  private si?: SI

  async sample(): Promise<MetricsSnapshot['system']> {
    this.si ??= (await import('systeminformation')).default as unknown as SI
    const si = this.si
    const [load, mem, fs, net] = await Promise.all([
      si.currentLoad().catch(() => undefined),
      si.mem().catch(() => undefined),
      si.fsStats().catch(() => undefined),
      si.networkStats().catch(() => undefined),
    ])
    const kb = (bytesPerSec: number | null | undefined) => Math.max(0, Math.round((bytesPerSec ?? 0) / 1024))
    const readKb = kb(fs?.rx_sec)
    const writeKb = kb(fs?.wx_sec)
    const rx = (net ?? []).reduce((a, n) => a + kb(n.rx_sec), 0)
    const tx = (net ?? []).reduce((a, n) => a + kb(n.tx_sec), 0)
    const total = mem?.total ?? 0
    const used = mem ? mem.total - mem.available : 0
    return {
      cpu_pct: Math.round((load?.currentLoad ?? 0) * 10) / 10,
      memory_pct: total ? Math.round((used / total) * 1000) / 10 : 0,
      memory_used_mb: Math.round(used / 1_048_576),
      memory_total_mb: Math.round(total / 1_048_576),
      disk_read_kb_s: readKb,
      disk_write_kb_s: writeKb,
      disk_io_pct: Math.min(100, Math.round(((readKb + writeKb) / DISK_FULL_SCALE_KB) * 1000) / 10),
      net_rx_kb_s: rx,
      net_tx_kb_s: tx,
      net_io_pct: Math.min(100, Math.round(((rx + tx) / NET_FULL_SCALE_KB) * 1000) / 10),
    }
  }
}
