import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {userRef, userRefFlags} from '../../cli/flags.js'
import {colorStatus, success} from '../../cli/output.js'
import {userStatuses, type User, type UserStatus} from '../../engine/index.js'

export default class SetUserStatus extends BaseCommand<typeof SetUserStatus> {
  static override summary = "Change a user's status: active, suspended or locked."
  static override description = 'A suspended or locked user is no longer monitored by the engine and cannot start strategies or place orders.'
  static override examples = ['<%= config.bin %> user status --username trader001 --status suspended --reason "margin call"']

  static override flags = {
    ...userRefFlags,
    status: Flags.string({required: true, options: [...userStatuses], description: 'New status.'}),
    reason: Flags.string({description: 'Why (kept in the audit log and the event).'}),
  }

  async run(): Promise<{user: User; previous: UserStatus; changed: boolean}> {
    const engine = await this.engine()
    const result = await engine.users.setStatus(userRef(this.flags), this.flags.status, this.actor(), this.flags.reason)
    this.log(
      result.changed
        ? success(`User ${result.user.username}: ${colorStatus(result.previous)} -> ${colorStatus(result.user.status)}`)
        : `User ${result.user.username} is already ${colorStatus(result.user.status)}; nothing changed.`,
    )
    return result
  }
}
