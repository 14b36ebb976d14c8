#!/usr/bin/env node
// What ordermon writes (database, engine state, logs, pidfile) is its owner's alone: no group/other
// bits, whatever umask the shell had (a stricter one is kept).
process.umask(process.umask() | 0o077)
// Compile cache first: it halves the cost of loading oclif and knex on every invocation.
import module from 'node:module'
module.enableCompileCache?.()

const argv = process.argv.slice(2)

// `-h` means --help, as users expect (`ordermon -h`, `ordermon user list -h`), unless the command
// itself defines a flag with char 'h' (none does today). Only looked at when `-h` is given, before `--`.
const h = argv.indexOf('-h')
const end = argv.indexOf('--')
if (h !== -1 && (end === -1 || h < end) && !(await commandOwnsDashH(argv))) argv[h] = '--help'

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url, args: argv})

/** Whether the command named by the leading words of argv declares a flag `-h`, per the manifest. */
async function commandOwnsDashH(args) {
  const {readFileSync} = await import('node:fs')
  let commands
  try {
    commands = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8')).commands ?? {}
  } catch {
    return false
  }
  const words = []
  for (const a of args) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  for (let n = words.length; n > 0; n--) {
    const command = commands[words.slice(0, n).join(':')]
    if (command) return Object.values(command.flags ?? {}).some((f) => f.char === 'h')
  }
  return false
}
