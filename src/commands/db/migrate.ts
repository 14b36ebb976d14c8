import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'

export default class DbMigrate extends BaseCommand<typeof DbMigrate> {
  static override summary = 'Create the database if needed and apply pending migrations.'
  static override examples = ['<%= config.bin %> db migrate', 'ORDERMON_DATABASE_URL=mysql://root@127.0.0.1:3306/ordermon <%= config.bin %> db migrate']

  async run(): Promise<{database: string; applied: string[]}> {
    const engine = await this.engine({create: true, requireSchema: false})
    const applied = await engine.schema.migrate()
    this.log(applied.length ? success(`Applied ${applied.length} migration(s) to ${engine.database.label}:\n  ${applied.join('\n  ')}`) : `${engine.database.label} is up to date.`)
    return {database: engine.database.label, applied}
  }
}
