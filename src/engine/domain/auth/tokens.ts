import {randomUUID} from 'node:crypto'
import {errors as joseErrors, jwtVerify, SignJWT} from 'jose'
import {unauthorized} from '../../errors.js'

/**
 * The API's bearer tokens: HS256 JWTs (jose) naming the user (`sub`), the sign-in they belong to
 * (`sid`, a row of api_sessions) and what they are for (`typ`). The signature and expiry are
 * checked here; whether the sign-in is still live is the session's business (AuthService).
 */

export type TokenType = 'access' | 'refresh'

export interface TokenClaims {
  sub: string
  sid: string
  jti: string
  typ: TokenType
  exp: number
}

const ISSUER = 'ordermon'
const ALGORITHM = 'HS256'
/** Verified tokens remembered (a client sends the same access token on every request). */
const VERIFIED_MAX = 10_000

export class TokenSigner {
  private readonly key: Uint8Array
  // The signature of a token string never changes, so it is checked once: WebCrypto's HMAC was
  // ~9% of the server's CPU on the order list. Expiry is still checked on every use.
  private readonly verified = new Map<string, Record<string, unknown>>()

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret)
  }

  async sign(typ: TokenType, sub: string, sid: string, ttlS: number, jti: string = randomUUID()): Promise<{token: string; jti: string; expires: Date}> {
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({sid, typ})
      .setProtectedHeader({alg: ALGORITHM, typ: 'JWT'})
      .setIssuer(ISSUER)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlS)
      .sign(this.key)
    return {token, jti, expires: new Date((now + ttlS) * 1000)}
  }

  /** The claims of a well-signed, unexpired token of type `typ`; 401 otherwise, saying which. */
  async verify(token: string, typ: TokenType): Promise<TokenClaims> {
    const expired = () => unauthorized('The token has expired.', typ === 'access' ? 'Refresh it at /api/v1/auth/refresh, or sign in again.' : 'Sign in again.')
    let payload = this.verified.get(token)
    if (payload) {
      if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) {
        this.verified.delete(token)
        throw expired()
      }
    } else {
      try {
        ;({payload} = await jwtVerify(token, this.key, {issuer: ISSUER, algorithms: [ALGORITHM]}))
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw expired()
        throw unauthorized('The token is not valid.', 'Sign in at /api/v1/auth/login.')
      }
      if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!)
      this.verified.set(token, payload)
    }
    const {sub, sid, jti, exp} = payload
    if (payload.typ !== typ) throw unauthorized(typ === 'access' ? 'This is a refresh token; send the access token.' : 'This is an access token; send the refresh token.')
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') throw unauthorized('The token is not valid.')
    return {sub, sid, jti, typ, exp}
  }
}
