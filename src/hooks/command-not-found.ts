import type {Hook} from '@oclif/core'

/** An unknown command is a usage error like any other: one line, exit code 2. */
const hook: Hook<'command_not_found'> = async function (options) {
  const id = options.id.replaceAll(':', ' ')
  process.stderr.write(`Error: command "${id}" not found. Run \`${options.config.bin} --help\` for the commands.\n`)
  process.exit(2)
}

export default hook
