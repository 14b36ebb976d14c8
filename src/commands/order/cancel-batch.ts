import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'
import {success} from '../../cli/output.js'
import {progressBar} from '../../cli/progress.js'
import {confirm, interactive} from '../../cli/prompt.js'
import {openOrderStatuses, OrdermonError, type BatchResult} from '../../engine/index.js'

export default class OrderCancelBatch extends BaseCommand<typeof OrderCancelBatch> {
  static override summary = "Cancel a user's open orders in batches; safe to interrupt and run again."
  static override description = 'Each batch commits on its own, so Ctrl-C leaves every order either cancelled (with its history) or untouched; run the command again to finish.'
  static override examples = ['<%= config.bin %> order cancel-batch --user-id U000001 --status pending', '<%= config.bin %> order cancel-batch --user-id U000001 --symbol AAPL --yes']

  static override flags = {
    'user-id': Flags.string({required: true, description: 'Whose orders.'}),
    status: Flags.string({options: [...openOrderStatuses], multiple: true, description: 'Only orders in this status (default: all open).'}),
    symbol: Flags.string({description: 'Only orders for this symbol.'}),
    'strategy-id': Flags.string({description: 'Only orders of this strategy.'}),
    'batch-size': Flags.integer({default: 500, min: 1, max: 10_000, description: 'Orders per transaction.'}),
    yes: yesFlag,
  }

  async run(): Promise<BatchResult> {
    const f = this.flags
    const engine = await this.engine()
    const filter = {user_id: f['user-id'], status: f.status, symbol: f.symbol, strategy_id: f['strategy-id']}
    const count = await engine.orders.countForBatch(filter)
    if (count === 0) {
      this.log('No open orders match; nothing to cancel.')
      return {matched: 0, cancelled: 0, skipped: 0, interrupted: false}
    }
    if (!f.yes) {
      if (!interactive()) throw new OrdermonError('invalidInput', `Refusing to cancel ${count} order(s) without confirmation on a non-interactive terminal.`, {hint: 'Add --yes.'})
      if (!(await confirm(`Cancel ${count} open order(s) of ${f['user-id']}?`))) throw new OrdermonError('aborted', 'Nothing cancelled.')
    }
    // Ctrl-C finishes the batch in flight (it commits or rolls back whole) and stops before the next.
    const controller = new AbortController()
    const onSignal = () => controller.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const bar = progressBar('Cancelling')
    try {
      const r = await engine.orders.cancelBatch(filter, this.actor(), {batchSize: f['batch-size'], signal: controller.signal, onProgress: (p) => bar.update(p.done, p.total)})
      bar.done()
      if (r.interrupted) {
        this.logToStderr(`Interrupted: ${r.cancelled} of ${r.matched} cancelled; the rest are untouched. Run the same command again to finish.`)
        process.exitCode = 130
      } else this.log(success(`Cancelled ${r.cancelled} order(s)${r.skipped ? `; ${r.skipped} had already left the open states` : ''}.`))
      return r
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
