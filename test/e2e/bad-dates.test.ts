import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createBackend, type BackendKind, type TestBackend} from '../helpers/backends.js'
import {json} from '../helpers/cli.js'
import {cliIn, expectRefusal, ok, rand} from '../helpers/e2e.js'

/**
 * End-to-end: impossible dates, times and periods given to the built CLI are refused with exit 2 and
 * one error line naming the flag and the value, instead of rolling over (2024-02-31 -> 2024-03-02).
 */

const schedule = (start_time: string, end_time = '16:00', timezone = 'UTC') => ({start_time, end_time, timezone})
const strategyConfig = (name: string, extra: Record<string, unknown> = {}) => ({name, type: 'momentum', parameters: {symbols: ['AAPL'], threshold: 0.03}, ...extra})

function setup(kind: BackendKind) {
  const ctx = {} as {backend: TestBackend; userId: string; strategyId: string}

  const cli = cliIn(() => ctx.backend)

  /** Exit 2, nothing on stdout, exactly one "Error:" line (returned), no stack trace. */
  const refused = async (args: string[]): Promise<string> => expectRefusal(await cli(args), 2)

  function writeConfig(content: unknown): string {
    const name = `cfg-${rand()}.json`
    writeFileSync(join(ctx.backend.dir, name), JSON.stringify(content))
    return name
  }

  beforeAll(async () => {
    ctx.backend = await createBackend(kind)
    ok(await cli(['init']))
    const user = await cli(['user', 'create', '--username', `dates_${rand()}`, '--password', `Pw-${rand()}-secret`, '--json'])
    ok(user)
    ctx.userId = json(user).user_id
    const strategy = await cli(['strategy', 'create', '--config', writeConfig(strategyConfig(`s-${rand()}`)), '--user-id', ctx.userId, '--json'])
    ok(strategy)
    ctx.strategyId = json(strategy).strategy_id
  })

  afterAll(async () => {
    await ctx.backend?.cleanup()
  })

  return {ctx, cli, ok, refused, writeConfig}
}

describe('bad dates on sqlite', () => {
  const {ctx, cli, ok, refused, writeConfig} = setup('sqlite')
  const strategyCount = async () => json(await cli(['strategy', 'list', '--json'])).total as number

  it('order list --since 2024-02-31 is refused, naming --since and the value', async () => {
    const line = await refused(['order', 'list', '--since', '2024-02-31'])
    expect(line).toMatch(/since/)
    expect(line).toContain('2024-02-31')
    expect(line).toMatch(/has days 01-29/)
  })

  it.each([
    ['2023-02-29', /2023 is not a leap year/],
    ['2024-13-01', /month 13 is not 01-12/],
    ['2024-01-15T24:00', /hour 24 is not 00-23/],
    ['2024-01-15T10:00+15:00', /beyond ±14:00/],
    ['0h', /a span of 0 selects nothing/],
  ])('order list --since %s is refused', async (value, reason) => {
    const line = await refused(['order', 'list', '--since', value])
    expect(line).toContain(`since "${value}"`)
    expect(line).toMatch(reason)
  })

  it('order list --since with real dates and spans still works', async () => {
    for (const since of ['2024-02-29', '2024-01-15T10:30:00+05:30', '7d']) {
      const r = await cli(['order', 'list', '--since', since, '--json'])
      ok(r)
      expect(json(r).total).toBe(0)
    }
  })

  it('strategy performance refuses impossible start and end dates', async () => {
    const start = await refused(['strategy', 'performance', '--strategy-id', ctx.strategyId, '--start-date', '2023-02-29'])
    expect(start).toMatch(/start-date "2023-02-29" is not a valid date: .*2023 is not a leap year/)
    const end = await refused(['strategy', 'performance', '--strategy-id', ctx.strategyId, '--end-date', '2024-04-31'])
    expect(end).toMatch(/end-date "2024-04-31" is not a valid date: 2024-04 has days 01-30, not 31/)
  })

  it('strategy performance refuses a start after the end', async () => {
    const line = await refused(['strategy', 'performance', '--strategy-id', ctx.strategyId, '--start-date', '2024-02-01', '--end-date', '2024-01-31'])
    expect(line).toBe('Error: start-date "2024-02-01" is after end-date "2024-01-31" (expected a start on or before the end).')
  })

  it('strategy performance with a real (leap-day) period still works, one day included', async () => {
    const r = await cli(['strategy', 'performance', '--strategy-id', ctx.strategyId, '--start-date', '2024-02-29', '--end-date', '2024-02-29', '--json'])
    ok(r)
    expect(json(r).period).toEqual({start: '2024-02-29T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z'})
  })

  it.each([
    ['start_time 24:00', schedule('24:00'), /schedule\.start_time must be a time as HH:MM, 00:00 to 23:59 \(got "24:00"\)/],
    ['end_time 25:61', schedule('09:30', '25:61'), /schedule\.end_time .*\(got "25:61"\)/],
    ['start_time 7:5', schedule('7:5'), /schedule\.start_time .*\(got "7:5"\)/],
    ['timezone Mars/Base', schedule('09:30', '16:00', 'Mars/Base'), /schedule\.timezone "Mars\/Base" is not a known time zone/],
  ])('strategy create with schedule %s is refused and creates nothing', async (_, bad, message) => {
    const before = await strategyCount()
    const line = await refused(['strategy', 'create', '--config', writeConfig(strategyConfig(`bad-${rand()}`, {schedule: bad})), '--user-id', ctx.userId])
    expect(line).toMatch(message)
    expect(await strategyCount()).toBe(before)
  })

  it('strategy update with schedule start_time 24:00 is refused and changes nothing', async () => {
    const before = json(await cli(['strategy', 'show', '--strategy-id', ctx.strategyId, '--json']))
    const line = await refused(['strategy', 'update', '--strategy-id', ctx.strategyId, '--config', writeConfig({schedule: schedule('24:00')})])
    expect(line).toMatch(/schedule\.start_time .*24:00/)
    expect(json(await cli(['strategy', 'show', '--strategy-id', ctx.strategyId, '--json']))).toEqual(before)
  })
})

describe('bad dates on mariadb', () => {
  const {cli, ok, refused} = setup('mariadb')

  it('order list --since 2024-02-31 is refused; 2024-02-29 works', async () => {
    const line = await refused(['order', 'list', '--since', '2024-02-31'])
    expect(line).toMatch(/since "2024-02-31" is not a valid date/)
    ok(await cli(['order', 'list', '--since', '2024-02-29', '--json']))
  })
})
