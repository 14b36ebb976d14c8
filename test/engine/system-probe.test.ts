import {describe, expect, it} from 'vitest'
import {ProcCounters, SystemProbe} from '../../src/engine/metrics/system.js'

/**
 * Host metrics read from /proc (Linux) without starting processes: what the engine samples every
 * second. (systeminformation forked the engine twice a second, stalling its event loop.)
 */
describe.runIf(process.platform === 'linux')('host metrics from /proc', () => {
  it('reads CPU, memory, disk and network counters into rates that make sense', async () => {
    const c = new ProcCounters()
    const first = await c.sample()
    expect(first.memTotal).toBeGreaterThan(100 * 1_048_576)
    expect(first.memAvailable).toBeGreaterThan(0)
    expect(first.memAvailable).toBeLessThanOrEqual(first.memTotal)
    // No earlier reading: rates start at 0.
    expect([first.readBps, first.writeBps, first.rxBps, first.txBps]).toEqual([0, 0, 0, 0])
    // Keep one core busy for 300 ms: the next reading's CPU share shows it.
    const until = Date.now() + 300
    while (Date.now() < until);
    const second = await c.sample()
    expect(second.cpuPct).toBeGreaterThan(20)
    expect(second.cpuPct).toBeLessThanOrEqual(100)
    for (const v of [second.readBps, second.writeBps, second.rxBps, second.txBps]) {
      expect(Number.isFinite(v)).toBe(true)
      expect(v).toBeGreaterThanOrEqual(0)
    }
  })

  it('gives the snapshot fields in their units and ranges', async () => {
    const p = new SystemProbe()
    await p.sample()
    const s = await p.sample()
    expect(s.memory_total_mb).toBeGreaterThan(100)
    expect(s.memory_used_mb).toBeLessThanOrEqual(s.memory_total_mb)
    expect(s.memory_pct).toBeCloseTo((100 * s.memory_used_mb) / s.memory_total_mb, 0)
    for (const pct of [s.cpu_pct, s.memory_pct, s.disk_io_pct, s.net_io_pct]) {
      expect(pct).toBeGreaterThanOrEqual(0)
      expect(pct).toBeLessThanOrEqual(100)
    }
  })
})
