import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {pageFooter, renderTable} from '../../cli/output.js'
import {userColumns} from '../../cli/views/users.js'
import {userStatuses, userTypes, type UserList} from '../../engine/index.js'

export default class ListUsers extends BaseCommand<typeof ListUsers> {
  static override summary = 'List users, filtered and paged.'
  static override examples = [
    '<%= config.bin %> user list --status active --type professional --limit 20',
    '<%= config.bin %> user list --search 张 --page 2',
    '<%= config.bin %> user list --json | jq ".users[].username"',
  ]

  static override flags = {
    status: Flags.string({options: [...userStatuses], description: 'Only users with this status.'}),
    type: Flags.string({options: [...userTypes], description: 'Only users of this type.'}),
    group: Flags.string({description: 'Only users in this group.'}),
    search: Flags.string({char: 's', description: 'Text to find in username, name or email (or an exact user id).'}),
    limit: Flags.integer({char: 'l', default: 20, min: 1, max: 1000, description: 'Rows per page.'}),
    page: Flags.integer({char: 'p', default: 1, min: 1, description: 'Page number, from 1.'}),
  }

  async run(): Promise<UserList> {
    const f = this.flags
    const engine = await this.engine()
    const result = await engine.users.list({status: f.status, type: f.type, group: f.group, search: f.search, limit: f.limit, page: f.page})
    this.log(renderTable(userColumns, result.users))
    const footer = pageFooter(result.total, result.page, result.limit, 'user(s)')
    if (footer) this.logToStderr(footer)
    return result
  }
}
