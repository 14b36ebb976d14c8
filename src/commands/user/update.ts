import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {list, userRef, userRefFlags} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import {userRecord} from '../../cli/views/users.js'
import {userRoles, userTypes, type User} from '../../engine/index.js'

export default class UserUpdate extends BaseCommand<typeof UserUpdate> {
  static override summary = "Change a user's name, contact details, type, role, permissions or group."
  static override examples = ['<%= config.bin %> user update --username trader002 --name "李四四" --email trader002_new@example.com']

  static override flags = {
    ...userRefFlags,
    name: Flags.string({description: 'Full name.'}),
    email: Flags.string({description: 'Email address.'}),
    phone: Flags.string({description: 'Phone number.'}),
    type: Flags.string({options: [...userTypes], description: 'Account type.'}),
    role: Flags.string({options: [...userRoles], description: 'Role.'}),
    permissions: Flags.string({description: 'Comma-separated permissions (replaces the current list).'}),
    group: Flags.string({description: 'User group.'}),
  }

  async run(): Promise<{user: User; changed: string[]}> {
    const f = this.flags
    const engine = await this.engine()
    const result = await engine.users.update(
      userRef(f),
      {name: f.name, email: f.email, phone: f.phone, type: f.type, role: f.role, permissions: list(f.permissions), group: f.group},
      this.actor(),
    )
    this.log(result.changed.length ? success(`Updated ${result.user.username}: ${result.changed.join(', ')}.`) : `Nothing changed for ${result.user.username}.`)
    this.log(userRecord(result.user))
    return result
  }
}
