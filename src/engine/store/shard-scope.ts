import type {Knex} from 'knex'

/** Some of the shards users are hashed into: the rows an engine sharing the database handles. */
export interface ShardScope {
  count: number
  shards: readonly number[]
}

/**
 * Narrows a query to the rows whose user is in the scope's shards, computed by the database
 * (`CRC32(user_id) % count`, as shardOf does): an engine with a third of the shards reads a third of
 * the rows. CRC32 is built into MySQL/MariaDB and registered on each SQLite connection.
 */
export function inShards<Q extends Knex.QueryBuilder>(q: Q, column: string, scope: ShardScope | undefined): Q {
  // Every shard (a lone sharing engine): nothing to narrow, so no hash to compute per row.
  if (!scope || new Set(scope.shards).size >= scope.count) return q
  if (scope.shards.length === 0) return q.whereRaw('1 = 0') as Q
  return q.whereRaw(`(CRC32(??) % ?) IN (${scope.shards.map(() => '?').join(', ')})`, [column, scope.count, ...scope.shards]) as Q
}
