import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {userRef, userRefFlags, yesFlag} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import {confirm, interactive} from '../../cli/prompt.js'
import {OrdermonError, type DeleteResult} from '../../engine/index.js'

export default class UserDelete extends BaseCommand<typeof UserDelete> {
  static override summary = 'Delete a user with their strategies, orders and history.'
  static override description = 'Asks for confirmation on a terminal; scripts pass --yes. A user with open orders is refused unless --force.'
  static override examples = ['<%= config.bin %> user delete --username trader003', '<%= config.bin %> user delete --user-id U000003 --yes --force']

  static override flags = {
    ...userRefFlags,
    yes: yesFlag,
    force: Flags.boolean({description: 'Delete even when the user has open orders.'}),
  }

  async run(): Promise<DeleteResult> {
    const engine = await this.engine()
    const ref = userRef(this.flags)
    if (!this.flags.yes) {
      if (!interactive()) throw new OrdermonError('invalidInput', 'Refusing to delete without confirmation on a non-interactive terminal.', {hint: 'Add --yes.'})
      const {user, removed} = await engine.users.deletionImpact(ref)
      const ok = await confirm(
        `Delete user ${user.username} (${user.user_id}) with ${removed.strategies} strateg${removed.strategies === 1 ? 'y' : 'ies'} and ${removed.orders} order(s), ${removed.open_orders} open?`,
      )
      if (!ok) throw new OrdermonError('aborted', 'Not deleted.')
    }
    const result = await engine.users.delete(ref, {force: this.flags.force}, this.actor())
    this.log(success(`Deleted user ${result.user.username} (${result.user.user_id}): ${result.removed.strategies} strategies, ${result.removed.orders} orders removed.`))
    return result
  }
}
