import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {OrdermonError} from '../../src/engine/errors.js'
import {cleanupLogs} from '../../src/engine/logging/retention.js'
import {UserLogs} from '../../src/engine/logging/user-logs.js'

/** Log retention and per-user logs on real files in temp directories. */

const DAY = 86_400_000
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10)

const dirs: string[] = []
function tempDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `ordermon-${label}-`))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
})

/** Writes a file (making its folders); `mtime` sets its modification time. */
function put(path: string, content = 'x\n', mtime?: number): string {
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, content)
  if (mtime !== undefined) utimesSync(path, new Date(mtime), new Date(mtime))
  return path
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...listFiles(p, base))
    else out.push(p.slice(base.length + 1))
  }
  return out.sort()
}

describe('cleanupLogs', () => {
  const now = new Date()
  const t = now.getTime()
  const today = dayOf(t)
  const days = 7
  // Kept: the last 7 days including today, so the oldest kept day is 6 days ago.
  const oldestKept = dayOf(t - 6 * DAY)
  const firstDeleted = dayOf(t - 7 * DAY)
  const old = dayOf(t - 30 * DAY)

  /** A log directory like the engine's, with a mix of files to keep and to delete. */
  function layout() {
    const root = tempDir('logs')
    const logDir = join(root, 'logs')
    const f = {
      systemToday: put(join(logDir, 'system.log')),
      systemOld: put(join(logDir, 'system-archive.log'), 'old system\n', t - 20 * DAY),
      u1Today: put(join(logDir, 'users', 'user_U1', `user_U1_${today}.log`)),
      u1Kept: put(join(logDir, 'users', 'user_U1', `user_U1_${oldestKept}.log`)),
      u1Old: put(join(logDir, 'users', 'user_U1', `user_U1_${firstDeleted}.log`), 'a line of 23 characters'),
      u1Older: put(join(logDir, 'users', 'user_U1', `user_U1_${old}.log`), '12345'),
      // The name wins over the mtime: a file named for today but touched long ago is today's.
      u1NamedToday: put(join(logDir, 'users', 'user_U1', `user_U1_notes_${today}.log`), 'x', t - 40 * DAY),
      // Only .log files: other old files stay.
      notes: put(join(logDir, 'users', 'user_U1', 'notes.txt'), 'keep me', t - 40 * DAY),
      oldTxt: put(join(logDir, 'users', 'user_U1', `user_U1_${old}.txt`), 'keep me'),
      // A user whose files are all old: the folder goes too.
      u2Old: put(join(logDir, 'users', 'user_U2', `user_U2_${old}.log`)),
      u2Old2: put(join(logDir, 'users', 'user_U2', `user_U2_${firstDeleted}.log`)),
      // Dated by mtime when the name has no date.
      mtimeOld: put(join(logDir, 'engine.log'), 'mtime old', t - 10 * DAY),
      mtimeRecent: put(join(logDir, 'engine-recent.log'), 'mtime recent', t - 2 * DAY),
    }
    return {root, logDir, f}
  }

  it('deletes *.log files dated before the cutoff (by name, else by mtime), keeps today’s, recent and non-.log files', () => {
    const {logDir, f} = layout()
    const r = cleanupLogs(logDir, {days, now})
    expect(r.cutoff).toBe(oldestKept)
    expect(r.dry_run).toBe(false)
    expect(r.skipped_links).toEqual([])
    const gone = [f.systemOld, f.u1Old, f.u1Older, f.u2Old, f.u2Old2, f.mtimeOld]
    const kept = [f.systemToday, f.u1Today, f.u1Kept, f.u1NamedToday, f.notes, f.oldTxt, f.mtimeRecent]
    expect([...r.deleted].sort()).toEqual([...gone].sort())
    for (const p of gone) expect(existsSync(p), p).toBe(false)
    for (const p of kept) expect(existsSync(p), p).toBe(true)
    expect(r.kept).toBe(kept.length)
    expect(r.bytes_freed).toBe('old system\n'.length + 23 + 5 + 2 + 2 + 'mtime old'.length)
    // The emptied user folder is removed, the others and the log directory itself stay.
    expect(existsSync(join(logDir, 'users', 'user_U2'))).toBe(false)
    expect(existsSync(join(logDir, 'users', 'user_U1'))).toBe(true)
    expect(existsSync(logDir)).toBe(true)
  })

  it('is idempotent: a second run deletes nothing and keeps the same files', () => {
    const {logDir} = layout()
    const first = cleanupLogs(logDir, {days, now})
    const after = listFiles(logDir)
    const second = cleanupLogs(logDir, {days, now})
    expect(first.deleted.length).toBeGreaterThan(0)
    expect(second.deleted).toEqual([])
    expect(second.bytes_freed).toBe(0)
    expect(second.kept).toBe(first.kept)
    expect(listFiles(logDir)).toEqual(after)
  })

  it('dry run lists what would go and deletes nothing', () => {
    const {logDir} = layout()
    const before = listFiles(logDir)
    const dry = cleanupLogs(logDir, {days, now, dryRun: true})
    expect(dry.dry_run).toBe(true)
    expect(dry.deleted).toHaveLength(6)
    expect(listFiles(logDir)).toEqual(before)
    expect(existsSync(join(logDir, 'users', 'user_U2'))).toBe(true)
    const real = cleanupLogs(logDir, {days, now})
    expect([...real.deleted].sort()).toEqual([...dry.deleted].sort())
    expect(real.bytes_freed).toBe(dry.bytes_freed)
  })

  it('keeps today’s files even with days = 1, and a smaller --days removes more', () => {
    const {logDir, f} = layout()
    const r = cleanupLogs(logDir, {days: 1, now})
    expect(r.cutoff).toBe(today)
    expect(existsSync(f.u1Today)).toBe(true)
    expect(existsSync(f.systemToday)).toBe(true)
    expect(existsSync(f.u1NamedToday)).toBe(true)
    expect(existsSync(f.u1Kept)).toBe(false)
    expect(existsSync(f.mtimeRecent)).toBe(false)
  })

  it('never follows a symbolic link to a folder outside: the file there survives, the link is reported', () => {
    const {logDir} = layout()
    const outside = tempDir('outside')
    const victim = put(join(outside, `user_U9_${old}.log`), 'precious', t - 50 * DAY)
    const victimUndated = put(join(outside, 'other.log'), 'precious', t - 50 * DAY)
    const dirLink = join(logDir, 'users', 'user_U9')
    symlinkSync(outside, dirLink)
    // A link to a single old file outside is not removed nor followed either.
    const fileLink = join(logDir, `linked_${old}.log`)
    symlinkSync(victim, fileLink)
    const dry = cleanupLogs(logDir, {days, now, dryRun: true})
    expect(dry.deleted.some((p) => p.startsWith(dirLink) || p === fileLink)).toBe(false)
    const r = cleanupLogs(logDir, {days, now})
    expect(existsSync(victim)).toBe(true)
    expect(existsSync(victimUndated)).toBe(true)
    expect(readFileSync(victim, 'utf8')).toBe('precious')
    expect([...r.skipped_links].sort()).toEqual([dirLink, fileLink].sort())
    expect(r.deleted.some((p) => p.startsWith(outside) || p.startsWith(dirLink) || p === fileLink)).toBe(false)
    // The links themselves are left alone, so their parent folders stay.
    expect(existsSync(dirLink)).toBe(true)
    expect(existsSync(fileLink)).toBe(true)
  })

  it('refuses a log directory that is itself a symbolic link', () => {
    const {logDir, f} = layout()
    const link = join(tempDir('link'), 'logs')
    symlinkSync(logDir, link)
    let caught: unknown
    try {
      cleanupLogs(link, {days, now})
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(OrdermonError)
    expect((caught as OrdermonError).kind).toBe('invalidInput')
    expect((caught as Error).message).toMatch(/symbolic link/)
    expect(existsSync(f.u1Older)).toBe(true)
  })

  it('does nothing for a missing log directory, and refuses a bad number of days', () => {
    const missing = join(tempDir('none'), 'logs')
    expect(cleanupLogs(missing, {days, now})).toMatchObject({deleted: [], kept: 0, bytes_freed: 0, skipped_links: []})
    expect(existsSync(missing)).toBe(false)
    const {logDir} = layout()
    for (const bad of [0, -1, 1.5, 3651, Number.NaN]) expect(() => cleanupLogs(logDir, {days: bad, now}), String(bad)).toThrow(OrdermonError)
    // Nothing was deleted by the refused calls.
    expect(listFiles(logDir)).toHaveLength(13)
  })
})

describe('UserLogs', () => {
  it('writes logs/users/user_{id}/user_{id}_{YYYY-MM-DD}.log as JSON lines after flush()', async () => {
    const logDir = join(tempDir('userlogs'), 'logs')
    const logs = new UserLogs(logDir, 'info', 60_000)
    const day = dayOf(Date.now())
    logs.log('U000001', 'info', 'strategy STR001 running', {strategy_id: 'STR001'})
    logs.log('U000001', 'debug', 'too chatty') // below the level
    logs.log('U000001', 'warn', 'risk: max_position_size', {strategy_id: 'STR001'})
    logs.log('U000002', 'error', 'failed to load')
    const file1 = join(logDir, 'users', 'user_U000001', `user_U000001_${day}.log`)
    // Buffered: nothing on disk before the flush.
    expect(existsSync(file1)).toBe(false)
    await logs.flush()
    expect(UserLogs.fileFor(logDir, 'U000001', new Date())).toBe(file1)
    const lines = readFileSync(file1, 'utf8').split('\n')
    expect(lines.at(-1)).toBe('')
    const entries = lines.filter(Boolean).map((l) => JSON.parse(l))
    expect(entries).toEqual([
      {timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/), level: 'info', user_id: 'U000001', message: 'strategy STR001 running', strategy_id: 'STR001'},
      {timestamp: expect.any(String), level: 'warn', user_id: 'U000001', message: 'risk: max_position_size', strategy_id: 'STR001'},
    ])
    const file2 = join(logDir, 'users', 'user_U000002', `user_U000002_${day}.log`)
    expect(readFileSync(file2, 'utf8').trim().split('\n').map((l) => JSON.parse(l).message)).toEqual(['failed to load'])

    // Later entries are appended to the same file.
    logs.log('U000001', 'info', 'second batch')
    await logs.flush()
    expect(readFileSync(file1, 'utf8').trim().split('\n')).toHaveLength(3)
  })

  it('flushes by itself after flushMs, keeps debug lines at debug level, and never writes outside its folder', async () => {
    const root = tempDir('userlogs2')
    const logDir = join(root, 'logs')
    const logs = new UserLogs(logDir, 'debug', 20)
    logs.log('U1', 'debug', 'details')
    logs.log('../../escape', 'info', 'sneaky')
    const file = UserLogs.fileFor(logDir, 'U1', new Date())
    const deadline = Date.now() + 5000
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    await logs.flush()
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toMatchObject({level: 'debug', message: 'details', user_id: 'U1'})
    // The id is made safe for a file name: everything stays under logs/users.
    expect(listFiles(root).every((p) => p.startsWith(join('logs', 'users')))).toBe(true)
    expect(listFiles(root)).toHaveLength(2)
  })
})
