import type {Knex} from 'knex'

// Who last set a custom strategy's module_path: 'cli', 'api' or 'engine'. The engine loads a module
// set through the API only from inside engine.strategies_dir, even if the row was changed behind the
// API's back; rows from before this migration were written by operators (NULL, as the CLI).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('strategies', (t) => {
    t.string('module_origin', 8).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('strategies', (t) => {
    t.dropColumn('module_origin')
  })
}
