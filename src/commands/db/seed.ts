import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import {progressBar} from '../../cli/progress.js'
import type {SampleDataResult} from '../../engine/index.js'

export default class DbSeed extends BaseCommand<typeof DbSeed> {
  static override summary = 'Load sample users, strategies and orders (does nothing if they exist).'
  static override examples = ['<%= config.bin %> db seed', '<%= config.bin %> db seed --orders 500']

  static override flags = {
    orders: Flags.integer({default: 40, min: 6, max: 100_000, description: 'How many sample orders (spread over every status).'}),
  }

  async run(): Promise<SampleDataResult> {
    const engine = await this.engine()
    // The bar draws on a terminal's stderr only; --json output stays one document either way.
    const bar = this.jsonEnabled() ? undefined : progressBar('Seeding')
    const result = await engine.schema.seedSample(this.actor(), {orders: this.flags.orders, onProgress: bar?.update}).finally(() => bar?.done())
    this.log(
      result.created
        ? success(`Loaded sample data: ${result.users} users, ${result.strategies} strategies, ${result.orders} orders, ${result.fills} fills.`)
        : 'Sample data is already loaded; nothing changed.',
    )
    return result
  }
}
