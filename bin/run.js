#!/usr/bin/env node
// Compile cache first: it halves the cost of loading oclif and knex on every invocation.
import module from 'node:module'
module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
