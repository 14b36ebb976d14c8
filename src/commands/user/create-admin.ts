import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {passwordFlags, readPassword} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import type {User} from '../../engine/index.js'

export default class UserCreateAdmin extends BaseCommand<typeof UserCreateAdmin> {
  static override summary = 'Create an administrator with every permission.'
  static override examples = ['<%= config.bin %> user create-admin --username admin --password admin123 --email admin@example.com']

  static override flags = {
    username: Flags.string({char: 'u', required: true, description: 'Login name.'}),
    ...passwordFlags('password', 'Password.'),
    email: Flags.string({description: 'Email address.'}),
    name: Flags.string({description: 'Full name.'}),
  }

  async run(): Promise<User> {
    const password = await readPassword(this.flags, 'password')
    const engine = await this.engine()
    const user = await engine.users.createAdmin({username: this.flags.username, password, email: this.flags.email, name: this.flags.name}, this.actor())
    this.log(success(`Created administrator ${user.username} (${user.user_id}).`))
    return user
  }
}
