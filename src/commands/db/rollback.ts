import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import {confirm, interactive} from '../../cli/prompt.js'
import {OrdermonError} from '../../engine/index.js'

export default class DbRollback extends BaseCommand<typeof DbRollback> {
  static override summary = 'Undo the last batch of migrations (or all of them with --all).'
  static override description = 'Rolling back drops tables and the data in them, so it asks first; scripts pass --yes.'
  static override examples = ['<%= config.bin %> db rollback', '<%= config.bin %> db rollback --all --yes']

  static override flags = {
    all: Flags.boolean({description: 'Undo every migration (drops the whole schema).'}),
    yes: yesFlag,
  }

  async run(): Promise<{database: string; rolled_back: string[]}> {
    const engine = await this.engine({requireSchema: false})
    if (!this.flags.yes) {
      if (!interactive()) throw new OrdermonError('invalidInput', 'Refusing to roll back without confirmation on a non-interactive terminal.', {hint: 'Add --yes.'})
      if (!(await confirm(`Roll back ${this.flags.all ? 'ALL migrations' : 'the last batch'} on ${engine.database.label}? Tables and their data will be dropped.`)))
        throw new OrdermonError('aborted', 'Nothing rolled back.')
    }
    const names = await engine.schema.rollback(this.flags.all)
    this.log(names.length ? success(`Rolled back ${names.length} migration(s):\n  ${names.join('\n  ')}`) : 'Nothing to roll back.')
    return {database: engine.database.label, rolled_back: names}
  }
}
