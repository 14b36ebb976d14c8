import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {renderTable} from '../../cli/output.js'
import {describeConfig, type ConfigEntry} from '../../engine/index.js'

export default class SystemConfig extends BaseCommand<typeof SystemConfig> {
  static override summary = 'Print the effective configuration and where each value came from (secrets hidden).'
  static override examples = ['<%= config.bin %> system config', '<%= config.bin %> system config --key database', 'ORDERMON_ENV=production <%= config.bin %> system config --json']

  static override flags = {
    key: Flags.string({char: 'k', description: 'Only keys starting with this prefix (e.g. database, order.validation).'}),
  }

  async run(): Promise<{environment: string; home: string; entries: ConfigEntry[]}> {
    const loaded = this.config_()
    const prefix = this.flags.key
    const entries = describeConfig(loaded).filter((e) => !prefix || e.key === prefix || e.key.startsWith(`${prefix}.`))
    this.log(renderTable<ConfigEntry>([{header: 'Key', get: (e) => e.key}, {header: 'Value', get: (e) => e.value}, {header: 'Source', get: (e) => e.source}], entries))
    return {environment: loaded.config.env, home: loaded.paths.home, entries}
  }
}
