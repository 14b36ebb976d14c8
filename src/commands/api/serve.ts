import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {success} from '../../cli/output.js'

export default class ApiServe extends BaseCommand<typeof ApiServe> {
  static override summary = 'Serve the REST API (/api/v1) without the engine, until Ctrl-C or SIGTERM.'
  static override description = `Reads server.* (host, port, timeout, ssl, rate_limit) from config/server.yaml and needs security.jwt_secret (JWT_SECRET_KEY), at least 32 characters. Orders placed here are picked up by the engine that runs on the same database. \`ordermon start\` serves the same API beside the engine when server.enabled is true.`
  static override examples = ['<%= config.bin %> api serve', '<%= config.bin %> api serve --port 8080', 'JWT_SECRET_KEY=... <%= config.bin %> api serve --host 0.0.0.0']

  static override flags = {
    host: Flags.string({description: 'Address to listen on (server.host, default 127.0.0.1).'}),
    port: Flags.integer({min: 0, max: 65_535, description: 'Port (server.port, default 8000; 0 picks a free one).'}),
    'log-requests': Flags.boolean({description: 'Log every request as a JSON line on stdout.'}),
  }

  async run(): Promise<{url: string; port: number}> {
    const loaded = this.config_({'server.host': this.flags.host, 'server.port': this.flags.port})
    const {serveApi} = await import('../../api/serve.js')
    const api = await serveApi({loaded, version: this.config.version, logger: this.flags['log-requests']})
    this.logToStderr(success(`REST API on ${api.url} (OpenAPI: ${api.url}/openapi.json). Ctrl-C to stop.`))
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await api.close()
    this.logToStderr('API stopped.')
    return {url: api.url, port: api.port}
  }
}
