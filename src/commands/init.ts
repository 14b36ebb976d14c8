import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {readPassword} from '../cli/flags.js'
import {success} from '../cli/output.js'
import {progressBar} from '../cli/progress.js'
import type {SampleDataResult} from '../engine/index.js'

interface InitResult {
  database: string
  backend: string
  migrations_applied: string[]
  admin?: {user_id: string; username: string}
  sample_data?: SampleDataResult
}

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Create the database, apply migrations, and optionally an admin and sample data.'
  static override description = 'Safe to run again: existing data is kept, and sample data is loaded only once.'
  static override examples = [
    '<%= config.bin %> init --sample-data',
    'echo "$ADMIN_PASS" | <%= config.bin %> init --admin-username admin --admin-password-stdin --admin-email admin@example.com',
  ]

  static override flags = {
    'sample-data': Flags.boolean({description: 'Load sample users, strategies (momentum, arbitrage, grid) and orders in every status.'}),
    'admin-username': Flags.string({description: 'Also create an administrator with this username.'}),
    'admin-password': Flags.string({dependsOn: ['admin-username'], description: 'Password of that administrator.'}),
    'admin-password-stdin': Flags.boolean({dependsOn: ['admin-username'], description: "Read the administrator's password from standard input."}),
    'admin-email': Flags.string({dependsOn: ['admin-username'], description: 'Email of that administrator.'}),
  }

  async run(): Promise<InitResult> {
    const f = this.flags
    const adminPassword = f['admin-username'] ? await readPassword(f, 'admin-password') : undefined
    const engine = await this.engine({create: true, requireSchema: false})
    const applied = await engine.schema.migrate()
    const result: InitResult = {database: engine.database.label, backend: engine.database.backend, migrations_applied: applied}
    this.log(success(`Database ready: ${engine.database.label} (${applied.length} migration(s) applied).`))
    if (f['admin-username']) {
      const existing = await engine.users.find({username: f['admin-username']}).catch(() => undefined)
      if (existing) {
        // Running init again must not fail, nor silently reset a password.
        result.admin = {user_id: existing.user_id, username: existing.username}
        this.log(`User ${existing.username} (${existing.user_id}) already exists; left as it is (use \`ordermon user reset-password\` to change its password).`)
      } else {
        const admin = await engine.users.createAdmin({username: f['admin-username'], password: adminPassword!, email: f['admin-email']}, this.actor())
        result.admin = {user_id: admin.user_id, username: admin.username}
        this.log(success(`Administrator ${admin.username} (${admin.user_id}) created.`))
      }
    }
    if (f['sample-data']) {
      const bar = this.jsonEnabled() ? undefined : progressBar('Loading sample data')
      result.sample_data = await engine.schema.seedSample(this.actor(), {onProgress: bar?.update}).finally(() => bar?.done())
      const s = result.sample_data
      this.log(s.created ? success(`Sample data: ${s.users} users, ${s.strategies} strategies, ${s.orders} orders, ${s.fills} fills.`) : 'Sample data already present.')
    }
    this.log('Next: `ordermon user list`')
    return result
  }
}
