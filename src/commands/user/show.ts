import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {userRef, userRefFlags} from '../../cli/flags.js'
import {userDetails} from '../../cli/views/users.js'
import type {UserDetails} from '../../engine/index.js'

export default class UserShow extends BaseCommand<typeof UserShow> {
  static override summary = 'Show a user: details, permissions, login history and operation log.'
  static override examples = ['<%= config.bin %> user show --username trader001']

  static override flags = {
    ...userRefFlags,
    history: Flags.integer({default: 10, min: 1, max: 1000, description: 'How many login and operation rows to show.'}),
  }

  async run(): Promise<UserDetails> {
    const engine = await this.engine()
    const details = await engine.users.show(userRef(this.flags), {history: this.flags.history})
    this.log(userDetails(details))
    return details
  }
}
