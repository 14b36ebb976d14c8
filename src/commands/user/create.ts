import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {list, passwordFlags, readPassword} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import {userRecord} from '../../cli/views/users.js'
import {permissionNames, userRoles, userStatuses, userTypes, type User} from '../../engine/index.js'

export default class UserCreate extends BaseCommand<typeof UserCreate> {
  static override summary = 'Create a trading user.'
  static override examples = [
    '<%= config.bin %> user create --username trader001 --password password123 --name "张三" --email trader001@example.com --type professional',
    'echo "$PASS" | <%= config.bin %> user create --username trader002 --password-stdin --type institutional --permissions order_create,order_query --group desk-b',
  ]

  static override flags = {
    username: Flags.string({char: 'u', required: true, description: 'Login name: 3-64 letters, digits, _ . -'}),
    ...passwordFlags('password', 'Initial password.'),
    name: Flags.string({description: 'Full name, any script (张三).'}),
    email: Flags.string({description: 'Email address.'}),
    phone: Flags.string({description: 'Phone number.'}),
    type: Flags.string({options: [...userTypes], default: 'personal', description: 'Account type.'}),
    role: Flags.string({options: [...userRoles], default: 'trader', description: 'Role; sets the default permissions.'}),
    permissions: Flags.string({description: `Comma-separated permissions instead of the role's defaults: ${permissionNames.join(', ')}.`}),
    group: Flags.string({description: 'User group (desk, team).'}),
    status: Flags.string({options: [...userStatuses], default: 'active', description: 'Initial status.'}),
    'user-id': Flags.string({description: 'Explicit user id (e.g. "001"); default U000001, U000002...'}),
  }

  async run(): Promise<User> {
    const f = this.flags
    const password = await readPassword(f, 'password')
    const engine = await this.engine()
    const user = await engine.users.create(
      {username: f.username, password, name: f.name, email: f.email, phone: f.phone, type: f.type, role: f.role, permissions: list(f.permissions), group: f.group, status: f.status, user_id: f['user-id']},
      this.actor(),
    )
    this.log(success(`Created user ${user.username} (${user.user_id}).`))
    this.log(userRecord(user))
    return user
  }
}
