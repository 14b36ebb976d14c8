import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {cleanupLogs, type CleanupResult} from '../../engine/index.js'

export default class CleanupLogs extends BaseCommand<typeof CleanupLogs> {
  static override summary = 'Delete log files older than N days (quiet on success, for cron).'
  static override description = `Only *.log files under the log directory, never today's, never through a symbolic link. Safe while the engine runs; running it twice is harmless.
Crontab: 15 3 * * * cd /srv/ordermon && npx ordermon system cleanup-logs --days 7`
  static override examples = ['<%= config.bin %> system cleanup-logs --days 30', '<%= config.bin %> system cleanup-logs --days 7 --dry-run']

  static override flags = {
    days: Flags.integer({min: 1, max: 3650, description: 'Keep this many days (default: logging.retention_days, 7).'}),
    'dry-run': Flags.boolean({description: 'Only list what would be deleted.'}),
  }

  async run(): Promise<CleanupResult> {
    const loaded = this.config_()
    const r = await cleanupLogs(loaded, {days: this.flags.days, dryRun: this.flags['dry-run']})
    if (this.flags['dry-run']) {
      for (const f of r.deleted) this.log(f)
      this.logToStderr(`${r.deleted.length} file(s), ${r.bytes_freed} bytes would be deleted (keeping ${r.cutoff} and later).`)
    } else if (this.flags.verbose) this.logToStderr(`Deleted ${r.deleted.length} file(s), ${r.bytes_freed} bytes.`)
    for (const link of r.skipped_links) this.logToStderr(`Skipped symbolic link ${link}.`)
    return r
  }
}
