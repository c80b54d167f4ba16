import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloGateway, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { ResolverMap } from '../../src/index.js';
import { parse, type DocumentNode, type GraphQLObjectType } from 'graphql';
import { applyAuthDirectives } from '../../src/auth/directives/apply.js';
import { authDirectivesPlugin } from '../../src/auth/directives/reject-plugin.js';
import { createSsoContext, type SsoContext } from '../../src/auth/context.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { SsoError } from '../../src/errors.js';
import { encodeJwtToken } from '../../src/jwt/encode.js';
import { KeyStore } from '../../src/jwt/key-store.js';
import {
  CompositionError,
  SsoGraphQLDataSource,
  SsoSupergraphManager,
  buildSsoService,
  composeSupergraph,
  gatewayContext,
  supergraphForGateway,
  type GatewayContext,
  type SubgraphDefinition,
} from '../../src/gateway-exports.js';
import { createTestLogger } from '../support/database.js';
import { createKeyDir, type TestKeyDir } from '../support/keys.js';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])';

const ACCOUNTS_SDL = `${LINK}
  type Account @key(fields: "id") {
    id: ID!
    name: String!
    balance: Int @requiresScopes(scopes: [["accounts:read-balance"]])
  }
  type User @key(fields: "id") {
    id: ID!
    accounts: [Account!]! @authenticated
  }
  type Query {
    account(id: ID!): Account @policy(policies: [["account-member"]])
    publicStatus: String
  }
`;

const USERS_SDL = `${LINK}
  type User @key(fields: "id") {
    id: ID!
    username: String!
  }
  type Query {
    me: User @authenticated
  }
`;

const SUBGRAPHS: SubgraphDefinition[] = [
  { name: 'accounts', url: 'http://accounts.invalid/graphql', typeDefs: parse(ACCOUNTS_SDL) },
  { name: 'users', url: 'http://users.invalid/graphql', typeDefs: parse(USERS_SDL) },
];

const SECURITY_LINKS = ['authenticated', 'requiresScopes', 'policy'].map(
  (name) => `@link(url: "https://specs.apollo.dev/${name}/v0.1", for: SECURITY)`,
);

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Loads a static supergraph the way `new ApolloGateway({ supergraphSdl })` does, and stops it. */
async function loadInGateway(supergraphSdl: string) {
  const gateway = new ApolloGateway({ supergraphSdl, logger: quiet });
  try {
    return (await gateway.load()).schema;
  } finally {
    await gateway.stop().catch(() => undefined);
  }
}

function definitionNames(sdl: string): string[] {
  return parse(sdl)
    .definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : []))
    .sort();
}

describe('supergraphForGateway', () => {
  const full = composeSupergraph(SUBGRAPHS);

  it('is needed: the gateway refuses the composed supergraph for its SECURITY features', async () => {
    for (const link of SECURITY_LINKS) assert.ok(full.includes(link), `composition emits ${link}`);
    await assert.rejects(
      loadInGateway(full),
      /feature https:\/\/specs\.apollo\.dev\/authenticated\/v0\.1 is for: SECURITY but is unsupported/,
    );
  });

  it('removes the authorization features, which the gateway then accepts, and keeps everything else', async () => {
    const stripped = supergraphForGateway(full);
    for (const gone of [
      'specs.apollo.dev/authenticated',
      'specs.apollo.dev/requiresScopes',
      'specs.apollo.dev/policy',
      '@authenticated',
      '@requiresScopes',
      '@policy',
      'requiresScopes__Scope',
      'policy__Policy',
    ]) {
      assert.ok(!stripped.includes(gone), `${gone} is removed`);
    }
    const removed = new Set(['authenticated', 'requiresScopes', 'policy', 'requiresScopes__Scope', 'policy__Policy']);
    assert.deepEqual(
      definitionNames(stripped),
      definitionNames(full).filter((name) => !removed.has(name)),
    );
    const joins = (sdl: string) => sdl.match(/@join__\w+\(/g)?.length;
    assert.equal(joins(stripped), joins(full));

    const schema = await loadInGateway(stripped);
    const fields = (type: string) => Object.keys((schema.getType(type) as GraphQLObjectType).getFields()).sort();
    assert.deepEqual(fields('Query'), ['account', 'me', 'publicStatus']);
    assert.deepEqual(fields('User'), ['accounts', 'id', 'username']);
    assert.deepEqual(fields('Account'), ['balance', 'id', 'name']);
  });

  it('returns a supergraph without authorization features unchanged', () => {
    const plain = composeSupergraph([{ name: 'a', url: 'http://a.invalid', typeDefs: parse('type Query { hello: String }') }]);
    assert.equal(supergraphForGateway(plain), plain);
  });

  it('follows a renamed feature (`as:`)', async () => {
    const renamed = full
      .replace(SECURITY_LINKS[0]!, '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "auth", for: SECURITY)')
      .replaceAll('@authenticated', '@auth');
    const stripped = supergraphForGateway(renamed);
    assert.ok(!/@auth\b/.test(stripped));
    await loadInGateway(stripped);
  });

  it('refuses a SECURITY feature no graphql-sso subgraph enforces, naming it', () => {
    const check = (sdl: string, url: RegExp) =>
      assert.throws(
        () => supergraphForGateway(sdl),
        (error: unknown) => error instanceof SsoError && error.code === 'INVALID_SETTINGS' && url.test(error.message),
      );
    check(full.replace(SECURITY_LINKS[2]!, `$& @link(url: "https://specs.apollo.dev/rateLimit/v0.1", for: SECURITY)`), /rateLimit\/v0\.1/);
    check(full.replace('authenticated/v0.1', 'authenticated/v0.2'), /authenticated\/v0\.2 \(only v0\.1/);
  });
});

describe('composeSupergraph', () => {
  it('keeps the authorization directives, for Apollo Router', () => {
    const full = composeSupergraph(SUBGRAPHS);
    assert.match(full, /balance: Int @requiresScopes\(scopes: \[\["accounts:read-balance"\]\]\)/);
  });

  it('throws one CompositionError listing every composition error', () => {
    const conflicting: SubgraphDefinition[] = [
      { name: 'a', url: 'http://a.invalid', typeDefs: parse('type Query { hello: String, count: Int }') },
      { name: 'b', url: 'http://b.invalid', typeDefs: parse('type Query { hello: Int, count: String }') },
    ];
    assert.throws(
      () => composeSupergraph(conflicting),
      (error: unknown) => {
        assert.ok(error instanceof CompositionError);
        assert.equal(error.code, 'INVALID_SETTINGS');
        assert.ok(error.errors.length >= 2, 'every error is kept');
        assert.match(error.message, /do not compose into a supergraph \(\d+ errors\)/);
        assert.match(error.message, /Query\.hello/);
        assert.match(error.message, /Query\.count/);
        for (const e of error.errors) assert.ok(error.message.includes(e.message));
        return true;
      },
    );
  });
});

describe('SsoSupergraphManager', () => {
  /** Data sources answering `_service { sdl }` from a map the test edits. */
  function fakeSubgraphs(sdls: Map<string, string>) {
    const loads: { name: string; headers: Record<string, string> }[] = [];
    const getDataSource = ({ name }: { name: string; url?: string }): GraphQLDataSource => ({
      async process({ request }: GraphQLDataSourceProcessOptions) {
        loads.push({ name, headers: Object.fromEntries(request.http!.headers) });
        return { data: { _service: { sdl: sdls.get(name) } } };
      },
    });
    return { loads, getDataSource };
  }

  it('composes the subgraphs, hands over the stripped supergraph and keeps the full one', async () => {
    const sdls = new Map([
      ['accounts', ACCOUNTS_SDL],
      ['users', USERS_SDL],
    ]);
    const { loads, getDataSource } = fakeSubgraphs(sdls);
    const manager = new SsoSupergraphManager({
      subgraphs: [
        { name: 'accounts', url: 'http://accounts.invalid/graphql' },
        { name: 'users', url: 'http://users.invalid/graphql' },
      ],
      introspectionHeaders: ({ name }) => ({ 'x-subgraph': name }),
    });
    const { supergraphSdl, cleanup } = await manager.initialize({
      update: () => assert.fail('no update'),
      healthCheck: async () => {},
      getDataSource,
    });
    assert.equal(supergraphSdl, supergraphForGateway(composeSupergraph(SUBGRAPHS)));
    assert.equal(manager.supergraphSdl, composeSupergraph(SUBGRAPHS));
    assert.deepEqual(
      loads.map((l) => [l.name, l.headers['x-subgraph']]),
      [
        ['accounts', 'accounts'],
        ['users', 'users'],
      ],
    );
    await cleanup!();
  });

  it('polls: recomposes when an SDL changes, retries what the gateway refused, keeps the supergraph when composition fails, stops on cleanup', async () => {
    const sdls = new Map([
      ['accounts', ACCOUNTS_SDL],
      ['users', USERS_SDL],
    ]);
    const { loads, getDataSource } = fakeSubgraphs(sdls);
    const updates: string[] = [];
    let refusals = 0;
    const manager = new SsoSupergraphManager({
      subgraphs: [
        { name: 'accounts', url: 'http://accounts.invalid/graphql' },
        { name: 'users', url: 'http://users.invalid/graphql' },
      ],
      pollIntervalMs: 10,
      logger: createTestLogger(),
    });
    const update = (sdl: string) => {
      // The gateway refuses the first update offered, e.g. while it is busy updating.
      if (refusals++ === 0) throw new Error('busy');
      updates.push(sdl);
    };
    const { cleanup } = await manager.initialize({ update, healthCheck: async () => {}, getDataSource });
    // The poll timer is unref'd (a server keeps the process alive), so waiting needs a timer of its own.
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const polls = (n: number) => {
      const target = loads.length + 2 * n;
      return until(() => loads.length >= target);
    };

    await polls(2);
    assert.equal(updates.length, 0, 'unchanged SDLs: no update');

    sdls.set('users', USERS_SDL.replace('username: String!', 'username: String!\n    email: String'));
    await until(() => updates.length > 0);
    assert.equal(updates.length, 1);
    assert.equal(refusals, 2, 'offered again after a refusal');
    assert.match(updates[0]!, /email: String @join__field\(graph: USERS\)/);
    assert.doesNotMatch(updates[0]!, /@authenticated/);

    sdls.set('users', USERS_SDL.replace('type Query {', 'type Query {\n    publicStatus: Int'));
    await polls(3);
    assert.equal(updates.length, 1, 'a composition failure keeps the current supergraph');
    assert.doesNotMatch(manager.supergraphSdl!, /publicStatus: Int/);

    await cleanup!();
    const after = loads.length;
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(loads.length, after, 'no polling after cleanup');
  });

  it('fails start-up naming an unreachable subgraph', async () => {
    const manager = new SsoSupergraphManager({ subgraphs: [{ name: 'users', url: 'http://users.invalid/graphql' }] });
    const getDataSource = (): GraphQLDataSource => ({
      process: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    await assert.rejects(
      manager.initialize({ update: () => {}, healthCheck: async () => {}, getDataSource }),
      (error: unknown) =>
        error instanceof SsoError &&
        error.code === 'SERVICE_UNAVAILABLE' &&
        /subgraph "users" at http:\/\/users\.invalid\/graphql: connect ECONNREFUSED/.test(error.message),
    );
  });

  it('checks its options', () => {
    const invalid = (options: ConstructorParameters<typeof SsoSupergraphManager>[0], setting: string) =>
      assert.throws(
        () => new SsoSupergraphManager(options),
        (e: unknown) => e instanceof SsoError && e.code === 'INVALID_SETTINGS' && e.message.includes(`"${setting}"`),
      );
    invalid({ subgraphs: [] }, 'subgraphs');
    invalid(
      {
        subgraphs: [
          { name: 'a', url: 'http://a' },
          { name: 'a', url: 'http://b' },
        ],
      },
      'subgraphs',
    );
    invalid({ subgraphs: [{ name: 'a', url: 'not a url' }] }, 'subgraphs');
    invalid({ subgraphs: [{ name: 'a', url: 'http://a' }], pollIntervalMs: 0 }, 'pollIntervalMs');
  });
});

describe('gatewayContext', () => {
  const request = (headers: Record<string, string | string[]>, remoteAddress: string | undefined) =>
    ({ headers, socket: { remoteAddress } }) as unknown as import('node:http').IncomingMessage;

  it("appends the client's socket address to X-Forwarded-For, as a proxy does", async () => {
    assert.deepEqual(await gatewayContext({ req: request({ authorization: 'JWT abc', 'user-agent': 'curl/8.5' }, '203.0.113.7') }), {
      authorization: 'JWT abc',
      forwardedFor: '203.0.113.7',
      userAgent: 'curl/8.5',
    });
    const behindProxy = await gatewayContext({ req: request({ 'x-forwarded-for': '198.51.100.1, 192.0.2.10' }, '::ffff:10.0.0.2') });
    assert.equal(behindProxy.forwardedFor, '198.51.100.1, 192.0.2.10, 10.0.0.2', 'IPv4-mapped addresses written as IPv4');
    assert.equal(behindProxy.userAgent, null);
    assert.equal(behindProxy.authorization, null);
    const ipv6 = await gatewayContext({ req: request({ 'x-forwarded-for': ['198.51.100.1', '192.0.2.10'] }, '2001:db8::1') });
    assert.equal(ipv6.forwardedFor, '198.51.100.1, 192.0.2.10, 2001:db8::1');
    assert.equal((await gatewayContext({ req: request({}, undefined) })).forwardedFor, null);
  });
});

describe('SsoGraphQLDataSource', () => {
  /** A data source whose fetches are recorded and answered by `respond`. */
  function dataSource(respond: () => Response, options: { forwardStatus?: boolean } = {}) {
    const sent: Record<string, string>[] = [];
    const source = new SsoGraphQLDataSource({ url: 'http://subgraph.invalid/graphql', ...options });
    source.fetcher = async (_url, init) => {
      sent.push({ ...(init?.headers as Record<string, string>) });
      return respond() as never;
    };
    return { source, sent };
  }
  const operation = (context: Record<string, unknown>) =>
    ({
      kind: 'incoming operation',
      request: { query: '{ me { id } }' },
      incomingRequestContext: {},
      context,
    }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  it('forwards the Authorization header of an incoming operation, and none when loading the schema', async () => {
    const { source, sent } = dataSource(() => json(200, { data: { me: null } }));
    await source.process(operation({ authorization: 'JWT abc' }));
    await source.process(operation({ authorization: null }));
    await source.process({
      kind: 'loading schema',
      request: { query: '{ _service { sdl } }' },
      context: { authorization: 'JWT abc' },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    assert.deepEqual(
      sent.map((h) => h.authorization),
      ['JWT abc', undefined, undefined],
    );
  });

  it("forwards the client's address and user agent of an incoming operation, and none when loading the schema", async () => {
    const { source, sent } = dataSource(() => json(200, { data: { me: null } }));
    await source.process(operation({ authorization: null, forwardedFor: '198.51.100.1, 203.0.113.7', userAgent: 'curl/8.5' }));
    await source.process(operation({ authorization: null, forwardedFor: null, userAgent: null }));
    await source.process({
      kind: 'loading schema',
      request: { query: '{ _service { sdl } }' },
      context: { forwardedFor: '203.0.113.7', userAgent: 'curl/8.5' },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    assert.deepEqual(
      sent.map((h) => [h['x-forwarded-for'], h['user-agent']]),
      [
        ['198.51.100.1, 203.0.113.7', 'curl/8.5'],
        [undefined, ''],
        [undefined, undefined],
      ],
      "a client without a user agent is sent an empty one, not the gateway's",
    );
  });

  it('takes the client headers from getClientHeaders', async () => {
    const sent: Record<string, string>[] = [];
    const source = new SsoGraphQLDataSource<GatewayContext & { device: string }>({
      url: 'http://subgraph.invalid/graphql',
      getClientHeaders: (context) => ({ 'x-device': context.device }),
    });
    source.fetcher = async (_url, init) => {
      sent.push({ ...(init?.headers as Record<string, string>) });
      return json(200, { data: {} }) as never;
    };
    await source.process(operation({ device: 'phone', forwardedFor: '203.0.113.7', userAgent: 'curl/8.5' }) as never);
    assert.equal(sent[0]!['x-device'], 'phone');
    assert.equal(sent[0]!['x-forwarded-for'], undefined);
  });

  it("hands on a subgraph's 401 refusal with its code, message, status and challenge", async () => {
    const body = { errors: [{ message: 'Token has expired.', extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' } }] };
    const { source } = dataSource(() => json(401, body, { 'www-authenticate': 'JWT realm="api"' }));
    const { errors } = await source.process(operation({ authorization: 'JWT abc' }));
    assert.equal(errors?.length, 1);
    const { message, extensions } = errors![0]!;
    assert.equal(message, 'Token has expired.');
    assert.equal(extensions?.code, 'UNAUTHENTICATED');
    assert.equal(extensions?.reason, 'TOKEN_EXPIRED');
    const http = extensions?.http as { status: number; headers: Map<string, string> };
    assert.equal(http.status, 401);
    assert.equal(http.headers.get('www-authenticate'), 'JWT realm="api"');
    assert.equal(extensions?.response, undefined, 'no subgraph URL or raw body');
  });

  it('keeps the code but not the status with forwardStatus: false', async () => {
    const body = { errors: [{ message: 'Missing scope.', extensions: { code: 'FORBIDDEN' } }] };
    const { source } = dataSource(() => json(403, body), { forwardStatus: false });
    const { errors } = await source.process(operation({}));
    assert.deepEqual(errors, body.errors);
  });

  it('leaves a non-GraphQL error response to RemoteGraphQLDataSource', async () => {
    const { source } = dataSource(
      () => new Response('Bad Gateway', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/plain' } }),
    );
    await assert.rejects(source.process(operation({})), /502: Bad Gateway/);
  });
});

describe('a gateway in front of graphql-sso subgraphs', () => {
  let keys: TestKeyDir;
  let mint: (claims?: Record<string, unknown>) => string;
  let gatewayUrl: string;
  const stops: (() => Promise<void>)[] = [];
  const seenBySubgraphs: { forwardedFor?: string | string[]; userAgent?: string | string[] }[] = [];

  async function startSubgraph(
    sdl: string,
    resolvers: ResolverMap<SsoContext>,
    context: (args: { req: import('node:http').IncomingMessage }) => Promise<SsoContext>,
    mode: 'resolve-null' | 'reject',
  ) {
    const typeDefs: DocumentNode = parse(sdl);
    const policies = {
      'account-member': ({ claims, args }: { claims: Record<string, unknown>; args: Record<string, unknown> }) =>
        claims.account === args.id,
    };
    const schema = applyAuthDirectives(buildSubgraphSchema([{ typeDefs, resolvers: resolvers as ResolverMap<unknown> }]), {
      mode,
      policies,
    });
    const plugins: ApolloServerPlugin<SsoContext>[] = [
      ApolloServerPluginInlineTraceDisabled(),
      ...(mode === 'reject' ? [authDirectivesPlugin<SsoContext>()] : []),
    ];
    const server = new ApolloServer<SsoContext>({ schema, plugins });
    const { url } = await startStandaloneServer(server, { context, listen: { port: 0, host: '127.0.0.1' } });
    stops.push(() => server.stop());
    return url;
  }

  before(async () => {
    keys = createKeyDir();
    const file = await keys.add('myapp-20200410');
    const issuer = resolveSettings({
      identity: 'myapp',
      keyStoreRoot: keys.root,
      privateKeys: { myapp: [file] },
      publicKeys: { myapp: [file] },
      authorizationAudience: ['api'],
    });
    const issuerKeys = KeyStore.load(issuer);
    mint = (claims = {}) => encodeJwtToken({ token: 'auth', sid: 's1', uid: 'u1', ...claims }, { settings: issuer, keys: issuerKeys });

    const settings = resolveSettings({
      identity: 'api',
      acceptedIssuers: ['myapp'],
      verifySessionToken: false,
      keyStoreRoot: keys.root,
      publicKeys: { myapp: [file] },
    });
    const authenticate = createSsoContext({ settings, keys: KeyStore.load(settings) });
    const context = (args: { req: import('node:http').IncomingMessage }) => {
      seenBySubgraphs.push({ forwardedFor: args.req.headers['x-forwarded-for'], userAgent: args.req.headers['user-agent'] });
      return authenticate(args);
    };

    // users: a denied field resolves to null with an error (the default mode).
    const usersUrl = await startSubgraph(
      USERS_SDL,
      {
        Query: { me: (_: unknown, __: unknown, ctx: SsoContext) => ({ id: ctx.auth!.uid, username: 'alice' }) },
        User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, username: 'alice' }) },
      },
      context,
      'resolve-null',
    );
    // accounts: refuses a whole request with an unmet requirement (401/403).
    const accountsUrl = await startSubgraph(
      ACCOUNTS_SDL,
      {
        Query: { publicStatus: () => 'ok', account: () => null },
        User: {
          __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
          accounts: (user: { id: string }) => [{ id: `${user.id}-main`, name: 'Main', balance: 100 }],
        },
      },
      context,
      'reject',
    );

    const gateway = new ApolloGateway({
      supergraphSdl: new SsoSupergraphManager({
        subgraphs: [
          { name: 'users', url: usersUrl },
          { name: 'accounts', url: accountsUrl },
        ],
      }),
      buildService: buildSsoService(),
      logger: quiet,
    });
    const server = new ApolloServer<GatewayContext>({ gateway });
    ({ url: gatewayUrl } = await startStandaloneServer(server, { context: gatewayContext, listen: { port: 0, host: '127.0.0.1' } }));
    stops.unshift(() => server.stop());
  });

  after(async () => {
    for (const stop of stops) await stop();
    keys.remove();
  });

  async function ask(query: string, authorization?: string, headers: Record<string, string> = {}) {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as {
      data?: any;
      errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
    };
    return { status: response.status, headers: response.headers, body };
  }

  it('serves an anonymous client: public data, and null with UNAUTHENTICATED for a guarded field', async () => {
    const { status, body } = await ask('{ publicStatus me { id username } }');
    assert.equal(status, 200);
    assert.deepEqual(body.data, { publicStatus: 'ok', me: null });
    assert.deepEqual(
      body.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.serviceName]),
      [[['me'], 'UNAUTHENTICATED', 'users']],
    );
  });

  it('forwards the Authorization header to every subgraph, across an entity fetch', async () => {
    const token = mint({ scopes: ['accounts:read-balance'] });
    const { status, body } = await ask('{ publicStatus me { id username accounts { id name balance } } }', `JWT ${token}`);
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data, {
      publicStatus: 'ok',
      me: { id: 'u1', username: 'alice', accounts: [{ id: 'u1-main', name: 'Main', balance: 100 }] },
    });
  });

  it("shows every subgraph the client's address, appended to X-Forwarded-For, and its user agent", async () => {
    seenBySubgraphs.length = 0;
    const token = mint({ scopes: ['accounts:read-balance'] });
    const { body } = await ask('{ me { id accounts { id } } }', `JWT ${token}`, {
      'x-forwarded-for': '198.51.100.1',
      'user-agent': 'phone-app/2.1',
    });
    assert.equal(body.errors, undefined);
    assert.equal(seenBySubgraphs.length, 2, 'users, then accounts for the entity fetch');
    for (const seen of seenBySubgraphs) assert.deepEqual(seen, { forwardedFor: '198.51.100.1, 127.0.0.1', userAgent: 'phone-app/2.1' });
  });

  it("answers a subgraph's 403 refusal with 403 and FORBIDDEN", async () => {
    const { status, body } = await ask('{ me { id accounts { balance } } }', `JWT ${mint()}`);
    assert.equal(status, 403);
    assert.equal(body.errors?.length, 1);
    const [error] = body.errors!;
    assert.equal(error!.extensions?.code, 'FORBIDDEN');
    assert.equal(error!.extensions?.serviceName, 'accounts');
    assert.match(error!.message, /accounts:read-balance/);
    assert.equal(error!.extensions?.response, undefined);
  });

  it('answers an invalid token, refused by the subgraphs, with 401, UNAUTHENTICATED and their challenge', async () => {
    const { status, headers, body } = await ask('{ publicStatus me { id } }', 'JWT not-a-token');
    assert.equal(status, 401);
    assert.equal(headers.get('www-authenticate'), 'JWT realm="api"');
    assert.ok(body.errors && body.errors.length > 0);
    for (const error of body.errors) {
      assert.equal(error.extensions?.code, 'UNAUTHENTICATED');
      assert.notEqual(error.message, '401: Unauthorized', "the subgraph's own message");
      assert.equal(error.extensions?.response, undefined);
      assert.equal(error.extensions?.http, undefined);
    }
  });
});
