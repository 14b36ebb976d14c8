import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'
import {checkApiConfig} from '../../engine/index.js'

export default class ApiServe extends BaseCommand<typeof ApiServe> {
  static override summary = 'Serve the REST API (/api/v1) without the engine, until Ctrl-C or SIGTERM.'
  static override description = `Reads server.* (host, port, workers, timeout, ssl, rate_limit) from config/server.yaml and needs security.jwt_secret (JWT_SECRET_KEY), at least 32 characters. Orders placed here are picked up by the engine that runs on the same database. \`ordermon start\` serves the same API beside the engine when server.enabled is true.`
  static override examples = ['<%= config.bin %> api serve', '<%= config.bin %> api serve --port 8080 --workers 2', 'JWT_SECRET_KEY=... <%= config.bin %> api serve --host 0.0.0.0']

  static override flags = {
    host: Flags.string({description: 'Address to listen on (server.host, default 127.0.0.1).'}),
    port: Flags.integer({min: 0, max: 65_535, description: 'Port (server.port, default 8000; 0 picks a free one).'}),
    workers: Flags.integer({min: 1, max: 256, description: 'Processes sharing the port (server.workers).'}),
    'log-requests': Flags.boolean({description: 'Log every request as a JSON line on stdout.'}),
  }

  async run(): Promise<{url: string; port: number; workers: number}> {
    const loaded = this.config_({'server.host': this.flags.host, 'server.port': this.flags.port, 'server.workers': this.flags.workers})
    checkApiConfig(loaded.config)
    const workers = await import('../../api/workers.js')
    const {serveApi} = await import('../../api/serve.js')
    const n = loaded.config.server.workers
    let stop: () => void = () => {}
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    process.once('SIGINT', () => stop())
    process.once('SIGTERM', () => stop())

    if (workers.isApiWorker()) {
      let api: Awaited<ReturnType<typeof serveApi>>
      try {
        api = await serveApi({loaded, version: this.config.version, logger: this.flags['log-requests']})
      } catch (error) {
        await workers.reportFailure(error)
        if (process.connected) process.disconnect()
        return this.exit(2)
      }
      workers.reportListening(api.url)
      // The primary's SIGTERM, or the primary gone (the IPC channel closes).
      await Promise.race([stopped, new Promise<void>((resolve) => process.once('disconnect', () => resolve()))])
      await api.close()
      // The IPC channel to the primary would keep this process alive after the server closed.
      if (process.connected) process.disconnect()
      return {url: api.url, port: api.port, workers: n}
    }

    let fatal: Error | undefined
    const running =
      n > 1
        ? await workers.forkWorkers(n, {notice: (line) => this.logToStderr(line), onGiveUp: (error) => ((fatal = error), stop())})
        : await serveApi({loaded, version: this.config.version, logger: this.flags['log-requests']})
    this.logToStderr(success(`REST API on ${running.url}${n > 1 ? ` in ${n} processes` : ''} (OpenAPI: ${running.url}/openapi.json). Ctrl-C to stop.`))
    await stopped
    await running.close()
    if (fatal) throw fatal
    this.logToStderr('API stopped.')
    const port = Number(new URL(running.url).port)
    return {url: running.url, port, workers: n}
  }
}
