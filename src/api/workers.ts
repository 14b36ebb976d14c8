import cluster, {type Worker} from 'node:cluster'

/**
 * server.workers > 1: the same API in that many processes sharing one listening socket (node:cluster
 * hands connections out), for hosts with cores to spare. The primary only supervises: it forks the
 * workers, reports the URL the first one listens on, replaces one that dies (at most `maxRestarts`
 * in a minute, so a worker that cannot start does not spin), and on stop sends SIGTERM to its own
 * workers only, then waits for them. Rate limits are counted per process.
 */

export interface WorkerMessage {
  ordermon_api: 'listening'
  url: string
}

export const isApiWorker = () => cluster.isWorker

/** In a worker: tells the primary where it listens. */
export function reportListening(url: string): void {
  process.send?.({ordermon_api: 'listening', url} satisfies WorkerMessage)
}

export interface WorkerPool {
  url: string
  count: number
  close(): Promise<void>
}

export async function forkWorkers(count: number, options: {notice: (line: string) => void; onGiveUp: (error: Error) => void; maxRestarts?: number}): Promise<WorkerPool> {
  const maxRestarts = options.maxRestarts ?? 5
  let stopping = false
  let restarts: number[] = []
  const fork = (): Worker => cluster.fork({ORDERMON_API_WORKER: '1'})

  let up = false
  const first = new Promise<string>((resolve, reject) => {
    cluster.on('message', (_worker, message: WorkerMessage) => {
      if (message?.ordermon_api !== 'listening') return
      up = true
      resolve(message.url)
    })
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return
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
    count,
    async close() {
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
    },
  }
}
