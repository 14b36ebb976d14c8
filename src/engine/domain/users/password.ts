/**
 * argon2id with OWASP's baseline parameters (19 MiB, 2 passes): strong, yet about 30 ms here, so
 * creating a thousand sample users stays quick. argon2 loads lazily: listing users must not pay for it.
 */
const options = {type: 2 /* argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1} as const

export async function hashPassword(password: string): Promise<string> {
  const argon2 = await import('argon2')
  return argon2.hash(password, options)
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const argon2 = await import('argon2')
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}
