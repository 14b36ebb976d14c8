import {describe, expect, it} from 'vitest'
import {refusal} from '../helpers/suite.js'
import {daysInMonth, endOfDay, isoWeeksInYear, parseClock, parseDate, parseDay, parseIsoWeek, parseMonth, parseSince} from '../../src/engine/domain/time.js'

/** Pure date, time and period parsing: real calendar values only, never a silent rollover. */

const iso = (d: Date | undefined) => d?.toISOString()
const range = (p: {start: Date; end: Date}) => [p.start.toISOString(), p.end.toISOString()]


describe('calendar', () => {
  it('knows leap years and month lengths', () => {
    expect([2023, 2024, 1900, 2000, 2100].map((y) => daysInMonth(y, 2))).toEqual([28, 29, 28, 29, 28])
    expect([1, 4, 6, 9, 11, 12].map((m) => daysInMonth(2024, m))).toEqual([31, 30, 30, 30, 30, 31])
  })

  it('knows which ISO years have 53 weeks', () => {
    expect([2015, 2020, 2026, 2032].map(isoWeeksInYear)).toEqual([53, 53, 53, 53])
    expect([2019, 2021, 2022, 2023, 2024, 2025].map(isoWeeksInYear)).toEqual([52, 52, 52, 52, 52, 52])
  })
})

describe('parseDate', () => {
  it('reads dates as UTC midnight and date-times with or without a zone', () => {
    expect(iso(parseDate('since', '2024-02-29'))).toBe('2024-02-29T00:00:00.000Z')
    expect(iso(parseDate('since', ' 2024-01-15T10:30 '))).toBe('2024-01-15T10:30:00.000Z')
    expect(iso(parseDate('since', '2024-01-15 10:30:05.5'))).toBe('2024-01-15T10:30:05.500Z')
    expect(iso(parseDate('since', '2024-01-15T10:30:00Z'))).toBe('2024-01-15T10:30:00.000Z')
    expect(iso(parseDate('since', '2024-01-15T10:30:00+05:30'))).toBe('2024-01-15T05:00:00.000Z')
    expect(iso(parseDate('since', '2024-01-15T10:30:00-0800'))).toBe('2024-01-15T18:30:00.000Z')
    expect(iso(parseDate('since', '2024-01-15T10:30:00+14:00'))).toBe('2024-01-14T20:30:00.000Z')
    expect(iso(parseDate('since', '2024-01-15T10:30:00-14:00'))).toBe('2024-01-16T00:30:00.000Z')
    expect(iso(parseDate('since', '2024-12-31T23:59:59.999Z'))).toBe('2024-12-31T23:59:59.999Z')
    expect(iso(parseDate('since', '0050-03-01'))).toBe('0050-03-01T00:00:00.000Z')
    expect(parseDate('since', undefined)).toBeUndefined()
  })

  it.each([
    ['2024-02-31', /^since "2024-02-31" is not a valid date: 2024-02 has days 01-29, not 31 \(expected YYYY-MM-DD/],
    ['2023-02-29', /2023-02 has days 01-28, not 29 \(2023 is not a leap year\)/],
    ['1900-02-29', /1900 is not a leap year/],
    ['2024-02-30', /2024-02 has days 01-29, not 30/],
    ['2024-04-31', /2024-04 has days 01-30, not 31/],
    ['2024-01-00', /2024-01 has days 01-31, not 00/],
    ['2024-13-01', /month 13 is not 01-12/],
    ['2024-00-10', /month 00 is not 01-12/],
    ['2024-01-15T24:00', /hour 24 is not 00-23/],
    ['2024-01-15T23:60', /minute 60 is not 00-59/],
    ['2024-01-15T23:59:60Z', /second 60 is not 00-59/],
    ['2024-01-15T10:00+15:00', /offset \+15:00 is beyond ±14:00/],
    ['2024-01-15T10:00-14:30', /offset -14:30 is beyond ±14:00/],
    ['2024-01-15T10:00+05:60', /offset \+05:60 has minutes 60, not 00-59/],
  ])('refuses %s', (value, message) => {
    expect(refusal(() => parseDate('since', value))).toMatch(message)
  })

  it.each(['yesterday', '2024-1-5', '24-01-05', '2024-01-15T7:05', '2024-01-15T10:30:00+5', '2024/01/15', ''])('refuses the shape %j', (value) => {
    expect(refusal(() => parseDate('start-date', value))).toMatch(/^start-date ".*" is not a date: use YYYY-MM-DD or an ISO date-time/)
  })
})

describe('parseSince', () => {
  const now = new Date('2024-03-01T12:00:00Z')

  it('takes spans back from now and dates', () => {
    expect(iso(parseSince('since', '30m', now))).toBe('2024-03-01T11:30:00.000Z')
    expect(iso(parseSince('since', '24H', now))).toBe('2024-02-29T12:00:00.000Z')
    expect(iso(parseSince('since', '7d', now))).toBe('2024-02-23T12:00:00.000Z')
    expect(iso(parseSince('since', '2w', now))).toBe('2024-02-16T12:00:00.000Z')
    expect(iso(parseSince('since', '3650d', now))).toBe('2014-03-04T12:00:00.000Z')
    expect(iso(parseSince('since', '2024-02-29', now))).toBe('2024-02-29T00:00:00.000Z')
  })

  it('refuses impossible dates, empty and absurd spans, naming the field and the value', () => {
    expect(refusal(() => parseSince('since', '2024-02-31', now))).toBe(
      'since "2024-02-31" is not a valid date: 2024-02 has days 01-29, not 31 (expected YYYY-MM-DD, an ISO date-time, or a span like 24h or 7d).',
    )
    expect(refusal(() => parseSince('since', '0h', now))).toMatch(/^since "0h" is not a valid span: a span of 0 selects nothing/)
    expect(refusal(() => parseSince('since', '3651d', now))).toMatch(/^since "3651d" is not a valid span: at most 3650d \(10 years\)/)
    expect(refusal(() => parseSince('since', '9999999w', now))).toMatch(/at most 3650d/)
    expect(refusal(() => parseSince('since', '7y', now))).toMatch(/^since "7y" is not a date: use YYYY-MM-DD, an ISO date-time, or a span/)
  })
})

describe('endOfDay', () => {
  it('makes a plain end date inclusive and leaves date-times alone', () => {
    expect(iso(endOfDay('end-date', '2024-02-29'))).toBe('2024-03-01T00:00:00.000Z')
    expect(iso(endOfDay('end-date', '2023-12-31'))).toBe('2024-01-01T00:00:00.000Z')
    expect(iso(endOfDay('end-date', '2024-01-31T10:00Z'))).toBe('2024-01-31T10:00:00.000Z')
    expect(refusal(() => endOfDay('end-date', '2023-02-29'))).toMatch(/^end-date "2023-02-29" is not a valid date/)
  })
})

describe('parseDay', () => {
  it('gives the UTC day', () => {
    expect(range(parseDay('date', '2024-02-29'))).toEqual(['2024-02-29T00:00:00.000Z', '2024-03-01T00:00:00.000Z'])
    expect(range(parseDay('date', '2023-12-31'))).toEqual(['2023-12-31T00:00:00.000Z', '2024-01-01T00:00:00.000Z'])
  })

  it('refuses days not on the calendar and other shapes', () => {
    expect(refusal(() => parseDay('date', '2023-02-29'))).toBe('date "2023-02-29" is not a valid day: 2023-02 has days 01-28, not 29 (2023 is not a leap year) (expected YYYY-MM-DD).')
    expect(refusal(() => parseDay('date', '2024-06-31'))).toMatch(/2024-06 has days 01-30, not 31/)
    expect(refusal(() => parseDay('date', '2024-13-01'))).toMatch(/month 13 is not 01-12/)
    expect(refusal(() => parseDay('date', '2024-01-15T10:00Z'))).toBe('date "2024-01-15T10:00Z" is not a day: use YYYY-MM-DD.')
  })
})

describe('parseIsoWeek', () => {
  it('gives Monday to the next Monday', () => {
    expect(range(parseIsoWeek('week', '2024-W03'))).toEqual(['2024-01-15T00:00:00.000Z', '2024-01-22T00:00:00.000Z'])
    expect(range(parseIsoWeek('week', '2024-W01'))).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-08T00:00:00.000Z'])
    // Week 1 can start in the previous year, and week 52/53 can end in the next.
    expect(range(parseIsoWeek('week', '2021-W01'))).toEqual(['2021-01-04T00:00:00.000Z', '2021-01-11T00:00:00.000Z'])
    expect(range(parseIsoWeek('week', '2025-W01'))).toEqual(['2024-12-30T00:00:00.000Z', '2025-01-06T00:00:00.000Z'])
    expect(range(parseIsoWeek('week', '2020-W53'))).toEqual(['2020-12-28T00:00:00.000Z', '2021-01-04T00:00:00.000Z'])
    expect(range(parseIsoWeek('week', '2026-w53'))).toEqual(['2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'])
    expect(parseIsoWeek('week', '2024-W52').start.getUTCDay()).toBe(1)
  })

  it('refuses weeks the year does not have', () => {
    expect(refusal(() => parseIsoWeek('week', '2021-W53'))).toBe('week "2021-W53" is not a valid ISO week: 2021 has weeks W01-W52 (expected YYYY-Www).')
    expect(refusal(() => parseIsoWeek('week', '2024-W00'))).toMatch(/2024 has weeks W01-W52/)
    expect(refusal(() => parseIsoWeek('week', '2020-W54'))).toMatch(/2020 has weeks W01-W53/)
    expect(refusal(() => parseIsoWeek('week', '2024-W3'))).toBe('week "2024-W3" is not an ISO week: use YYYY-Www, such as 2024-W03.')
    expect(refusal(() => parseIsoWeek('week', '2024-03'))).toMatch(/is not an ISO week/)
  })
})

describe('parseMonth', () => {
  it('gives the first of the month to the first of the next', () => {
    expect(range(parseMonth('month', '2024-01'))).toEqual(['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'])
    expect(range(parseMonth('month', '2024-02'))).toEqual(['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'])
    expect(range(parseMonth('month', '2024-12'))).toEqual(['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'])
  })

  it('refuses month 00 and 13 and other shapes', () => {
    expect(refusal(() => parseMonth('month', '2024-00'))).toBe('month "2024-00" is not a valid month: month 00 is not 01-12 (expected YYYY-MM).')
    expect(refusal(() => parseMonth('month', '2024-13'))).toMatch(/month 13 is not 01-12/)
    expect(refusal(() => parseMonth('month', '2024-1'))).toBe('month "2024-1" is not a month: use YYYY-MM.')
    expect(refusal(() => parseMonth('month', '2024-01-01'))).toMatch(/is not a month/)
  })
})

describe('parseClock', () => {
  it('takes HH:MM from 00:00 to 23:59', () => {
    for (const v of ['00:00', '09:30', '23:59']) expect(parseClock('schedule.start_time', v)).toBe(v)
  })

  it.each(['24:00', '25:61', '7:5', '07:5', '7:05', '12:60', '12:00:00', ' 09:30', '', 930, null])('refuses %j, naming the field', (v) => {
    expect(refusal(() => parseClock('schedule.start_time', v))).toMatch(/^schedule\.start_time must be a time as HH:MM, 00:00 to 23:59 \(got .*\)\.$/)
  })
})
