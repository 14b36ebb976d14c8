import type {StopResult} from '../../engine/index.js'

/** The one line `stop` (and `restart`) prints for a StopResult. */
export function describeStop(r: StopResult, timeoutS: number): string {
  if (r.not_ours) {
    const what = r.not_ours.command ? `it is "${r.not_ours.command.length > 120 ? `${r.not_ours.command.slice(0, 120)}…` : r.not_ours.command}"` : r.not_ours.reason
    if (r.not_ours.reason.startsWith('cannot be inspected')) return `pid ${r.pid} in ordermon.pid ${r.not_ours.reason}: cannot verify it is this home's engine; nothing was signalled (stop it yourself if it is).`
    const files = r.not_ours.removed.map((f) => (f.endsWith('ordermon.pid') ? 'pidfile' : f.split(/[\\/]/).pop())).join(' and ')
    return `pid ${r.pid} in ordermon.pid is not this home's engine (${what}); ${files ? `removed the stale ${files}` : 'the stale pidfile is gone'}; nothing was signalled.`
  }
  if (!r.running) return 'No engine is running.'
  if (r.signal === 'SIGTERM') return `Engine (pid ${r.pid}) stopped gracefully in ${(r.waited_ms! / 1000).toFixed(1)}s.`
  return `Engine (pid ${r.pid}) did not stop within ${timeoutS}s; killed it (SIGKILL). Unpublished events stay in the outbox and go out at the next start.`
}
