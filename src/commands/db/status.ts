import {BaseCommand} from '../../cli/base-command.js'
import {renderTable} from '../../cli/output.js'
import {migrationStatus, type MigrationStatus} from '../../engine/store/index.js'

export default class DbStatus extends BaseCommand<typeof DbStatus> {
  static override summary = 'Show which migrations are applied and which are pending.'
  static override examples = ['<%= config.bin %> db status']

  async run(): Promise<{database: string; backend: string; pending: number; migrations: MigrationStatus[]}> {
    const engine = await this.engine({requireSchema: false})
    const migrations = await migrationStatus(engine.db.knex)
    const pending = migrations.filter((m) => !m.applied).length
    this.log(`Database: ${engine.db.label} (${engine.db.client})`)
    this.log(renderTable<MigrationStatus>([{header: 'Migration', get: (m) => m.name}, {header: 'State', get: (m) => (m.applied ? 'applied' : 'pending')}], migrations))
    this.log(pending ? `${pending} pending: run \`ordermon db migrate\`.` : 'Up to date.')
    return {database: engine.db.label, backend: engine.db.client, pending, migrations}
  }
}
