import {describe, expect, it} from 'vitest'
import {currentPeriodValue, resolvePeriod, wallClockToInstant, zoneOffsetMinutes} from '../../src/engine/domain/reports/period.js'
import {RealizedLedger} from '../../src/engine/domain/reports/realized.js'
import {OrdermonError} from '../../src/engine/errors.js'

/**
 * Report periods in a time zone (DST days, ISO weeks at year ends, months) and the realized P&L a
 * report computes fill by fill. Pure domain code: no database.
 */

const NOW = new Date('2026-12-01T00:00:00Z')
const iso = (d: Date) => d.toISOString()
const span = (kind: 'daily' | 'weekly' | 'monthly', value: string, tz: string) => {
  const p = resolvePeriod(kind, value, tz, NOW)
  return {label: p.label, start: iso(p.start), end: iso(p.end), previous: {label: p.previous.label, start: iso(p.previous.start), end: iso(p.previous.end)}}
}
const refusal = (f: () => unknown): OrdermonError => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(OrdermonError)
    return error as OrdermonError
  }
  throw new Error('expected a refusal')
}

describe('report periods', () => {
  it('a day is midnight to midnight in the zone', () => {
    expect(span('daily', '2024-01-15', 'UTC')).toEqual({label: '2024-01-15', start: '2024-01-15T00:00:00.000Z', end: '2024-01-16T00:00:00.000Z', previous: {label: '2024-01-14', start: '2024-01-14T00:00:00.000Z', end: '2024-01-15T00:00:00.000Z'}})
    expect(span('daily', '2024-01-15', 'Asia/Shanghai')).toMatchObject({start: '2024-01-14T16:00:00.000Z', end: '2024-01-15T16:00:00.000Z'})
    // Kolkata is +05:30, Kathmandu +05:45: offsets that are not whole hours.
    expect(span('daily', '2024-01-15', 'Asia/Kolkata')).toMatchObject({start: '2024-01-14T18:30:00.000Z'})
    expect(span('daily', '2024-01-15', 'Asia/Kathmandu')).toMatchObject({start: '2024-01-14T18:15:00.000Z'})
  })

  it('days a DST change falls on are 23 and 25 hours long', () => {
    const hours = (p: {start: string; end: string}) => (Date.parse(p.end) - Date.parse(p.start)) / 3_600_000
    const spring = span('daily', '2024-03-10', 'America/New_York')
    expect(spring).toMatchObject({start: '2024-03-10T05:00:00.000Z', end: '2024-03-11T04:00:00.000Z'})
    expect(hours(spring)).toBe(23)
    const autumn = span('daily', '2024-11-03', 'America/New_York')
    expect(autumn).toMatchObject({start: '2024-11-03T04:00:00.000Z', end: '2024-11-04T05:00:00.000Z'})
    expect(hours(autumn)).toBe(25)
    // The week and the month around the change still start at local midnight.
    expect(span('weekly', '2024-W10', 'America/New_York')).toMatchObject({start: '2024-03-04T05:00:00.000Z', end: '2024-03-11T04:00:00.000Z'})
    expect(span('monthly', '2024-03', 'Europe/Berlin')).toMatchObject({start: '2024-02-29T23:00:00.000Z', end: '2024-03-31T22:00:00.000Z'})
    expect(zoneOffsetMinutes('America/New_York', new Date('2024-07-01T12:00:00Z'))).toBe(-240)
    expect(iso(wallClockToInstant(new Date('2024-07-01T00:00:00Z'), 'America/New_York'))).toBe('2024-07-01T04:00:00.000Z')
  })

  it('ISO weeks: Monday to Monday, week 1 holds the year\'s first Thursday, W53 only in long years', () => {
    expect(span('weekly', '2024-W03', 'UTC')).toEqual({label: '2024-W03', start: '2024-01-15T00:00:00.000Z', end: '2024-01-22T00:00:00.000Z', previous: {label: '2024-W02', start: '2024-01-08T00:00:00.000Z', end: '2024-01-15T00:00:00.000Z'}})
    // 2026-W01 starts in December 2025; the week before it is 2025-W52.
    expect(span('weekly', '2026-W01', 'UTC')).toMatchObject({start: '2025-12-29T00:00:00.000Z', previous: {label: '2025-W52', start: '2025-12-22T00:00:00.000Z'}})
    // 2020 has 53 weeks, its W53 ends in January 2021, and 2021-W01 follows it.
    expect(span('weekly', '2020-W53', 'UTC')).toMatchObject({start: '2020-12-28T00:00:00.000Z', end: '2021-01-04T00:00:00.000Z'})
    expect(span('weekly', '2021-W01', 'UTC')).toMatchObject({previous: {label: '2020-W53'}})
    expect(span('weekly', '2024-W03', 'Asia/Shanghai')).toMatchObject({start: '2024-01-14T16:00:00.000Z', end: '2024-01-21T16:00:00.000Z'})
    for (const bad of ['2021-W53', '2024-W00', '2024-W54', '2024W03', '2024-w3', '']) expect(refusal(() => resolvePeriod('weekly', bad, 'UTC', NOW)).exitCode).toBe(2)
  })

  it('months compare with the calendar month before, whatever its length', () => {
    expect(span('monthly', '2024-03', 'UTC')).toEqual({label: '2024-03', start: '2024-03-01T00:00:00.000Z', end: '2024-04-01T00:00:00.000Z', previous: {label: '2024-02', start: '2024-02-01T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z'}})
    expect(span('monthly', '2024-01', 'UTC').previous).toEqual({label: '2023-12', start: '2023-12-01T00:00:00.000Z', end: '2024-01-01T00:00:00.000Z'})
    expect(span('monthly', '2024-01', 'Asia/Tokyo')).toMatchObject({start: '2023-12-31T15:00:00.000Z', end: '2024-01-31T15:00:00.000Z'})
  })

  it('refuses impossible dates, unknown zones and periods that have not begun', () => {
    for (const bad of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-1-5', '15/01/2024', "2024-01-15' OR 1=1", '２０２４-01-15']) {
      const e = refusal(() => resolvePeriod('daily', bad, 'UTC', NOW))
      expect(e.exitCode).toBe(2)
      expect(e.message).toContain('--date')
    }
    expect(span('daily', '2024-02-29', 'UTC').label).toBe('2024-02-29')
    for (const bad of ['2024-13', '2024-00', '24-01', '2024-1']) expect(refusal(() => resolvePeriod('monthly', bad, 'UTC', NOW)).message).toContain('--month')
    expect(refusal(() => resolvePeriod('daily', '2024-01-15', 'Mars/Olympus', NOW)).message).toContain('not a known time zone')
    expect(refusal(() => resolvePeriod('monthly', '2027-01', 'UTC', NOW)).message).toContain('has not begun')
    // The current period has begun, so it is accepted.
    expect(span('monthly', '2026-12', 'UTC').label).toBe('2026-12')
  })

  it('the default period is the current one in the zone', () => {
    const lateSunday = new Date('2024-01-14T20:00:00Z') // Monday 04:00 in Shanghai
    expect(currentPeriodValue('daily', 'UTC', lateSunday)).toBe('2024-01-14')
    expect(currentPeriodValue('daily', 'Asia/Shanghai', lateSunday)).toBe('2024-01-15')
    expect(currentPeriodValue('weekly', 'UTC', lateSunday)).toBe('2024-W02')
    expect(currentPeriodValue('weekly', 'Asia/Shanghai', lateSunday)).toBe('2024-W03')
    expect(currentPeriodValue('monthly', 'America/Los_Angeles', new Date('2024-02-01T03:00:00Z'))).toBe('2024-01')
    expect(currentPeriodValue('weekly', 'UTC', new Date('2021-01-02T12:00:00Z'))).toBe('2020-W53')
  })
})

describe('realized P&L by average cost, fill by fill', () => {
  it('adds at the average cost, realizes on the closed part, nets fees', () => {
    const l = new RealizedLedger()
    l.add('S1', 'AAPL', 'buy', 10, 100, 1)
    l.add('S1', 'AAPL', 'buy', 10, 110, 1) // 20 @ 105
    l.add('S1', 'AAPL', 'sell', 5, 120, 1) // +75
    expect(l.result().get('S1')).toEqual({realized: 75 - 3, fees: 3, fills: 3, volume: 25, turnover: 1000 + 1100 + 600})
  })

  it('a short is closed by buys, and a fill through zero opens the other side at its price', () => {
    const l = new RealizedLedger()
    l.add('S1', 'TSLA', 'sell', 10, 200, 0)
    l.add('S1', 'TSLA', 'buy', 4, 190, 0) // +40
    l.add('S1', 'TSLA', 'buy', 10, 180, 0) // closes 6 short at 180: +120, opens 4 long @ 180
    l.add('S1', 'TSLA', 'sell', 4, 170, 0) // -40
    expect(l.result().get('S1')!.realized).toBeCloseTo(40 + 120 - 40, 8)
  })

  it('keeps books per owner and symbol: one owner\'s AAPL does not close another\'s', () => {
    const l = new RealizedLedger()
    l.add('S1', 'AAPL', 'buy', 10, 100, 0)
    l.add('S2', 'AAPL', 'sell', 10, 150, 0)
    l.add('S1', 'MSFT', 'sell', 10, 150, 0)
    expect(l.result().get('S1')!.realized).toBe(0)
    expect(l.result().get('S2')!.realized).toBe(0)
    l.add('S1', 'AAPL', 'sell', 10, 90, 0.5)
    expect(l.result().get('S1')!.realized).toBe(-100.5)
  })

  it('fractional quantities close exactly (no 1e-16 leftovers that would reopen a position)', () => {
    const l = new RealizedLedger()
    l.add('S1', 'BTC', 'buy', 0.1, 100, 0)
    l.add('S1', 'BTC', 'buy', 0.2, 100, 0)
    l.add('S1', 'BTC', 'sell', 0.3, 110, 0) // +3, flat
    l.add('S1', 'BTC', 'buy', 1, 50, 0) // a new position at 50, not averaged with a remnant
    l.add('S1', 'BTC', 'sell', 1, 60, 0) // +10
    expect(l.result().get('S1')!.realized).toBeCloseTo(13, 8)
  })
})
