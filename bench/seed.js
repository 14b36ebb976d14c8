// Bulk seeding for benchmarks: users, strategies, open orders with consistent history rows, fast
// (multi-row inserts, no argon2), so the engine's change detector sees nothing to report.
const SYMBOLS = ['AAPL', 'GOOGL', 'MSFT', 'TSLA', 'AMZN', 'NVDA', 'META', 'NFLX', 'AMD', 'INTC']

async function insertAll(knex, table, rows, chunk = 400) {
  for (let i = 0; i < rows.length; i += chunk) await knex(table).insert(rows.slice(i, i + chunk))
}

export async function seedScale(knex, {users = 10_000, strategiesPerUser = 3, orders = 100_000} = {}) {
  const t0 = performance.now()
  // Rows written "by ordermon": updated_at = synced_at, so the change detector has nothing to report.
  const client = String(knex.client.config.client)
  const now = knex.raw(client === 'mysql2' ? 'CURRENT_TIMESTAMP(3)' : "strftime('%Y-%m-%d %H:%M:%f','now')")
  const touch = {updated_at: now, synced_at: now}
  const userRows = []
  const userEvents = []
  for (let i = 1; i <= users; i++) {
    const id = `U${String(i).padStart(6, '0')}`
    userRows.push({user_id: id, username: `bench${i}`, password_hash: 'x', name: `Trader ${i}`, type: 'professional', role: 'trader', status: 'active', permissions: '[]', ...touch})
    userEvents.push({type: 'user.created', entity_type: 'user', entity_id: id, user_id: id, source: 'cli', payload: JSON.stringify({status: 'active'})})
  }
  await insertAll(knex, 'users', userRows)
  await insertAll(knex, 'events', userEvents)
  const strategies = []
  const strategyEvents = []
  let n = 0
  for (let u = 1; u <= users; u++) {
    for (let k = 0; k < strategiesPerUser; k++) {
      n++
      const id = `STR${String(n).padStart(6, '0')}`
      const user = `U${String(u).padStart(6, '0')}`
      const symbol = SYMBOLS[n % SYMBOLS.length]
      // A momentum threshold no random walk reaches in a benchmark: these strategies watch, not trade.
      strategies.push({strategy_id: id, user_id: user, name: `s${n}`, type: 'momentum', status: 'running', parameters: JSON.stringify({symbols: [symbol], threshold: 0.9, lookback_period: 20, timeframe: '1m'}), risk_management: JSON.stringify({max_daily_loss: 1000}), schedule: null, ...touch})
      strategyEvents.push({type: 'strategy.created', entity_type: 'strategy', entity_id: id, user_id: user, source: 'cli', payload: JSON.stringify({status: 'running'})})
    }
  }
  await insertAll(knex, 'strategies', strategies)
  await insertAll(knex, 'events', strategyEvents)
  const orderRows = []
  const logRows = []
  for (let i = 1; i <= orders; i++) {
    const id = `ORD${String(i).padStart(7, '0')}`
    const side = i % 2 ? 'buy' : 'sell'
    // Limit prices far from the market: open orders the paper venue will not fill.
    orderRows.push({order_id: id, user_id: `U${String(1 + (i % users)).padStart(6, '0')}`, symbol: SYMBOLS[i % SYMBOLS.length], side, order_type: 'limit', time_in_force: 'GTC', quantity: 1000, price: side === 'buy' ? 1 : 9999, status: 'pending', ...touch})
    logRows.push({order_id: id, from_status: null, to_status: 'pending', filled_delta: 0, price: null, quantity: 1000, reason: 'created', source: 'cli', actor: 'bench'})
  }
  await insertAll(knex, 'orders', orderRows)
  await insertAll(knex, 'order_logs', logRows)
  await knex('sequences').insert([{name: 'user', value: users}, {name: 'strategy', value: n}, {name: 'order', value: orders}]).onConflict('name').merge()
  return {users, strategies: n, orders, seconds: +((performance.now() - t0) / 1000).toFixed(1)}
}

export {SYMBOLS}
