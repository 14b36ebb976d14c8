// Loaded with `node --import`: records every module URL the process resolves, so a test can prove
// that a command never loads what it must not (the engine runtime, Ink, React).
import {register} from 'node:module'
import {MessageChannel} from 'node:worker_threads'
import {appendFileSync} from 'node:fs'

const out = process.env.ORDERMON_IMPORT_LOG
const {port1, port2} = new MessageChannel()
port1.on('message', (url) => appendFileSync(out, `${url}\n`))
port1.unref()
register('./record-imports-hooks.mjs', {parentURL: import.meta.url, data: {port: port2}, transferList: [port2]})
