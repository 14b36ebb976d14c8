import {z} from 'zod'

// Environment variables and .env files only carry strings; these accept both forms so one schema
// validates YAML, .env and process environment alike.
const int = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z.number({invalid_type_error: 'expected a whole number'}).int('expected a whole number').min(min).max(max),
  )
const num = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    z.number({invalid_type_error: 'expected a number'}).min(min).max(max),
  )
// 'yes'/'on'/'1' and their opposites, whatever the case; anything else is left for the schema to refuse.
const yesNo = (v: unknown) => {
  if (typeof v !== 'string') return v
  const s = v.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(s)) return true
  if (['0', 'false', 'no', 'off'].includes(s)) return false
  return v
}
const bool = () => z.preprocess(yesNo, z.boolean({invalid_type_error: 'expected true or false'}))
const str = () => z.string().min(1, 'must not be empty')
// auto, or a yes/no in any of bool()'s spellings.
const autoOrBool = () =>
  z.preprocess((v) => (typeof v === 'string' && v.trim().toLowerCase() === 'auto' ? 'auto' : yesNo(v)), z.union([z.literal('auto'), z.boolean()], {errorMap: () => ({message: 'expected auto, true or false'})}))
// YAML reads `password: 98765432` as a number; a secret is text whatever it looks like.
const secret = () => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string())

export const environments = ['development', 'testing', 'production'] as const
export const logLevels = ['error', 'warn', 'info', 'debug'] as const

export const configSchema = z
  .object({
    env: z.enum(environments),
    home: str(),
    debug: bool(),
    server: z
      .object({
        /** `ordermon start` serves the REST API too (`ordermon api serve` serves it alone). */
        enabled: bool(),
        host: str(),
        /** 0: any free port (the URL printed at start says which). */
        port: int(0, 65535),
        workers: int(1, 256),
        timeout: int(1, 3600),
        ssl: z.object({enabled: bool(), cert_file: str().optional(), key_file: str().optional()}).strict(),
        /** Largest request body accepted, in bytes. */
        body_limit: int(1024, 16 * 1024 * 1024),
        /** Requests per window_s per signed-in user and per client address; over it: 429 with Retry-After. */
        rate_limit: z.object({window_s: int(1, 3600), per_user: int(1, 10_000_000), per_address: int(1, 10_000_000)}).strict(),
      })
      .strict(),
    database: z
      .object({
        client: z.enum(['sqlite', 'mysql']).optional(),
        url: str().optional(),
        filename: str().optional(),
        host: str().optional(),
        port: int(1, 65535),
        name: str().optional(),
        user: str().optional(),
        password: secret().optional(),
        charset: str(),
        socket_path: str().optional(),
        connect_timeout_ms: int(100, 120_000),
        pool: z
          .object({size: int(1, 1000), max_overflow: int(0, 1000), timeout: int(1, 3600), recycle: int(1, 86_400)})
          .strict(),
      })
      .strict(),
    redis: z
      .object({
        url: str().optional(),
        host: str().optional(),
        port: int(1, 65535),
        password: secret().optional(),
        db: int(0, 255),
        key_prefix: z.string().regex(/^[A-Za-z0-9_.:-]*$/, 'letters, digits and _ . : - only'),
        pool: z.object({size: int(1, 1000), timeout: int(1, 3600)}).strict(),
      })
      .strict(),
    cache: z.object({default_ttl: int(1, 31_536_000), max_size: int(1, 1_000_000_000)}).strict(),
    logging: z
      .object({level: z.enum(logLevels), dir: str().optional(), retention_days: int(1, 3650)})
      .strict(),
    monitoring: z
      .object({
        enabled: bool(),
        scan_interval: num(0.01, 3600),
        /** Seconds between metric snapshots stored in `metrics` (sampled every engine.metrics_ms). */
        store_interval: num(1, 3600),
        /** Raw samples are kept this long, then rolled up into one row per rollup_interval. */
        raw_retention_hours: num(0.01, 87_600),
        /** Seconds per rolled-up row (its mean and maximum) of metric history older than raw_retention_hours. */
        rollup_interval: int(10, 86_400),
        /** All metric history, raw and rolled up, is deleted after this many days. */
        metrics_retention_days: num(0.001, 3650),
        /** Resolved alerts and their notifications are deleted this long after resolution. */
        alerts_retention_days: num(0.001, 3650),
        /** The Prometheus endpoint: off unless enabled, and on the loopback interface unless told otherwise. */
        prometheus: z.object({enabled: bool(), host: str(), port: int(1, 65535), path: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'a path such as /metrics')}).strict(),
      })
      .strict(),
    engine: z
      .object({
        market: z.enum(['sim', 'replay', 'redis']),
        market_seed: int(0, 2 ** 31 - 1),
        replay_file: str().optional(),
        tick_ms: int(10, 60_000),
        venue: z.enum(['paper', 'external']),
        paper_latency_ms: int(0, 60_000),
        poll_ms: int(10, 60_000),
        relay_ms: int(5, 60_000),
        heartbeat_ms: int(100, 60_000),
        metrics_ms: int(100, 60_000),
        strategies_dir: str().optional(),
        /** A heartbeat older than this marks an engine dead: a new engine may then claim the database. */
        instance_ttl_ms: int(1000, 600_000),
        /**
         * Several engines on one MySQL/MariaDB database share the users out by shard leases. auto (the
         * default): on for MySQL/MariaDB, off for the embedded SQLite file, which runs one engine.
         * false: one engine per database, a second one refused.
         */
        sharing: autoOrBool(),
        /** A shard lease not renewed for this long may be taken by another engine (failover time). */
        shard_lease_ms: int(1000, 600_000),
        /** Housekeeping (pruning, log retention) runs this often. */
        housekeeping_ms: int(1000, 3_600_000),
        /** Published events older than this are pruned from the outbox. */
        events_retention_hours: num(0.01, 87_600),
        /** A reader (relay, panel) that has not moved for this long no longer holds back pruning. */
        reader_expiry_hours: num(0.01, 87_600),
        /** Rows deleted per statement while pruning: small, so trading never waits long. */
        prune_batch: int(10, 100_000),
      })
      .strict(),
    /** Daily/weekly/monthly reports: their days begin at midnight in this IANA zone. */
    reports: z.object({timezone: str()}).strict(),
    security: z
      .object({
        password_min_length: int(6, 128),
        password_max_length: int(8, 1024),
        /** Signs the API's tokens (HS256); required when the API is served, at least 32 characters. */
        jwt_secret: secret().optional(),
        access_token_ttl_s: int(60, 86_400),
        refresh_token_ttl_s: int(300, 90 * 86_400),
        /** max_attempts failed logins within window_minutes lock the account until an admin clears it. */
        lockout: z.object({max_attempts: int(1, 1000), window_minutes: int(1, 1440)}).strict(),
        /**
         * How long an API process trusts what it last read of a sign-in (revoked? user suspended,
         * permissions). Its own logouts and lockouts apply at once; other processes' within this. 0: read every request.
         */
        session_cache_ms: int(0, 60_000),
      })
      .strict(),
    order: z
      .object({
        max_concurrent: int(1, 10_000_000),
        timeout: int(1, 86_400),
        retry_attempts: int(0, 100),
        validation: z
          .object({
            min_quantity: num(0, 1e15),
            max_quantity: num(0, 1e15),
            min_price: num(0, 1e15),
            max_price: num(0, 1e15),
          })
          .strict(),
      })
      .strict(),
    strategy: z
      .object({
        max_per_user: int(1, 100_000),
        default_timeout: int(1, 86_400),
        risk_management: z
          .object({max_daily_loss: num(0, 1e15), max_drawdown: num(0, 1), position_limit: num(0, 1e15)})
          .strict(),
      })
      .strict(),
    notification: z
      .object({
        email: z
          .object({
            smtp_server: str().optional(),
            smtp_port: int(1, 65535).optional(),
            username: z.string().optional(),
            password: secret().optional(),
            from: z.string().optional(),
            /** tls: TLS from the first byte (port 465); starttls: upgrade when offered; none: plain. */
            tls: z.enum(['tls', 'starttls', 'none']).optional(),
            timeout_ms: int(100, 600_000).optional(),
            reject_unauthorized: bool().optional(),
          })
          .strict()
          .optional(),
        sms: z
          .object({
            provider: z.string().optional(),
            access_key: secret().optional(),
            secret_key: secret().optional(),
            sign_name: z.string().optional(),
            template_code: z.string().optional(),
            endpoint: z.string().url().optional(),
          })
          .strict()
          .optional(),
        webhook: z
          .object({url: z.string().url().optional(), secret: secret().optional(), timeout_ms: int(100, 600_000).optional(), headers: z.record(z.string()).optional()})
          .strict()
          .optional(),
        /** Who is told when a rule names no recipients (the default rules name none). */
        recipients: z.array(z.union([z.string(), z.number()])).default([]),
        /** Rules: checked in full (condition syntax, durations, levels) by domain/alerts/rules.ts when loaded. */
        alerts: z
          .array(
            z
              .object({
                name: str(),
                condition: str(),
                level: z.string().optional(),
                for: z.union([z.string(), z.number()]).optional(),
                repeat: z.union([z.string(), z.number()]).optional(),
                clear_for: z.union([z.string(), z.number()]).optional(),
                message: z.string().optional(),
                category: z.string().optional(),
                recipients: z.array(z.union([z.string(), z.number()])).default([]),
                channels: z.array(z.string()).optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.order.validation.min_quantity > c.order.validation.max_quantity)
      ctx.addIssue({code: 'custom', path: ['order', 'validation', 'min_quantity'], message: 'must not exceed max_quantity'})
    if (c.order.validation.min_price > c.order.validation.max_price)
      ctx.addIssue({code: 'custom', path: ['order', 'validation', 'min_price'], message: 'must not exceed max_price'})
    if (c.security.password_min_length > c.security.password_max_length)
      ctx.addIssue({code: 'custom', path: ['security', 'password_min_length'], message: 'must not exceed password_max_length'})
  })

export type OrdermonConfig = z.infer<typeof configSchema>
