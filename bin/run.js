#!/usr/bin/env node
// What ordermon writes (database, engine state, logs, pidfile) is its owner's alone: no group/other
// bits, whatever umask the shell had (a stricter one is kept).
process.umask(process.umask() | 0o077)
// Compile cache first: it halves the cost of loading oclif and knex on every invocation.
import module from 'node:module'
module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
