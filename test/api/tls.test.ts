import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {request} from 'node:https'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {serveApi} from '../../src/api/serve.js'
import {OrdermonError} from '../../src/engine/index.js'
import {createBackend, migratedEngine, type TestBackend} from '../helpers/backends.js'
import {apiConfig} from './helpers.js'

/**
 * server.ssl: with a certificate and key the API answers over HTTPS only, and a missing or
 * unreadable file is one clear configuration error before anything listens. Transport, not data:
 * one backend (SQLite) is enough; the routes are the same on both.
 */
describe('the API over TLS', () => {
  let backend: TestBackend
  let cert: string
  let key: string

  beforeAll(async () => {
    backend = await createBackend('sqlite')
    await (await migratedEngine(backend)).close()
    cert = join(backend.dir, 'cert.pem')
    key = join(backend.dir, 'key.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {stdio: 'ignore'})
  })
  afterAll(async () => {
    await backend?.cleanup()
  })

  const get = (url: string, ca: string) =>
    new Promise<{status: number; body: any}>((resolve, reject) => {
      const r = request(url, {ca}, (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: JSON.parse(text)}))
      })
      r.on('error', reject)
      r.end()
    })

  it('serves https with the configured certificate; plain http on that port gets no API answer', async () => {
    const api = await serveApi({loaded: apiConfig(backend, {'server.ssl.enabled': true, 'server.ssl.cert_file': cert, 'server.ssl.key_file': key}), version: 'test'})
    try {
      expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/v1$/)
      const r = await get(`${api.url}/health`, readFileSync(cert, 'utf8'))
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({code: 200, data: {status: 'ok'}})
      const plain = await fetch(api.url.replace('https:', 'http:') + '/health').then((x) => x.status, () => 'refused')
      expect(plain).not.toBe(200)
    } finally {
      await api.close()
    }
  })

  it('a missing key file or ssl without files: one configuration error, nothing listening', async () => {
    for (const overrides of [
      {'server.ssl.enabled': true, 'server.ssl.cert_file': cert, 'server.ssl.key_file': join(backend.dir, 'no-such-key.pem')},
      {'server.ssl.enabled': true},
    ]) {
      const error = await serveApi({loaded: apiConfig(backend, overrides), version: 'test'}).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(OrdermonError)
      expect((error as OrdermonError).kind).toBe('invalidInput')
      expect((error as OrdermonError).message).toMatch(/TLS certificate or key|cert_file/)
    }
  })
})
