import {Flags} from '@oclif/core'
import {BaseCommand} from '../../../cli/base-command.js'
import {success} from '../../../cli/output.js'
import type {AlertRecord} from '../../../engine/index.js'

export default class AckAlert extends BaseCommand<typeof AckAlert> {
  static override summary = 'Acknowledge an open alert: it stays open until its condition clears, without reminders.'
  static override examples = ['<%= config.bin %> monitor alerts ack --id 42 --note "disk being replaced"']

  static override flags = {
    id: Flags.integer({required: true, min: 1, description: 'The alert id (see `monitor alerts`).'}),
    note: Flags.string({description: 'Why, for the next person on call (at most 512 characters).'}),
  }

  async run(): Promise<AlertRecord> {
    const engine = await this.engine()
    const alert = await engine.alerts.acknowledge(this.flags.id, this.actor(), this.flags.note)
    this.log(success(`Alert ${alert.id} (${alert.rule}) acknowledged.`))
    return alert
  }
}
