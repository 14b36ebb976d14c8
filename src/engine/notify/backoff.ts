import {ChannelError, type Channel, type Notification} from './types.js'

/** Attempts per notification and channel, the first included; about 40 minutes of trying in all. */
export const MAX_ATTEMPTS = 8

const FIRST_DELAY_MS = 5_000
const GROWTH = 3
export const MAX_DELAY_MS = 15 * 60_000
const JITTER = 0.2

/**
 * How long to wait after failed attempt `attempt` (1-based): 5 s, 15 s, 45 s, ... x3, at most 15 min.
 * ±20% jitter keeps several engines that failed together from retrying in lockstep; `random` is
 * injectable so the bounds can be tested.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt))
  // The exponent is bounded so absurd attempt numbers do not overflow into Infinity.
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * GROWTH ** Math.min(n - 1, 20))
  // Jitter after the cap, so retries that reached it still spread (over 12-15 min).
  const jittered = base * (1 - JITTER + 2 * JITTER * random())
  return Math.round(Math.min(MAX_DELAY_MS, jittered))
}

/**
 * Sends through `channel`, giving up after `ms`: a server that accepts the connection and then says
 * nothing must not hold the notifier. The abandoned send may still finish or fail later; its outcome
 * is swallowed, the caller has already been told it timed out (and may retry: receivers dedupe by id).
 */
export async function sendWithTimeout(channel: Channel, n: Notification, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  // Through a promise, so a send that throws before its first await is handled like one that rejects.
  const sending = Promise.resolve().then(() => channel.send(n))
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChannelError(`${channel.name}: no answer within ${ms} ms`)), ms)
  })
  try {
    await Promise.race([sending, timeout])
  } finally {
    clearTimeout(timer)
    sending.catch(() => {})
  }
}
