import type {Knex} from 'knex'
import {beforeAll, describe, expect, it} from 'vitest'
import {backendKinds} from '../helpers/backends.js'
import type {Actor} from '../../src/engine/index.js'
import type {EngineHandle} from '../../src/engine/handle.js'
import {OrdermonError, type ErrorKind} from '../../src/engine/errors.js'
import {verifyPassword} from '../../src/engine/domain/users/password.js'
import {rolePermissions} from '../../src/engine/domain/users/rules.js'
import type {CreateUserOptions} from '../../src/engine/domain/users/service.js'
import {expectKind, useEngine} from '../helpers/suite.js'

const actor: Actor = {name: 'tester', source: 'cli'}

describe.each(backendKinds)('UserService on %s', (kind) => {
  const ctx = useEngine(kind)
  let engine: EngineHandle
  let knex: Knex

  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await knex(table).where(where).count({n: '*'}))[0]!.n)
  const counts = async () => ({users: await count('users'), audit_log: await count('audit_log'), events: await count('events')})
  /** Runs a failing operation and proves it wrote nothing. */
  async function failsCleanly(run: () => Promise<unknown>, kind: ErrorKind, message?: RegExp | string): Promise<OrdermonError> {
    const before = await counts()
    const e = await expectKind(run(), kind, message)
    expect(await counts()).toEqual(before)
    return e
  }
  const lastAudit = async () => knex('audit_log').orderBy('id', 'desc').first()
  const lastEvent = async () => knex('events').orderBy('id', 'desc').first()
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

  beforeAll(() => {
    if (ctx.error) return
    engine = ctx.engine
    knex = engine.db.knex
  })

  describe('create', () => {
    it('applies the defaults: trader with its permissions, active, personal', async () => {
      const before = await counts()
      const u = await engine.users.create({username: 'smoke1', password: 'password123', name: '张三'}, actor)
      expect(u.user_id).toMatch(/^U\d{6}$/)
      expect(u).toMatchObject({
        username: 'smoke1',
        name: '张三',
        email: null,
        phone: null,
        type: 'personal',
        role: 'trader',
        status: 'active',
        group: null,
        last_login_at: null,
      })
      expect(u.permissions).toEqual([...rolePermissions.trader])
      expect(u.created_at).toMatch(/Z$/)
      expect(u).not.toHaveProperty('password_hash')
      expect(await counts()).toEqual({users: before.users + 1, audit_log: before.audit_log + 1, events: before.events + 1})
      const audit = await lastAudit()
      expect(audit).toMatchObject({actor: 'tester', action: 'user.create', target_type: 'user', target: u.user_id, result: 'ok'})
      const event = await lastEvent()
      expect(event).toMatchObject({type: 'user.created', entity_type: 'user', entity_id: u.user_id, user_id: u.user_id, source: 'cli'})
      expect(json(event.payload)).toEqual({username: 'smoke1', status: 'active', name: '张三', type: 'personal'})
      expect((await engine.users.find({username: 'smoke1'})).name).toBe('张三')
      expect((await engine.users.find({user_id: u.user_id})).username).toBe('smoke1')
    })

    it('stores an argon2id hash that verifies', async () => {
      const u = await engine.users.create({username: 'hashcheck', password: 'Correct-Horse-9'}, actor)
      const hash = (await engine.store.users.passwordHash(u.user_id))!
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=\d+,[pt]=\d+,[pt]=\d+\$/)
      expect(hash).not.toContain('Correct-Horse-9')
      expect(await verifyPassword(hash, 'Correct-Horse-9')).toBe(true)
      expect(await verifyPassword(hash, 'correct-horse-9')).toBe(false)
      const audit = await knex('audit_log').where({target: u.user_id}).first()
      expect(String(audit.details)).not.toContain('Correct-Horse-9')
    })

    it('accepts every explicit field, normalising email and permissions', async () => {
      const u = await engine.users.create(
        {
          username: 'full_user',
          password: 'password123',
          user_id: '001',
          name: '  李四  ',
          email: 'Li.Si@Example.COM',
          phone: '+86 138 0013 8000',
          type: 'Institutional',
          role: 'analyst',
          permissions: ['Order_Query', 'report_view', 'report_view', ''],
          group: 'desk-a',
          status: 'suspended',
        },
        actor,
      )
      expect(u).toMatchObject({
        user_id: '001',
        name: '李四',
        email: 'li.si@example.com',
        phone: '+86 138 0013 8000',
        type: 'institutional',
        role: 'analyst',
        group: 'desk-a',
        status: 'suspended',
      })
      expect(u.permissions).toEqual(['order_query', 'report_view'])
    })

    it('createAdmin makes an institutional admin with every permission', async () => {
      const u = await engine.users.createAdmin({username: 'root_admin', password: 'password123'}, actor)
      expect(u.role).toBe('admin')
      expect(u.type).toBe('institutional')
      expect(u.permissions).toEqual([...rolePermissions.admin])
    })

    it('a duplicate username is a conflict and writes nothing', async () => {
      const u = await engine.users.create({username: 'dup_user', password: 'password123'}, actor)
      const e = await failsCleanly(() => engine.users.create({username: 'dup_user', password: 'password456', name: 'Other'}, actor), 'conflict', /already taken/)
      expect(e.exitCode).toBe(5)
      expect((await engine.users.find({username: 'dup_user'})).name).toBeNull()
      // A taken explicit user_id is a conflict too.
      await failsCleanly(() => engine.users.create({username: 'other_dup', password: 'password123', user_id: u.user_id}, actor), 'conflict', new RegExp(u.user_id))
    })

    it('two concurrent creates of one username: exactly one succeeds', async () => {
      const before = await counts()
      const results = await Promise.allSettled([
        engine.users.create({username: 'racer', password: 'password123'}, actor),
        engine.users.create({username: 'racer', password: 'password456'}, actor),
      ])
      const ok = results.filter((r) => r.status === 'fulfilled')
      const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
      expect(ok).toHaveLength(1)
      expect(failed).toHaveLength(1)
      expect(failed[0]!.reason).toBeInstanceOf(OrdermonError)
      expect((failed[0]!.reason as OrdermonError).kind).toBe('conflict')
      expect(await counts()).toEqual({users: before.users + 1, audit_log: before.audit_log + 1, events: before.events + 1})
      expect(await count('users', {username: 'racer'})).toBe(1)
    })

    const long = 'x'.repeat(10_000)
    const invalid: Array<[string, Partial<CreateUserOptions>, RegExp]> = [
      ['username too short', {username: 'ab'}, /username/],
      ['username with a space', {username: 'bad name'}, /username/],
      ['username starting with -', {username: '-abc'}, /username/],
      ['username with SQL', {username: "x'; DROP TABLE users;--"}, /username/],
      ['empty username', {username: ''}, /username must not be empty/],
      ['blank username', {username: '   '}, /username must not be empty/],
      ['10,000-character username', {username: long}, /username is too long/],
      ['username with a newline', {username: 'abc\ndef'}, /username/],
      ['bad email', {email: 'not-an-email'}, /email/],
      ['email with a quote', {email: "a'b@example.com"}, /email/],
      ['empty email', {email: ''}, /email must not be empty/],
      ['10,000-character email', {email: `${long}@example.com`}, /email is too long/],
      ['bad phone', {phone: 'call me'}, /phone/],
      ['bad type', {type: 'corporate'}, /type "corporate" is not valid: use one of personal, professional, institutional/],
      ['bad role', {role: 'superuser'}, /role "superuser" is not valid: use one of admin, trader, analyst, guest/],
      ['bad status', {status: 'deleted'}, /status/],
      ['unknown permission', {permissions: ['order_query', 'fly']}, /permission "fly" is not known/],
      ['bad group', {group: '!!!'}, /group/],
      ['10,000-character group', {group: long}, /group is too long/],
      ['empty name', {name: ''}, /name must not be empty/],
      ['10,000-character name', {name: long}, /name is too long: 10000 characters, at most 128/],
      ['name with a control character', {name: 'bell\u0007'}, /name .* contains control characters/],
      ['name with an escape sequence', {name: 'x\u001b[31mred'}, /control characters/],
      ['bad explicit user_id', {user_id: 'has space'}, /user id/],
      ['password too short', {password: 'short1'}, /too short: at least 8/],
      ['empty password', {password: ''}, /password is required/i],
      ['only spaces', {password: '          '}, /only spaces/],
      ['password equal to the username', {username: 'sameasname', password: 'SameAsName'}, /differ from the username/],
      ['10,000-character password', {password: long}, /too long: at most 128/],
    ]
    it.each(invalid)('refuses %s (invalidInput, nothing written)', async (_label, fields, message) => {
      const e = await failsCleanly(() => engine.users.create({username: 'valid_name', password: 'password123', ...fields} as CreateUserOptions, actor), 'invalidInput', message)
      expect(e.exitCode).toBe(2)
      // The message stays one readable line, whatever was typed.
      expect(e.message.length).toBeLessThan(300)
      expect(e.message).not.toMatch(/[\u0000-\u001f]/)
      expect(await count('users', {username: 'valid_name'})).toBe(0)
    })
  })

  describe('list', () => {
    beforeAll(async () => {
      if (ctx.error) return
      const people: Array<Partial<CreateUserOptions>> = [
        {username: 'lst_a1', type: 'professional', group: 'list-g1'},
        {username: 'lst_a2', type: 'professional', group: 'list-g1', status: 'suspended'},
        {username: 'lst_a3', type: 'personal', group: 'list-g2', status: 'locked'},
        {username: 'lst_a4', type: 'institutional', group: 'list-g2', name: 'Discount 50% desk'},
        {username: 'lst_a5', type: 'personal', group: 'list-g2', name: 'Discount 50x desk'},
      ]
      for (const p of people) await engine.users.create({password: 'password123', ...p} as CreateUserOptions, actor)
    })

    it('filters by status, type and group, and searches', async () => {
      const names = async (o: Parameters<EngineHandle['users']['list']>[0]) => (await engine.users.list({search: 'lst_', ...o})).users.map((u) => u.username)
      expect(await names({})).toEqual(['lst_a1', 'lst_a2', 'lst_a3', 'lst_a4', 'lst_a5'])
      expect(await names({status: 'suspended'})).toEqual(['lst_a2'])
      expect(await names({status: 'LOCKED'})).toEqual(['lst_a3'])
      expect(await names({type: 'professional'})).toEqual(['lst_a1', 'lst_a2'])
      expect(await names({group: 'list-g2'})).toEqual(['lst_a3', 'lst_a4', 'lst_a5'])
      expect(await names({group: 'list-g2', type: 'personal'})).toEqual(['lst_a3', 'lst_a5'])
      expect((await engine.users.list({search: '50%'})).users.map((u) => u.username)).toEqual(['lst_a4'])
      expect((await engine.users.list({search: 'lst\\_a'})).total).toBe(0)
    })

    it('pages with totals', async () => {
      const p1 = await engine.users.list({search: 'lst_', limit: 2, page: 1})
      const p3 = await engine.users.list({search: 'lst_', limit: 2, page: 3})
      expect(p1).toMatchObject({total: 5, page: 1, limit: 2})
      expect(p1.users.map((u) => u.username)).toEqual(['lst_a1', 'lst_a2'])
      expect(p3.users.map((u) => u.username)).toEqual(['lst_a5'])
      expect((await engine.users.list({search: 'lst_', limit: 2, page: 4})).users).toEqual([])
      const all = await engine.users.list()
      expect(all.limit).toBe(20)
      expect(all.total).toBe(await count('users'))
    })

    it('refuses bad paging and filters', async () => {
      await expectKind(engine.users.list({limit: 0}), 'invalidInput', /limit/)
      await expectKind(engine.users.list({limit: 1001}), 'invalidInput', /limit/)
      await expectKind(engine.users.list({limit: 1.5}), 'invalidInput', /limit/)
      await expectKind(engine.users.list({page: 0}), 'invalidInput', /page/)
      await expectKind(engine.users.list({status: 'gone'}), 'invalidInput', /status/)
      await expectKind(engine.users.list({type: 'corporate'}), 'invalidInput', /type/)
    })
  })

  describe('show', () => {
    it('returns the user, login history and operations', async () => {
      const u = await engine.users.create({username: 'show_me', password: 'password123'}, actor)
      await engine.store.users.recordLogin(u.user_id, {ip: '10.1.2.3', device: 'cli', success: false, reason: 'bad password', at: new Date('2024-01-15T09:00:00.000Z')})
      await engine.store.users.recordLogin(u.user_id, {ip: '10.1.2.3', device: 'cli', success: true, reason: null, at: new Date('2024-01-15T09:01:00.000Z')})
      await engine.users.setStatus({user_id: u.user_id}, 'suspended', actor, 'checking')

      const details = await engine.users.show({username: 'show_me'})
      expect(details.user.user_id).toBe(u.user_id)
      expect(details.user.status).toBe('suspended')
      expect(details.user.last_login_at).toBe('2024-01-15T09:01:00.000Z')
      expect(details.login_history).toEqual([
        {at: '2024-01-15T09:01:00.000Z', ip: '10.1.2.3', device: 'cli', success: true, reason: null},
        {at: '2024-01-15T09:00:00.000Z', ip: '10.1.2.3', device: 'cli', success: false, reason: 'bad password'},
      ])
      expect(details.operations.map((o) => o.action)).toEqual(['user.status', 'user.create'])
      expect(details.operations[0]).toMatchObject({actor: 'tester', target: u.user_id, result: 'ok', details: {from: 'active', to: 'suspended', reason: 'checking'}})
      expect(details.operations[0]!.at).toMatch(/Z$/)
    })

    it('an unknown user is notFound', async () => {
      const e = await expectKind(engine.users.show({username: 'nobody_here'}), 'notFound', /nobody_here/)
      expect(e.exitCode).toBe(4)
      await expectKind(engine.users.show({user_id: 'U999999'}), 'notFound', /U999999/)
    })
  })

  describe('setStatus', () => {
    it('writes the user, one audit row and one event in one go', async () => {
      const u = await engine.users.create({username: 'status_user', password: 'password123'}, actor)
      const before = await counts()
      const result = await engine.users.setStatus({username: 'status_user'}, 'Suspended', actor, 'risk review')
      expect(result.changed).toBe(true)
      expect(result.previous).toBe('active')
      expect(result.user.status).toBe('suspended')
      expect((await knex('users').where({user_id: u.user_id}).first('status')).status).toBe('suspended')
      expect(await counts()).toEqual({users: before.users, audit_log: before.audit_log + 1, events: before.events + 1})
      const audit = await lastAudit()
      expect(audit).toMatchObject({action: 'user.status', target: u.user_id, actor: 'tester'})
      expect(json(audit.details)).toEqual({from: 'active', to: 'suspended', reason: 'risk review'})
      const event = await lastEvent()
      expect(event).toMatchObject({type: 'user.status_changed', entity_type: 'user', entity_id: u.user_id, user_id: u.user_id, source: 'cli'})
      expect(json(event.payload)).toMatchObject({from: 'active', to: 'suspended'})
    })

    it('a no-op status change writes nothing', async () => {
      await engine.users.create({username: 'noop_status', password: 'password123', status: 'locked'}, actor)
      const before = await counts()
      const row = await knex('users').where({username: 'noop_status'}).first('updated_at')
      const result = await engine.users.setStatus({username: 'noop_status'}, 'locked', actor)
      expect(result.changed).toBe(false)
      expect(result.previous).toBe('locked')
      expect(result.user.status).toBe('locked')
      expect(await counts()).toEqual(before)
      expect(engine.db.dialect.toIso((await knex('users').where({username: 'noop_status'}).first('updated_at')).updated_at)).toBe(engine.db.dialect.toIso(row.updated_at))
    })

    it('refuses an unknown status or user, writing nothing', async () => {
      await engine.users.create({username: 'bad_status', password: 'password123'}, actor)
      await failsCleanly(() => engine.users.setStatus({username: 'bad_status'}, 'deleted', actor), 'invalidInput', /active, suspended, locked/)
      await failsCleanly(() => engine.users.setStatus({username: 'ghost_user'}, 'locked', actor), 'notFound')
      expect((await engine.users.find({username: 'bad_status'})).status).toBe('active')
    })
  })

  describe('resetPassword', () => {
    it('changes the hash and audits without the password', async () => {
      const u = await engine.users.create({username: 'reset_me', password: 'OldPassw0rd'}, actor)
      const oldHash = (await engine.store.users.passwordHash(u.user_id))!
      const before = await counts()
      await engine.users.resetPassword({username: 'reset_me'}, 'NewPassw0rd!', actor)
      const newHash = (await engine.store.users.passwordHash(u.user_id))!
      expect(newHash).not.toBe(oldHash)
      expect(newHash).toMatch(/^\$argon2id\$/)
      expect(await verifyPassword(newHash, 'NewPassw0rd!')).toBe(true)
      expect(await verifyPassword(newHash, 'OldPassw0rd')).toBe(false)
      expect(await counts()).toEqual({users: before.users, audit_log: before.audit_log + 1, events: before.events})
      const audit = await lastAudit()
      expect(audit).toMatchObject({action: 'user.reset_password', target: u.user_id})
      expect(JSON.stringify(audit)).not.toContain('NewPassw0rd!')
      expect(JSON.stringify(audit)).not.toContain(newHash)
    })

    it('applies the password policy and writes nothing on failure', async () => {
      const u = await engine.users.create({username: 'reset_fail', password: 'password123'}, actor)
      const hash = await engine.store.users.passwordHash(u.user_id)
      await failsCleanly(() => engine.users.resetPassword({username: 'reset_fail'}, 'short', actor), 'invalidInput', /too short/)
      await failsCleanly(() => engine.users.resetPassword({username: 'reset_fail'}, 'RESET_FAIL', actor), 'invalidInput', /differ from the username/)
      await failsCleanly(() => engine.users.resetPassword({username: 'nobody_x'}, 'password123', actor), 'notFound')
      expect(await engine.store.users.passwordHash(u.user_id)).toBe(hash)
    })
  })

  describe('update', () => {
    it('returns the changed fields and writes audit + event', async () => {
      const u = await engine.users.create({username: 'upd_user', password: 'password123', name: 'Old Name', email: 'old@example.com', group: 'g1'}, actor)
      const before = await counts()
      const result = await engine.users.update({user_id: u.user_id}, {name: 'Old Name', email: 'New@Example.com', group: 'g2', role: 'guest'}, actor)
      expect(result.changed.sort()).toEqual(['email', 'group', 'role'])
      expect(result.user).toMatchObject({name: 'Old Name', email: 'new@example.com', group: 'g2', role: 'guest'})
      expect(await counts()).toEqual({users: before.users, audit_log: before.audit_log + 1, events: before.events + 1})
      const audit = await lastAudit()
      expect(audit).toMatchObject({action: 'user.update', target: u.user_id})
      expect(json(audit.details)).toEqual({
        email: {from: 'old@example.com', to: 'new@example.com'},
        group: {from: 'g1', to: 'g2'},
        role: {from: 'trader', to: 'guest'},
      })
      const event = await lastEvent()
      expect(event).toMatchObject({type: 'user.updated', entity_id: u.user_id})
      expect(json(event.payload).changed.sort()).toEqual(['email', 'group', 'role'])
    })

    it('an update that changes nothing writes nothing', async () => {
      await engine.users.create({username: 'upd_noop', password: 'password123', email: 'same@example.com', group: 'g2'}, actor)
      const before = await counts()
      const result = await engine.users.update({username: 'upd_noop'}, {email: 'SAME@example.com', group: 'g2'}, actor)
      expect(result.changed).toEqual([])
      expect(result.user.email).toBe('same@example.com')
      expect(await counts()).toEqual(before)
    })

    it('refuses bad values, no fields, unknown users — writing nothing', async () => {
      await engine.users.create({username: 'upd_bad', password: 'password123', email: 'kept@example.com'}, actor)
      await failsCleanly(() => engine.users.update({username: 'upd_bad'}, {}, actor), 'invalidInput', /Nothing to update/)
      await failsCleanly(() => engine.users.update({username: 'upd_bad'}, {email: 'nope'}, actor), 'invalidInput', /email/)
      await failsCleanly(() => engine.users.update({username: 'upd_bad'}, {permissions: ['root']}, actor), 'invalidInput', /permission/)
      await failsCleanly(() => engine.users.update({username: 'upd_bad'}, {name: 'x'.repeat(10_000)}, actor), 'invalidInput', /too long/)
      await failsCleanly(() => engine.users.update({username: 'upd_bad'}, {type: 'corporate'}, actor), 'invalidInput', /type/)
      await failsCleanly(() => engine.users.update({username: 'ghost_upd'}, {name: 'x'}, actor), 'notFound')
      expect((await engine.users.find({username: 'upd_bad'})).email).toBe('kept@example.com')
    })
  })

  describe('delete', () => {
    it('refuses a user with open orders unless forced, then cascades', async () => {
      const u = await engine.users.create({username: 'del_user', password: 'password123'}, actor)
      await engine.store.strategies.insert({
        strategy_id: 'STRDEL1',
        user_id: u.user_id,
        name: 'grid',
        type: 'grid',
        status: 'stopped',
        parameters: {levels: 5},
        risk_management: {},
        schedule: null,
      })
      await engine.store.orders.insert([
        {order_id: 'ORDDEL1', user_id: u.user_id, strategy_id: 'STRDEL1', symbol: 'MSFT', side: 'buy', order_type: 'limit', time_in_force: 'GTC', quantity: 10, price: 320, status: 'pending'},
        {order_id: 'ORDDEL2', user_id: u.user_id, symbol: 'MSFT', side: 'sell', order_type: 'market', time_in_force: 'GTC', quantity: 10, filled_quantity: 10, avg_fill_price: 321, status: 'filled'},
      ])
      await engine.store.orders.insertLogs([
        {order_id: 'ORDDEL1', from_status: null, to_status: 'pending', source: 'cli'},
        {order_id: 'ORDDEL2', from_status: null, to_status: 'pending', source: 'cli'},
        {order_id: 'ORDDEL2', from_status: 'pending', to_status: 'filled', filled_delta: 10, price: 321, source: 'engine'},
      ])
      await engine.store.orders.insertFills([{order_id: 'ORDDEL2', user_id: u.user_id, symbol: 'MSFT', side: 'sell', quantity: 10, price: 321}])

      const impact = await engine.users.deletionImpact({username: 'del_user'})
      expect(impact.removed).toEqual({strategies: 1, orders: 2, open_orders: 1})

      const e = await failsCleanly(() => engine.users.delete({username: 'del_user'}, {}, actor), 'conflict', /1 open order/)
      expect(e.details).toEqual({removed: {strategies: 1, orders: 2, open_orders: 1}})
      expect(await count('orders', {user_id: u.user_id})).toBe(2)
      expect(await count('strategies', {user_id: u.user_id})).toBe(1)

      const before = await counts()
      const result = await engine.users.delete({username: 'del_user'}, {force: true}, actor)
      expect(result.user.user_id).toBe(u.user_id)
      expect(result.removed).toEqual({strategies: 1, orders: 2, open_orders: 1})
      expect(await counts()).toEqual({users: before.users - 1, audit_log: before.audit_log + 1, events: before.events + 1})
      for (const t of ['strategies', 'orders', 'fills']) expect(await count(t, {user_id: u.user_id}), t).toBe(0)
      expect(Number((await knex('order_logs').whereIn('order_id', ['ORDDEL1', 'ORDDEL2']).count({n: '*'}))[0]!.n)).toBe(0)
      const audit = await lastAudit()
      expect(audit).toMatchObject({action: 'user.delete', target: u.user_id})
      expect(json(audit.details)).toMatchObject({username: 'del_user', forced: true, open_orders: 1})
      expect(await lastEvent()).toMatchObject({type: 'user.deleted', entity_id: u.user_id})
      await expectKind(engine.users.find({username: 'del_user'}), 'notFound')
      // The audit trail outlives the user.
      expect(await count('audit_log', {target: u.user_id})).toBeGreaterThanOrEqual(2)
    })

    it('deletes a user without open orders without force', async () => {
      const u = await engine.users.create({username: 'del_plain', password: 'password123'}, actor)
      const result = await engine.users.delete({user_id: u.user_id}, {}, actor)
      expect(result.removed).toEqual({strategies: 0, orders: 0, open_orders: 0})
      expect(await count('users', {user_id: u.user_id})).toBe(0)
    })

    it('an unknown user is notFound and writes nothing', async () => {
      await failsCleanly(() => engine.users.delete({username: 'never_was'}, {force: true}, actor), 'notFound')
    })
  })
})

// On its own backend, so the numbers do not depend on what other tests created.
describe.each(backendKinds)('UserService generated ids on %s', (kind) => {
  const ctx = useEngine(kind)

  it('numbers users consecutively from U000001', async () => {
    const a = await ctx.engine.users.create({username: 'first.user', password: 'password123'}, actor)
    const b = await ctx.engine.users.create({username: 'second.user', password: 'password123'}, actor)
    const c = await ctx.engine.users.create({username: 'third.user', password: 'password123', user_id: '001'}, actor)
    const d = await ctx.engine.users.create({username: 'fourth.user', password: 'password123'}, actor)
    expect([a.user_id, b.user_id, c.user_id, d.user_id]).toEqual(['U000001', 'U000002', '001', 'U000003'])
  })
})

// On its own backend: when this fails, the counter is stuck and every later create on that database fails too.
describe.each(backendKinds)('UserService explicit ids on %s', (kind) => {
  const ctx = useEngine(kind)

  it('an explicit user_id does not block later generated ids', async () => {
    const engine = ctx.engine
    // Take, explicitly, the id the counter would hand out next; the next generated id must step past it.
    const first = await engine.users.create({username: 'first_auto', password: 'password123'}, actor)
    expect(first.user_id).toBe('U000001')
    const taken = 'U000002'
    await engine.users.create({username: 'explicit_next', password: 'password123', user_id: taken}, actor)
    const auto = await engine.users.create({username: 'after_explicit', password: 'password123'}, actor)
    expect(auto.user_id).toMatch(/^U\d{6}$/)
    expect(auto.user_id).not.toBe(taken)
    expect((await engine.users.find({user_id: taken})).username).toBe('explicit_next')
    // And the one after that too (a stuck counter would fail every create from here on).
    const again = await engine.users.create({username: 'after_explicit2', password: 'password123'}, actor)
    expect(new Set([first.user_id, taken, auto.user_id, again.user_id]).size).toBe(4)
  })
})
