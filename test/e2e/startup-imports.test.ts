import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

// `ordermon --version` and `ordermon user list` must stay fast: they may not load the engine runtime,
// Ink or React. A resolve hook records every module each command loads.
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const hook = fileURLToPath(new URL('../helpers/record-imports.mjs', import.meta.url))

describe('what a quick command loads', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ordermon-imports-'))
    const r = spawnSync(process.execPath, [bin, 'init', '--sample-data'], {cwd: dir, env: {PATH: process.env.PATH, HOME: dir, ORDERMON_HOME: join(dir, 'home')}, encoding: 'utf8'})
    expect(r.status, r.stderr).toBe(0)
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  const loads = (args: string[]) => {
    const log = join(dir, `imports-${args.join('-').replace(/\W+/g, '_')}.txt`)
    const r = spawnSync(process.execPath, ['--import', hook, bin, ...args], {cwd: dir, env: {PATH: process.env.PATH, HOME: dir, ORDERMON_HOME: join(dir, 'home'), ORDERMON_IMPORT_LOG: log}, encoding: 'utf8'})
    expect(r.status, r.stderr).toBe(0)
    return readFileSync(log, 'utf8').split('\n').filter(Boolean)
  }

  for (const args of [['--version'], ['user', 'list']]) {
    it(`ordermon ${args.join(' ')} loads neither the engine runtime nor Ink nor React nor the prompt libraries`, () => {
      const urls = loads(args)
      // The hook works: the command's own modules are recorded.
      expect(urls.some((u) => u.includes('@oclif/core'))).toBe(true)
      if (args[0] === 'user') expect(urls.some((u) => u.endsWith('/commands/user/list.js'))).toBe(true)
      expect(urls.filter((u) => /\/engine\/runtime\//.test(u))).toEqual([])
      expect(urls.filter((u) => /node_modules\/(ink|react|react-reconciler|yoga-layout)\//.test(u))).toEqual([])
      expect(urls.filter((u) => /node_modules\/(ioredis|systeminformation)\//.test(u))).toEqual([])
      // Inquirer is imported only when a prompt is shown.
      expect(urls.filter((u) => /node_modules\/@inquirer\//.test(u))).toEqual([])
    })
  }
})
