import {BaseCommand} from '../../cli/base-command.js'
import {renderTable} from '../../cli/output.js'
import type {MigrationStatus} from '../../engine/index.js'

export default class DbStatus extends BaseCommand<typeof DbStatus> {
  static override summary = 'Show which migrations are applied and which are pending.'
  static override examples = ['<%= config.bin %> db status']

  async run(): Promise<{database: string; backend: string; pending: number; migrations: MigrationStatus[]}> {
    const engine = await this.engine({requireSchema: false})
    const migrations = await engine.schema.status()
    const pending = migrations.filter((m) => !m.applied).length
    this.log(`Database: ${engine.database.label} (${engine.database.backend})`)
    this.log(renderTable<MigrationStatus>([{header: 'Migration', get: (m) => m.name}, {header: 'State', get: (m) => (m.applied ? 'applied' : 'pending')}], migrations))
    this.log(pending ? `${pending} pending: run \`ordermon db migrate\`.` : 'Up to date.')
    return {database: engine.database.label, backend: engine.database.backend, pending, migrations}
  }
}
