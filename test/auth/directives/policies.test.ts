import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { definePolicies } from '../../../src/auth/directives/policies.js';
import type { PolicyInput } from '../../../src/auth/directives/types.js';
import { formatSsoError } from '../../../src/auth/graphql-errors.js';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../../src/lib/database-unavailable.js';
import { AuthenticationError, ForbiddenError, SettingsError } from '../../../src/errors.js';
import { errorLogPlugin } from '../../../src/server/error-log-plugin.js';
import { captureLogs, type LogCapture, type LogLine } from '../../support/logs.js';
import { LINK, claims, codes, serve, subgraph, type TestServer } from './support.js';

const SDL = `${LINK}
  type Account @key(fields: "id") {
    id: ID!
    name: String!
  }
  type Transaction {
    id: ID!
    accountId: ID!
    amount: Int @policy(policies: [["account-member"]])
  }
  type Query {
    account(id: ID!): Account @policy(policies: [["account-member"]])
    transactions: [Transaction!]!
    combo: String @policy(policies: [["p1", "p2"], ["p3"]])
    failing(kind: String!): String @policy(policies: [["explodes"]])
  }
`;

const transactions = [
  { id: 't1', accountId: '1', amount: 10 },
  { id: 't2', accountId: '2', amount: 20 },
];
const resolvers = {
  Query: {
    account: (_: unknown, { id }: { id: string }) => ({ id, name: `account ${id}` }),
    transactions: () => transactions,
    combo: () => 'combo',
    failing: () => 'unreachable',
  },
};

describe('@policy', () => {
  const calls: string[] = [];
  const inputs: PolicyInput[] = [];
  let t: TestServer;

  const flag =
    (name: string) =>
    async ({ claims: c }: PolicyInput) => {
      calls.push(name);
      return (c.flags as string[] | undefined)?.includes(name) ?? false;
    };
  const policies = definePolicies({
    'account-member': (input) => {
      inputs.push(input);
      const target = input.args.id ?? (input.parent as { accountId?: string } | undefined)?.accountId;
      return input.claims.account === target;
    },
    p1: flag('p1'),
    p2: flag('p2'),
    p3: flag('p3'),
    explodes: ({ args }) => {
      if (args.kind === 'graphql') throw new GraphQLError('Teapot.', { extensions: { code: 'TEAPOT' } });
      if (args.kind === 'sso') throw new ForbiddenError('Account frozen.');
      throw new Error('database down');
    },
  });

  before(async () => {
    t = await serve(applyAuthDirectives(subgraph(SDL, resolvers), { policies }));
  });
  after(() => t.stop());

  it('passes the arguments: account-member holds for the account of the token', async () => {
    const allowed = await t.run('{ account(id: "1") { id name } }', { auth: claims({ account: '1' }), user: { name: 'alice' } });
    assert.deepEqual(allowed.data, { account: { id: '1', name: 'account 1' } });
    const input = inputs.at(-1)!;
    assert.deepEqual(input.args, { id: '1' });
    assert.deepEqual(input.user, { name: 'alice' });
    assert.equal(input.info.fieldName, 'account');
    assert.equal((input.context as { user: unknown }).user, input.user);

    const denied = await t.run('{ account(id: "2") { id } }', { auth: claims({ account: '1' }) });
    assert.deepEqual(denied.data, { account: null });
    assert.deepEqual(codes(denied), { account: 'FORBIDDEN' });
    assert.equal(denied.errors[0].message, 'Field "Query.account" requires policy "account-member"');
    assert.equal(denied.status, undefined);
  });

  it('passes the parent: each transaction is checked against its own account', async () => {
    const result = await t.run('{ transactions { id amount } }', { auth: claims({ account: '1' }) });
    assert.deepEqual(result.data, {
      transactions: [
        { id: 't1', amount: 10 },
        { id: 't2', amount: null },
      ],
    });
    assert.deepEqual(codes(result), { 'transactions.1.amount': 'FORBIDDEN' });
    assert.equal(inputs.at(-1)!.parent, transactions[1]);
  });

  it('never runs a policy for an anonymous request: UNAUTHENTICATED', async () => {
    const before = inputs.length;
    const result = await t.run('{ account(id: "1") { id } }');
    assert.deepEqual(codes(result), { account: 'UNAUTHENTICATED' });
    assert.equal(inputs.length, before);
  });

  it('treats the policy sets as an OR of AND-lists, short-circuiting in order', async () => {
    const cases: [string[], boolean, string[]][] = [
      [['p1', 'p2'], true, ['p1', 'p2']],
      [['p3'], true, ['p1', 'p3']],
      [['p1'], false, ['p1', 'p2', 'p3']],
      [['p2'], false, ['p1', 'p3']],
    ];
    for (const [flags, allowed, called] of cases) {
      calls.length = 0;
      const result = await t.run('{ combo }', { auth: claims({ flags }) });
      assert.deepEqual(result.data, { combo: allowed ? 'combo' : null }, flags.join(','));
      assert.deepEqual(calls, called, flags.join(','));
      if (!allowed) assert.equal(result.errors[0].message, 'Field "Query.combo" requires one of the policy sets [p1, p2], [p3]');
    }
  });

  it('fails the field with the error a policy throws', async () => {
    const auth = claims();
    const graphql = await t.run('{ failing(kind: "graphql") }', { auth });
    assert.deepEqual(
      graphql.errors.map((e) => [e.message, e.extensions?.code]),
      [['Teapot.', 'TEAPOT']],
    );
    const sso = await t.run('{ failing(kind: "sso") }', { auth });
    assert.deepEqual(
      sso.errors.map((e) => [e.message, e.extensions?.code]),
      [['Account frozen.', 'FORBIDDEN']],
    );
    // Anything else is masked even without formatSsoError: its text is not for clients.
    const other = await t.run('{ failing(kind: "other") }', { auth });
    assert.deepEqual(
      other.errors.map((e) => [e.message, e.extensions?.code]),
      [['Internal server error.', 'INTERNAL_SERVER_ERROR']],
    );
    assert.deepEqual(other.data, { failing: null });
  });
});

describe('policy registration', () => {
  it('throws when the schema uses a policy that is not registered, naming field and policy', () => {
    assert.throws(
      () =>
        applyAuthDirectives(subgraph(SDL, resolvers), {
          policies: { p1: () => true, p2: () => true, p3: () => true, explodes: () => true },
        }),
      (error: unknown) =>
        error instanceof SettingsError &&
        error.code === 'INVALID_SETTINGS' &&
        /@policy on field "(Query\.account|Transaction\.amount)" names policy "account-member", which is not registered/.test(
          error.message,
        ),
    );
  });

  it('names the type of a type-level @policy', () => {
    const sdl = `${LINK}\n type Vault @policy(policies: [["vault-owner"]]) { id: ID! }\n type Query { vault: Vault }`;
    assert.throws(() => applyAuthDirectives(subgraph(sdl)), /@policy on type "Vault" names policy "vault-owner", which is not registered/);
    // Deliberately not a function, as a JSON config could produce.
    assert.throws(() => applyAuthDirectives(subgraph(sdl), { policies: { 'vault-owner': 'yes' as never } }), SettingsError);
    assert.doesNotThrow(() => applyAuthDirectives(subgraph(sdl), { policies: { 'vault-owner': () => true } }));
  });

  it('does not take inherited object properties for policies', () => {
    const sdl = `${LINK}\n type Query { x: String @policy(policies: [["toString"]]) }`;
    assert.throws(() => applyAuthDirectives(subgraph(sdl)), SettingsError);
  });
});

describe('a lazily resolved user', () => {
  const sdl = `${LINK}
    type Query {
      secret: String @authenticated
      scoped: String @requiresScopes(scopes: [["a"]])
      open: String
    }`;
  let t: TestServer;
  before(async () => {
    t = await serve(applyAuthDirectives(subgraph(sdl, { Query: { secret: () => 'secret', scoped: () => 'scoped', open: () => 'open' } })));
  });
  after(() => t.stop());

  it('is awaited by every guarded field, and its refusal fails them', async () => {
    let lookups = 0;
    const refused = {
      then: (_resolve: unknown, reject: (error: unknown) => unknown) => {
        lookups += 1;
        return Promise.reject(new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.')).then(undefined, reject);
      },
    };
    const result = await t.run('{ secret scoped open }', { auth: claims({ scopes: ['a'] }), user: refused });
    assert.deepEqual(result.data, { secret: null, scoped: null, open: 'open' });
    assert.deepEqual(codes(result), { secret: 'UNAUTHENTICATED', scoped: 'UNAUTHENTICATED' });
    assert.equal(result.errors[0]!.message, 'User inactive or deleted.');
    assert.equal(result.errors[0]!.extensions?.reason, 'USER_INACTIVE');
    assert.equal(result.status, undefined);
    assert.equal(lookups, 2);
  });

  it('grants once it resolves', async () => {
    const result = await t.run('{ secret scoped }', { auth: claims({ scopes: ['a'] }), user: Promise.resolve({ id: 'u1' }) });
    assert.deepEqual(result.data, { secret: 'secret', scoped: 'scoped' });
    assert.deepEqual(result.errors, []);
  });
});

describe('a policy that fails unexpectedly, in a subgraph with formatSsoError and errorLogPlugin', () => {
  const sdl = `${LINK}
    type Item {
      id: ID!
      secret: String @policy(policies: [["owner"]])
    }
    type Query {
      items: [Item!]!
      checked(kind: String!): String @policy(policies: [["checks"]])
      open: String
    }`;
  const CAUSE = 'relation "account_member" does not exist';
  const policies = definePolicies({
    owner: () => {
      throw new TypeError(`${CAUSE} (owner)`);
    },
    checks: async ({ args }) => {
      if (args.kind === 'forbidden') throw new ForbiddenError('Account frozen.');
      if (args.kind === 'unauthenticated') throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
      if (args.kind === 'outage') throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
      throw new Error(`${CAUSE} (checks)`);
    },
  });
  let t: TestServer;
  let logs: LogCapture;

  before(async () => {
    logs = captureLogs();
    const resolvers = {
      Query: { items: () => [{ id: 'i1' }, { id: 'i2' }], checked: () => 'checked', open: () => 'open' },
      Item: { secret: () => 'secret' },
    };
    t = await serve(applyAuthDirectives(subgraph(sdl, resolvers), { policies }), [errorLogPlugin(logs.logger)], {
      formatError: formatSsoError,
    });
  });
  after(() => t.stop());

  const errorLines = () => logs.lines().filter((line) => line.level >= 50) as (LogLine & { err?: { message?: string; stack?: string } })[];

  it('fails the guarded fields with INTERNAL_SERVER_ERROR "Internal server error.", partial results kept, and logs each cause', async () => {
    const before = errorLines().length;
    const result = await t.run('{ open items { id secret } checked(kind: "other") }', { auth: claims() });
    assert.deepEqual(result.data, {
      open: 'open',
      items: [
        { id: 'i1', secret: null },
        { id: 'i2', secret: null },
      ],
      checked: null,
    });
    assert.deepEqual(codes(result), {
      'items.0.secret': 'INTERNAL_SERVER_ERROR',
      'items.1.secret': 'INTERNAL_SERVER_ERROR',
      checked: 'INTERNAL_SERVER_ERROR',
    });
    assert.ok(
      result.errors.every((e) => e.message === 'Internal server error.'),
      JSON.stringify(result.errors),
    );
    assert.equal(result.status, undefined, 'field errors set no HTTP status');
    assert.ok(!JSON.stringify(result.errors).includes('account_member'), 'the cause reached the client');
    assert.ok(!JSON.stringify(result.errors).includes('stacktrace'), 'a stack reached the client');

    const lines = errorLines().slice(before);
    assert.deepEqual(lines.map((l) => [l.hook, l.err?.message, l.path]).sort(), [
      ['policies.checks', `${CAUSE} (checks)`, ['checked']],
      ['policies.owner', `${CAUSE} (owner)`, ['items', 0, 'secret']],
      ['policies.owner', `${CAUSE} (owner)`, ['items', 1, 'secret']],
    ]);
    assert.ok(
      lines.every((l) => l.err?.stack),
      'each cause is logged with its stack',
    );
  });

  it('keeps ForbiddenError and AuthenticationError as they are, and a database outage SERVICE_UNAVAILABLE', async () => {
    const before = errorLines().length;
    const run = async (kind: string) =>
      (await t.run(`{ checked(kind: "${kind}") }`, { auth: claims() })).errors.map((e) => [e.message, e.extensions?.code]);
    assert.deepEqual(await run('forbidden'), [['Account frozen.', 'FORBIDDEN']]);
    assert.deepEqual(await run('unauthenticated'), [['User inactive or deleted.', 'UNAUTHENTICATED']]);
    assert.equal(errorLines().length, before, 'refusals are no server errors');
    assert.deepEqual(await run('outage'), [[DATABASE_UNAVAILABLE_MESSAGE, 'SERVICE_UNAVAILABLE']]);
  });
});
