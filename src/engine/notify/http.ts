import {redactWebhookUrl} from '../config/redact.js'
import {firstLine} from './text.js'
import {ChannelError} from './types.js'

export interface HttpAnswer {
  status: number
  /** The first few KB of the body: enough for an error message or a small JSON answer. */
  body: string
}

const BODY_LIMIT = 8_192

/** 4xx means the request itself is wrong, except a timeout (408) or a rate limit (429): those pass. */
export const isPermanentStatus = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429

/**
 * One POST with a deadline. Network failures and the deadline become retryable ChannelErrors named
 * by `label` (a URL already stripped of credentials), never by the URL itself.
 */
export async function post(url: string, init: {headers: Record<string, string>; body: string; timeoutMs: number}, label: string): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(init.timeoutMs)
  try {
    const res = await fetch(url, {method: 'POST', headers: init.headers, body: init.body, signal, redirect: 'manual'})
    const body = (await res.text()).slice(0, BODY_LIMIT)
    return {status: res.status, body}
  } catch (error) {
    if (signal.aborted) throw new ChannelError(`${label}: no answer within ${init.timeoutMs} ms`, {cause: error})
    throw new ChannelError(`${label}: ${networkReason(error)}`, {cause: error})
  }
}

/** fetch says "fetch failed" and hides the reason in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as {cause?: {code?: string; message?: string}}).cause
  const code = cause?.code
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection lost'
  // Some fetch messages quote the URL ("Failed to parse URL from ..."); its path may be the credential.
  return (cause?.message ? firstLine(cause) : firstLine(error)).replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (u) => redactWebhookUrl(u))
}
