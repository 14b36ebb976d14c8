import {readFileSync} from 'node:fs'
import {invalidInput, openApiServices, type LoadedConfig} from '../engine/index.js'
import {buildApiServer} from './server.js'

/** The API listening: where, and how to stop it (the server first, then the database). */
export interface RunningApi {
  url: string
  port: number
  close(): Promise<void>
}

function tls(config: LoadedConfig['config']): {cert: Buffer; key: Buffer} | undefined {
  const ssl = config.server.ssl
  if (!ssl.enabled) return undefined
  if (!ssl.cert_file || !ssl.key_file) throw invalidInput('server.ssl.enabled needs server.ssl.cert_file and server.ssl.key_file.', 'Set them in config/server.yaml.')
  try {
    return {cert: readFileSync(ssl.cert_file), key: readFileSync(ssl.key_file)}
  } catch (error) {
    throw invalidInput(`Cannot read the TLS certificate or key: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, 'Check server.ssl.cert_file and key_file.')
  }
}

/** Opens the services and listens on server.host:server.port (port 0: any free port). */
export async function serveApi(options: {loaded: LoadedConfig; version: string; logger?: boolean}): Promise<RunningApi> {
  const {config} = options.loaded
  const https = tls(config)
  const services = await openApiServices({loaded: options.loaded})
  try {
    const app = await buildApiServer({services, config, version: options.version, logger: options.logger, ...(https ? {https} : {})})
    await app.listen({host: config.server.host, port: config.server.port})
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : config.server.port
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host
    return {
      url: `${https ? 'https' : 'http'}://${host}:${port}/api/v1`,
      port,
      close: async () => {
        await app.close()
        await services.close()
      },
    }
  } catch (error) {
    await services.close()
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw invalidInput(`Port ${config.server.port} on ${config.server.host} is already in use.`, 'Stop what uses it, or choose server.port in config/server.yaml (or --port).')
    if ((error as NodeJS.ErrnoException).code === 'EACCES') throw invalidInput(`Not allowed to listen on ${config.server.host}:${config.server.port}.`, 'Use a port above 1023.')
    throw error
  }
}
