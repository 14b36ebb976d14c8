import {isAlive} from '../../src/engine/daemon/pidfile.js'

/** Process and polling helpers for suites that start engines, proxies or servers of their own. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The engine's own liveness check (signal 0; EPERM means alive but not ours). */
export {isAlive}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(every)
  }
}

/** Stops a process we started: SIGTERM, then SIGKILL if it lingers (SIGCONT first, in case it was paused). */
export async function stopPid(pid: number): Promise<void> {
  if (!isAlive(pid)) return
  try {
    process.kill(pid, 'SIGCONT')
    process.kill(pid, 'SIGTERM')
  } catch {}
  const deadline = Date.now() + 8000
  while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
}
