import {statfsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import {cpus} from 'node:os'
import {DISK_FULL_SCALE_KB, NET_FULL_SCALE_KB, type MetricsSnapshot} from './snapshot.js'

type SI = typeof import('systeminformation')

interface Counter {
  bytes: [number, number]
  at: number
}

/** Bytes per second between two readings of a pair of counters (0 on the first reading or a reset). */
function rates(prev: Counter | undefined, next: Counter): [number, number] {
  if (!prev || next.at <= prev.at) return [0, 0]
  const s = (next.at - prev.at) / 1000
  return [Math.max(0, (next.bytes[0] - prev.bytes[0]) / s), Math.max(0, (next.bytes[1] - prev.bytes[1]) / s)]
}

export interface HostSample {
  cpuPct: number
  memTotal: number
  memAvailable: number
  readBps: number
  writeBps: number
  rxBps: number
  txBps: number
}

/**
 * Host counters read straight from /proc and os.cpus() on Linux. systeminformation starts child
 * processes on every call: `cat /proc/stat | grep cpu` (currentLoad) and `ip route | grep default`
 * (networkStats) synchronously, `lsblk` and `cat /proc/diskstats` (fsStats) asynchronously. Forking
 * a process of the engine's size (300 MB at 100k orders) blocks its event loop for tens of
 * milliseconds each time, once a second; these reads cost well under a millisecond.
 */
export class ProcCounters {
  private cpu?: {busy: number; total: number}
  private disks?: Set<string>
  private iface?: {name: string | undefined; at: number}
  private disk?: Counter
  private net?: Counter

  /** Whole disks (not partitions, loop, RAM or device-mapper devices): what /sys/block lists, filtered. */
  private async diskNames(): Promise<Set<string>> {
    if (!this.disks) {
      const names = await readdir('/sys/block').catch(() => [] as string[])
      this.disks = new Set(names.filter((n) => !/^(loop|ram|zram|dm-|md|nbd|sr|fd)/.test(n)))
    }
    return this.disks
  }

  /** The interface of the default route (re-read once a minute), as systeminformation reports. */
  private async defaultIface(now: number): Promise<string | undefined> {
    if (this.iface && now - this.iface.at < 60_000) return this.iface.name
    const text = await readFile('/proc/net/route', 'utf8').catch(() => '')
    const line = text.split('\n').slice(1).find((l) => l.split(/\s+/)[1] === '00000000')
    this.iface = {name: line?.split(/\s+/)[0], at: now}
    return this.iface.name
  }

  /** Busy share of all CPUs since the previous call (since boot on the first), in percent. */
  private cpuPct(): number {
    let busy = 0
    let total = 0
    for (const c of cpus()) {
      const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle
      total += t
      busy += t - c.times.idle
    }
    const prev = this.cpu ?? {busy: 0, total: 0}
    this.cpu = {busy, total}
    return total > prev.total ? (100 * (busy - prev.busy)) / (total - prev.total) : 0
  }

  async sample(now = Date.now()): Promise<HostSample> {
    const [disks, iface, diskstats, netdev, meminfo] = await Promise.all([
      this.diskNames(),
      this.defaultIface(now),
      readFile('/proc/diskstats', 'utf8').catch(() => ''),
      readFile('/proc/net/dev', 'utf8').catch(() => ''),
      readFile('/proc/meminfo', 'utf8').catch(() => ''),
    ])
    const memKb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024
    // /proc/diskstats: major minor name reads merged sectors_read ms writes merged sectors_written ...
    let read = 0
    let written = 0
    for (const line of diskstats.split('\n')) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10 || !disks.has(f[2]!)) continue
      read += Number(f[5]) * 512
      written += Number(f[9]) * 512
    }
    let rx = 0
    let tx = 0
    for (const line of netdev.split('\n')) {
      const colon = line.indexOf(':')
      if (colon < 0 || line.slice(0, colon).trim() !== iface) continue
      const f = line.slice(colon + 1).trim().split(/\s+/)
      rx = Number(f[0])
      tx = Number(f[8])
    }
    const disk = {bytes: [read, written] as [number, number], at: now}
    const net = {bytes: [rx, tx] as [number, number], at: now}
    const [readBps, writeBps] = rates(this.disk, disk)
    const [rxBps, txBps] = rates(this.net, net)
    this.disk = disk
    this.net = net
    return {cpuPct: this.cpuPct(), memTotal: memKb('MemTotal'), memAvailable: memKb('MemAvailable'), readBps, writeBps, rxBps, txBps}
  }
}

/**
 * Host metrics: from /proc on Linux (see ProcCounters), through `systeminformation` elsewhere (loaded
 * on first use). A failing probe gives zeros rather than stopping sampling.
 */
export class SystemProbe {
  private si?: SI
  private readonly proc = process.platform === 'linux' ? new ProcCounters() : undefined

  private async host(): Promise<HostSample> {
    const zero: HostSample = {cpuPct: 0, memTotal: 0, memAvailable: 0, readBps: 0, writeBps: 0, rxBps: 0, txBps: 0}
    if (this.proc) return this.proc.sample().catch(() => zero)
    this.si ??= (await import('systeminformation')).default as unknown as SI
    const si = this.si
    const [load, mem, fs, net] = await Promise.all([
      si.currentLoad().catch(() => undefined),
      si.mem().catch(() => undefined),
      si.fsStats().catch(() => undefined),
      si.networkStats().catch(() => undefined),
    ])
    return {
      cpuPct: load?.currentLoad ?? 0,
      memTotal: mem?.total ?? 0,
      memAvailable: mem?.available ?? 0,
      readBps: fs?.rx_sec ?? 0,
      writeBps: fs?.wx_sec ?? 0,
      rxBps: (net ?? []).reduce((a, n) => a + (n.rx_sec ?? 0), 0),
      txBps: (net ?? []).reduce((a, n) => a + (n.tx_sec ?? 0), 0),
    }
  }

  async sample(): Promise<MetricsSnapshot['system']> {
    const h = await this.host()
    const kb = (bytesPerSec: number | null | undefined) => Math.max(0, Math.round((bytesPerSec ?? 0) / 1024))
    const readKb = kb(h.readBps)
    const writeKb = kb(h.writeBps)
    const rx = kb(h.rxBps)
    const tx = kb(h.txBps)
    const total = h.memTotal
    const used = total ? total - h.memAvailable : 0
    return {
      cpu_pct: Math.round(h.cpuPct * 10) / 10,
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

/**
 * Percent of the filesystem holding `path` that is used (as `df` counts it: space reserved for root
 * counts as unavailable). One statfs call; undefined when the path cannot be read.
 */
export function diskUsagePct(path: string): number | undefined {
  try {
    const fs = statfsSync(path)
    const total = fs.blocks * fs.bsize
    const usable = (fs.blocks - fs.bfree + fs.bavail) * fs.bsize
    if (total <= 0 || usable <= 0) return undefined
    return Math.round((((fs.blocks - fs.bfree) * fs.bsize) / usable) * 1000) / 10
  } catch {
    return undefined
  }
}
