/** Built-in defaults: the bottom layer. Values follow the manual's sample configuration files. */
export const defaults = {
  env: 'development',
  home: './.ordermon',
  debug: false,
  server: {enabled: false, host: '127.0.0.1', port: 8000, workers: 4, timeout: 30, ssl: {enabled: false}, body_limit: 1_048_576, rate_limit: {window_s: 60, per_user: 1200, per_address: 3000}},
  database: {
    port: 3306,
    charset: 'utf8mb4',
    connect_timeout_ms: 5000,
    pool: {size: 20, max_overflow: 30, timeout: 30, recycle: 3600},
  },
  redis: {port: 6379, db: 0, key_prefix: 'ordermon:', pool: {size: 20, timeout: 5}},
  cache: {default_ttl: 3600, max_size: 1_000_000},
  logging: {level: 'info', retention_days: 7},
  reports: {timezone: 'UTC'},
  monitoring: {enabled: true, scan_interval: 10, store_interval: 10, raw_retention_hours: 24, rollup_interval: 60, metrics_retention_days: 30, alerts_retention_days: 90, prometheus: {enabled: false, host: '127.0.0.1', port: 9464, path: '/metrics'}},
  engine: {
    market: 'sim',
    market_seed: 42,
    tick_ms: 1000,
    venue: 'paper',
    paper_latency_ms: 200,
    // Outside (raw SQL) changes are found within poll_ms: an idle poll is one indexed query for the
    // three tables plus the follower's read, ~80 cheap queries a second at 25 ms.
    poll_ms: 25,
    relay_ms: 20,
    heartbeat_ms: 1000,
    metrics_ms: 1000,
    instance_ttl_ms: 5000,
    housekeeping_ms: 60_000,
    events_retention_hours: 24,
    reader_expiry_hours: 168,
    prune_batch: 1000,
  },
  security: {password_min_length: 8, password_max_length: 128, access_token_ttl_s: 3600, refresh_token_ttl_s: 604_800, lockout: {max_attempts: 5, window_minutes: 15}, session_cache_ms: 1000},
  order: {
    max_concurrent: 10_000,
    timeout: 30,
    retry_attempts: 3,
    validation: {min_quantity: 1, max_quantity: 1_000_000, min_price: 0.01, max_price: 10_000},
  },
  strategy: {
    max_per_user: 10,
    default_timeout: 300,
    risk_management: {max_daily_loss: 10_000, max_drawdown: 0.2, position_limit: 100_000},
  },
  notification: {alerts: []},
}
