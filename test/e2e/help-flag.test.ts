import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'

/**
 * `-h` is --help everywhere: the bare binary, topics and every command in the built manifest. bin/run.js
 * rewrites it only when the command has no `-h` flag of its own; none has, and this keeps it so.
 */
const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../oclif.manifest.json', import.meta.url)), 'utf8')) as {
  commands: Record<string, {flags: Record<string, {char?: string}>}>
}
const ids = Object.keys(manifest.commands).sort()
const words = (id: string) => id.split(':')

describe('-h', () => {
  it('is claimed by no command as its own flag', () => {
    const owners = ids.filter((id) => Object.values(manifest.commands[id]!.flags).some((f) => f.char === 'h'))
    expect(owners).toEqual([])
  })

  it('on the bare binary prints the same help as --help', async () => {
    const [short, long] = await Promise.all([runCli(['-h']), runCli(['--help'])])
    expect(short.code, short.stderr).toBe(0)
    expect(short.stdout).toBe(long.stdout)
    expect(short.stdout).toMatch(/USAGE|COMMANDS|TOPICS/)
  })

  it('on a topic prints the topic help', async () => {
    const [short, long] = await Promise.all([runCli(['user', '-h']), runCli(['user', '--help'])])
    expect(short.code, short.stderr).toBe(0)
    expect(short.stdout).toBe(long.stdout)
    expect(short.stdout).toContain('user list')
  })

  it('after `--` is left to the command (an argument, not help)', async () => {
    const r = await runCli(['user', 'show', '--', '-h'])
    expect(r.code).toBe(2)
    expect(r.stdout).not.toContain('USAGE')
  })

  // Two at a time: the machine has two cores shared with other suites.
  it(`on each of the ${ids.length} commands prints the same help as --help, exit 0`, async () => {
    const problems: string[] = []
    const queue = [...ids]
    const worker = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const short = await runCli([...words(id), '-h'])
        const long = await runCli([...words(id), '--help'])
        if (short.code !== 0) problems.push(`${id}: exit ${short.code} ${short.stderr.trim()}`)
        else if (short.stdout !== long.stdout) problems.push(`${id}: -h output differs from --help`)
        else if (!short.stdout.includes(`ordermon ${words(id).join(' ')}`)) problems.push(`${id}: help does not show the usage line`)
      }
    }
    await Promise.all([worker(), worker()])
    expect(problems).toEqual([])
  }, 180_000)
})
