import {BaseCommand} from '../../cli/base-command.js'
import {passwordFlags, readPassword, userRef, userRefFlags} from '../../cli/flags.js'
import {success} from '../../cli/output.js'

export default class UserResetPassword extends BaseCommand<typeof UserResetPassword> {
  static override summary = "Set a new password for a user."
  static override examples = [
    '<%= config.bin %> user reset-password --username trader001 --new-password newpassword123',
    'printf "%s\\n" "$NEW" | <%= config.bin %> user reset-password --username trader001 --new-password-stdin',
  ]

  static override flags = {
    ...userRefFlags,
    ...passwordFlags('new-password', 'The new password.'),
  }

  async run(): Promise<{user_id: string; username: string; password_reset: true}> {
    const password = await readPassword(this.flags, 'new-password')
    const engine = await this.engine()
    const user = await engine.users.resetPassword(userRef(this.flags), password, this.actor())
    this.log(success(`Password of ${user.username} reset.`))
    return {user_id: user.user_id, username: user.username, password_reset: true}
  }
}
