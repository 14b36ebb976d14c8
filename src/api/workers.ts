import cluster, {type Worker} from 'node:cluster'
import {isOrdermonError, OrdermonError, type ErrorKind} from '../engine/index.js'

/**
 * server.workers > 1: the same API in that many processes sharing one listening socket (node:cluster
 * hands connections out), for hosts with cores to spare. The primary only supervises: it forks the
 * workers, reports the URL the first one listens on, replaces one that dies (at most `maxRestarts`
 * in a minute, so a worker that cannot start does not spin), and on stop sends SIGTERM to its own
 * workers only, then waits for them. Rate limits are counted per process.
 */

export type WorkerMessage = {ordermon_api: 'listening'; url: string} | {ordermon_api: 'failed'; message: string; kind: ErrorKind; hint?: string}

export const isApiWorker = () => cluster.isWorker

/** In a worker: tells the primary where it listens. */
export function reportListening(url: string): void {
  process.send?.({ordermon_api: 'listening', url} satisfies WorkerMessage)
}

/** In a worker that could not start: the primary says it once, instead of every worker printing it. */
export function reportFailure(error: unknown): Promise<void> {
  const e = isOrdermonError(error) ? error : new OrdermonError('internal', String((error as Error)?.message ?? error))
  return new Promise((resolve) => {
    if (!process.send) return resolve()
    process.send({ordermon_api: 'failed', message: e.message, kind: e.kind, hint: e.hint} satisfies WorkerMessage, () => resolve())
  })
}

export interface WorkerPool {
  url: string
  close(): Promise<void>
}

export async function forkWorkers(count: number, options: {notice: (line: string) => void; onGiveUp: (error: Error) => void; maxRestarts?: number}): Promise<WorkerPool> {
  const maxRestarts = options.maxRestarts ?? 5
  let stopping = false
  let restarts: number[] = []
  const fork = (): Worker => cluster.fork({ORDERMON_API_WORKER: '1'})

  let up = false
  const stopAll = async () => {
    stopping = true
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w))
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve()
            w.once('exit', () => resolve())
            w.process.kill('SIGTERM')
          }),
      ),
    )
  }
  const first = new Promise<string>((resolve, reject) => {
    cluster.on('message', (_worker, message: WorkerMessage) => {
      if (message?.ordermon_api === 'listening') {
        up = true
        resolve(message.url)
      } else if (message?.ordermon_api === 'failed' && !up && !stopping) {
        // Not one worker up yet: the same failure would meet every other one. Stop them all.
        void stopAll().then(() => reject(new OrdermonError(message.kind, message.message, {hint: message.hint})))
      }
    })
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return
      if (!up) {
        void stopAll().then(() => reject(new Error(`API worker ${worker.process.pid} exited before listening (${signal ?? `code ${code}`}).`)))
        return
      }
      const now = Date.now()
      restarts = [...restarts.filter((t) => now - t < 60_000), now]
      if (restarts.length > maxRestarts) {
        const error = new Error(`API workers keep exiting (last: pid ${worker.process.pid}, ${signal ?? `code ${code}`}); not restarting them.`)
        if (up) options.onGiveUp(error)
        else reject(error)
        return
      }
      options.notice(`API worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another.`)
      fork()
    })
  })
  for (let i = 0; i < count; i++) fork()
  const url = await first
  return {
    url,
    close: stopAll,
  }
}
