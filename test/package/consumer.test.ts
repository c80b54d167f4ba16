import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import {
  createApp,
  errorCodes,
  freePort,
  ok,
  packPackage,
  postGraphQL,
  run,
  startService,
  writeFiles,
  type Service,
} from '../support/app.js';
import { ROOT } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { codeBlocks, type CodeBlock } from '../support/readme.js';

/**
 * graphql-sso as a team gets it: `npm pack`, installed from the tarball into an empty application
 * beside the newest `graphql` 16, `@apollo/server` 5 and type-graphql 2 rc the registry serves
 * (not this repository's copies), following the README's commands and running the README's code.
 */

const README = codeBlocks();
const sh = (firstLine: string): CodeBlock => {
  const block = README.find((b) => b.lang === 'sh' && b.text.startsWith(firstLine));
  assert.ok(block, `the README has an sh block starting with ${JSON.stringify(firstLine)}`);
  return block;
};
const SUBGRAPH_INSTALL = sh('npm i graphql-sso graphql@16\n');
const IDENTITY_INSTALL = sh('npm i graphql-sso graphql@16 @apollo/server');
const QUICKSTART_SERVE = sh('npx graphql-sso serve');
const WALKTHROUGH = sh('# 1. a user');
const GUIDE_SERVE = sh('npx tsc\n');
const GUIDE_MINT = sh('node dist/add-member.js');
const SUBGRAPH_CURL = sh('curl -s http://localhost:4001/');
const DEVELOPMENT = sh('npm ci && npm start');
const FILES = README.filter((b) => b.file !== null);

const PASSWORD = 'correct horse battery staple';
/** What `import('graphql-sso')` must not load: the identity's, the gateway's and telemetry packages. */
// `@fastify/proxy-addr` and `@fastify/forwarded` (what `trustProxy` is read with: two small pure
// packages, a runtime dependency) may load; nothing else of Fastify's.
const HEAVY =
  /node_modules\/(@mikro-orm|@electric-sql|bcrypt|ioredis|knex|pg|prom-client|@opentelemetry|@apollo\/gateway|@apollo\/composition|@apollo\/subgraph|@apollo\/server|@as-integrations|fastify|@fastify\/(?!proxy-addr\/|forwarded\/)|type-graphql)\//;

/** The README's `npm i graphql-sso ...` with the tarball for `graphql-sso`. */
function installArgs(block: CodeBlock, tarball: string): string[] {
  const words = block.text.trim().split(/\s+/);
  assert.deepEqual(words.slice(0, 3), ['npm', 'i', 'graphql-sso']);
  return ['i', tarball, ...words.slice(3), '--no-audit', '--no-fund'];
}

/** The packages (`name@version`) npm warned EBADENGINE about during an install. */
function badEngines(output: string): string[] {
  return [...output.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]!);
}

/** graphql-sso's runtime dependencies, transitively, as installed in `app` (peers excluded): `name@version`s. */
function dependencyClosure(app: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    for (let dir = from; ; dir = join(dir, '..')) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
          dependencies?: Record<string, string>;
        };
        if (seen.has(`${name}@${manifest.version}`)) return;
        seen.add(`${name}@${manifest.version}`);
        for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, join(dir, 'node_modules', name));
        return;
      } catch {
        if (dir === '/' || dir === app) return;
      }
    }
  };
  visit('graphql-sso', app);
  return seen;
}

/** An sh block run by bash in the app, `localhost:PORT` moved to the ports this test got. */
function bash(block: CodeBlock, app: string, ports: Record<number, number>, env: Record<string, string>, epilogue = '') {
  let script = block.text;
  for (const [from, to] of Object.entries(ports)) script = script.replaceAll(`localhost:${from}`, `localhost:${to}`);
  return ok('bash', ['-euo', 'pipefail', '-c', `${script}\n${epilogue}`], { cwd: app, env });
}

/** The JSON an sh block shows as the answer of its command (`# {"data": ...}`). */
function shownAnswers(block: CodeBlock): unknown[] {
  return block.text
    .split('\n')
    .filter((line) => line.startsWith('# {'))
    .map((line) => JSON.parse(line.slice(2)));
}

/** A token for account 1 with the owner's scope, as `myapp` would sign it, but with a key of its own. */
function forgedToken(kid: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const payload = {
    token: 'auth',
    iss: 'myapp',
    aud: ['myapp', 'otherapp', 'billing'],
    uid: 'x',
    sid: 'x',
    account: '1',
    scopes: ['accounts:read-balance'],
  };
  return jwt.sign(payload, privateKey, { algorithm: 'RS256', keyid: kid, expiresIn: 300 });
}

describe('the packed package in an application of its own', { timeout: 900_000 }, () => {
  let work: string;
  let tarball: string;
  let app: string;
  let installOutput: string;
  let database: TestDatabase | null = null;
  const services: Service[] = [];
  const ports = { identity: 0, otherapp: 0, billing: 0 };
  let env: Record<string, string>;
  const tokens: Record<string, string> = {};

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sso-pack-'));
    tarball = await packPackage(work);
    app = createApp('sso-app-');
    const install = await ok('npm', installArgs(IDENTITY_INSTALL, tarball), { cwd: app });
    installOutput = install.stdout + install.stderr;
    await ok('npm', ['i', '-D', 'typescript', '@types/node', 'tsx', '--no-audit', '--no-fund'], { cwd: app });
    ports.identity = await freePort();
    ports.otherapp = await freePort();
    ports.billing = await freePort();
    env = {
      PORT: String(ports.identity),
      IDENTITY_URL: `http://localhost:${ports.identity}`,
      DATABASE_URL: '',
      SSO_CONFIG: '',
      LOG_LEVEL: 'warn',
    };
  });

  after(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await database?.close();
    rmSync(work, { recursive: true, force: true });
    if (app) rmSync(app, { recursive: true, force: true });
  });

  const identityReady = () => async () => (await fetch(`http://localhost:${ports.identity}/healthz`)).ok;

  it('installs from the tarball with one copy of graphql and no engine warning of its own', async () => {
    const listed = await ok('npm', ['ls', 'graphql', '--all', '--parseable'], { cwd: app });
    assert.deepEqual([...new Set(listed.stdout.trim().split('\n'))], [join(app, 'node_modules/graphql')]);
    const ours = dependencyClosure(app);
    assert.ok(
      [...ours].some((id) => id.startsWith('jsonwebtoken@')) && [...ours].some((id) => id.startsWith('pino@')),
      'the closure is read',
    );
    assert.deepEqual(
      badEngines(installOutput).filter((name) => ours.has(name)),
      [],
    );
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/graphql-sso/package.json'), 'utf8'));
    assert.equal(manifest.dependencies.graphql, undefined, 'graphql is a peer, never a dependency');
  });

  it('ships compiled code with types, the bin, README and LICENSE; no sources, tests or benches', async () => {
    const listing = await ok('tar', ['tzf', tarball], { cwd: work });
    const files = listing.stdout
      .trim()
      .split('\n')
      .map((path) => path.replace(/^package\//, ''));
    for (const expected of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/graphql-sso.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/identity.js',
      'dist/src/gateway.d.ts',
    ]) {
      assert.ok(files.includes(expected), `${expected} is shipped`);
    }
    assert.deepEqual(
      files.filter(
        (path) => /^(test|bench|\.ci|examples)\//.test(path) || (/\.ts$/.test(path) && !/\.d\.ts$/.test(path)) || /\.map$/.test(path),
      ),
      [],
    );
  });

  it('importing graphql-sso loads none of the identity, gateway or telemetry packages', async () => {
    writeFiles(app, {
      'probe-hooks.mjs': `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.PROBE_LOG, result.url + '\\n');\n  return result;\n}\n`,
      'probe.mjs': `import { register, createRequire } from 'node:module';\nregister('./probe-hooks.mjs', import.meta.url);\nconst sso = await import('graphql-sso');\nconst required = Object.keys(createRequire(import.meta.url).cache);\nconsole.log(JSON.stringify({ exports: Object.keys(sso).length, required }));\n`,
    });
    const log = join(work, 'probe.log');
    const probe = await ok('node', ['probe.mjs'], { cwd: app, env: { PROBE_LOG: log } });
    const { exports, required } = JSON.parse(probe.stdout) as { exports: number; required: string[] };
    assert.ok(exports > 40, 'graphql-sso was imported');
    const loaded = [...readFileSync(log, 'utf8').trim().split('\n'), ...required];
    assert.ok(loaded.some((url) => url.includes('node_modules/graphql-sso/dist/src/index.js')));
    assert.deepEqual(
      loaded.filter((url) => HEAVY.test(url)),
      [],
    );
  });

  it('compiles every TypeScript and JavaScript block of the README with its tsconfig', async () => {
    assert.deepEqual(
      FILES.map((b) => b.file),
      [
        'tsconfig.json',
        'src/account-member.ts',
        'src/authorization.ts',
        'src/sso.config.ts',
        'src/add-member.ts',
        'args.js',
        'subgraph.js',
        'src/billing.ts',
      ],
    );
    writeFiles(app, Object.fromEntries(FILES.map((b) => [b.file!, b.text])));
    const [compile, ...rest] = GUIDE_SERVE.text.trim().split('\n');
    assert.equal(compile, 'npx tsc');
    assert.ok(rest.length === 1);
    await ok('npx', ['tsc'], { cwd: app });
    const jsFiles = FILES.filter((b) => b.lang === 'js').map((b) => b.file!);
    await ok(
      'npx',
      [
        'tsc',
        '--ignoreConfig',
        '--noEmit',
        '--allowJs',
        '--checkJs',
        '--noImplicitAny',
        'false',
        '--skipLibCheck',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        ...jsFiles,
      ],
      { cwd: app },
    );
  });

  it('runs the quickstart: serve, create a user, log in, mint, me, the JWKS', async () => {
    const command = QUICKSTART_SERVE.text.replace(/#.*/, '').trim().split(/\s+/);
    assert.deepEqual(command, ['npx', 'graphql-sso', 'serve']);
    const serve = await startService(command[0]!, command.slice(1), { cwd: app, env, ready: identityReady() });
    try {
      const walk = await bash(WALKTHROUGH, app, { 4000: ports.identity }, env);
      assert.match(walk.stdout, /Created user alice/);
      assert.match(walk.stdout, /\{"data":\{"me":\{"id":"[^"]+","username":"alice","email":"alice@example.com"\}\}\}/);
      assert.match(walk.stdout, /"keys":\[\{"kty":"RSA".*"kid":"graphql-sso-\d{8}"/);
    } finally {
      await serve.stop();
    }
  });

  it('serves the account guide: its migration, account tokens, and FORBIDDEN for a non-member', async () => {
    // The guide on the real PostgreSQL server when there is one (CI); else on the embedded database.
    if (process.env.TEST_DATABASE_URL) {
      database = await createTestDatabase();
      env.DATABASE_URL = database.url;
      await ok('npx', ['graphql-sso', 'users', 'create', '--username', 'alice', '--password-stdin'], { cwd: app, env, input: PASSWORD });
    }
    await assert.rejects(fetch(`http://localhost:${ports.identity}/healthz`), "the quickstart's server has stopped");
    const command = GUIDE_SERVE.text.trim().split('\n')[1]!.replace(/#.*/, '').trim().split(/\s+/);
    assert.deepEqual(command, ['npx', 'graphql-sso', 'serve', '--config', 'dist/sso.config.js']);
    services.push(await startService(command[0]!, command.slice(1), { cwd: app, env, ready: identityReady() }));
    const minted = await bash(GUIDE_MINT, app, { 4000: ports.identity }, env, 'echo "TOKEN=$TOKEN"');
    tokens.alice = /TOKEN=(\S+)/.exec(minted.stdout)![1]!;
    const claims = jwt.decode(tokens.alice) as Record<string, unknown>;
    assert.equal(claims.iss, 'myapp');
    assert.equal(claims.account, '1');
    assert.deepEqual(claims.scopes, ['accounts:read-balance']);
    assert.equal(claims.scope, 'accounts:read-balance');

    // Bob, a plain member of account 2, with the README's own commands.
    await ok('npx', ['graphql-sso', 'users', 'create', '--username', 'bob', '--password-stdin'], { cwd: app, env, input: PASSWORD });
    await ok('node', ['dist/add-member.js', 'bob', '2', 'member'], { cwd: app, env });
    const url = `http://localhost:${ports.identity}/graphql`;
    const login = await postGraphQL(url, `mutation { obtainSessionToken(username: "bob", password: "${PASSWORD}") { token } }`);
    const session = login.body.data!.obtainSessionToken.token as string;
    const bobs = await postGraphQL(url, 'mutation { obtainAuthorizationToken(account: "2") { token } }', session);
    tokens.bob = bobs.body.data!.obtainAuthorizationToken.token;
    assert.deepEqual((jwt.decode(tokens.bob) as Record<string, unknown>).scopes, []);
    const refused = await postGraphQL(url, 'mutation { obtainAuthorizationToken(account: "1") { token } }', session);
    assert.deepEqual(errorCodes(refused), { obtainAuthorizationToken: 'FORBIDDEN' });
    assert.equal(refused.body.errors![0]!.message, 'You are not a member of account 1.');
    const kid = (jwt.decode(tokens.alice, { complete: true }) as { header: { kid: string } }).header.kid;
    tokens.forged = forgedToken(kid);
  });

  it('the SDL-first JavaScript subgraph enforces @policy and @requiresScopes', async () => {
    assert.ok(tokens.alice, 'the guide ran');
    const subgraphEnv = { ...env, PORT: String(ports.otherapp) };
    const url = `http://localhost:${ports.otherapp}/`;
    services.push(
      await startService('node', ['subgraph.js'], {
        cwd: app,
        env: subgraphEnv,
        ready: async () => (await postGraphQL(url, '{ publicStatus }')).status === 200,
      }),
    );
    const shown = await bash(SUBGRAPH_CURL, app, { 4000: ports.identity, 4001: ports.otherapp }, { ...subgraphEnv, TOKEN: tokens.alice });
    assert.deepEqual(JSON.parse(shown.stdout), shownAnswers(SUBGRAPH_CURL)[0]);

    const query = '{ publicStatus account(id: "2") { name balance } }';
    const anonymous = await postGraphQL(url, query);
    assert.deepEqual(anonymous.body.data, { publicStatus: 'otherapp is up', account: null });
    assert.deepEqual(errorCodes(anonymous), { account: 'UNAUTHENTICATED' });
    const member = await postGraphQL(url, query, tokens.bob);
    assert.deepEqual(member.body.data, { publicStatus: 'otherapp is up', account: { name: 'Bob Ltd', balance: null } });
    assert.deepEqual(errorCodes(member), { 'account.balance': 'FORBIDDEN' });
    const otherAccount = await postGraphQL(url, query, tokens.alice);
    assert.deepEqual(errorCodes(otherAccount), { account: 'FORBIDDEN' });
    const forged = await postGraphQL(url, query, tokens.forged);
    assert.equal(forged.status, 401);
    assert.deepEqual(errorCodes(forged), { '': 'UNAUTHENTICATED' });
    assert.equal(forged.body.data, undefined);
  });

  it('the type-graphql subgraph enforces @Authorized', async () => {
    assert.ok(tokens.alice, 'the guide ran');
    const url = `http://localhost:${ports.billing}/`;
    services.push(
      await startService('node', ['dist/billing.js'], {
        cwd: app,
        env: { ...env, PORT: String(ports.billing) },
        ready: async () => (await postGraphQL(url, '{ __typename }')).status === 200,
      }),
    );
    const query = '{ invoices { id amount } }';
    assert.deepEqual((await postGraphQL(url, query, tokens.alice)).body, { data: { invoices: [{ id: 'i1', amount: 300 }] } });
    const member = await postGraphQL(url, query, tokens.bob);
    assert.deepEqual(member.body.data, { invoices: [{ id: 'i2', amount: null }] });
    assert.deepEqual(errorCodes(member), { 'invoices.0.amount': 'FORBIDDEN' });
    const anonymous = await postGraphQL(url, query);
    assert.deepEqual(errorCodes(anonymous), { invoices: 'UNAUTHENTICATED' });
    const forged = await postGraphQL(url, query, tokens.forged);
    assert.equal(forged.status, 401);
    assert.deepEqual(errorCodes(forged), { '': 'UNAUTHENTICATED' });
  });

  it("a plain-JavaScript ArgsType and a TypeScript config extend the identity's schema, printed with the app's graphql", async () => {
    writeFiles(app, {
      'js.config.js':
        "import { defineConfig } from 'graphql-sso';\nimport { AccountArgs } from './args.js';\n\nexport default defineConfig({ authorizationArgs: AccountArgs });\n",
    });
    const fromJs = await ok('npx', ['graphql-sso', 'schema', '--config', 'js.config.js'], { cwd: app, env });
    assert.match(fromJs.stdout, /obtainAuthorizationToken\(account: ID!\): TokenResult!/);
    const fromTs = await ok('npx', ['graphql-sso', 'schema', '--config', 'src/sso.config.ts'], { cwd: app, env });
    assert.match(fromTs.stdout, /obtainAuthorizationToken\(account: ID!\): TokenResult!/);
  });

  it('accounts for every code block of the README', () => {
    const covered = new Set<CodeBlock>([
      SUBGRAPH_INSTALL,
      IDENTITY_INSTALL,
      QUICKSTART_SERVE,
      WALKTHROUGH,
      GUIDE_SERVE,
      GUIDE_MINT,
      SUBGRAPH_CURL,
      ...FILES,
    ]);
    // `npm ci && npm start` / `npm ci && npm test` are what .ci/run does on every CI run.
    assert.match(readFileSync(join(ROOT, '.ci/run'), 'utf8'), /npm ci[\s\S]*npm test/);
    assert.match(DEVELOPMENT.text, /npm ci && npm test/);
    covered.add(DEVELOPMENT);
    assert.deepEqual(
      README.filter((block) => !covered.has(block)).map((block) => `README.md:${block.line}`),
      [],
    );
  });
});

describe('a subgraph application with only graphql-sso and graphql', { timeout: 600_000 }, () => {
  let work: string;
  let app: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sso-pack-'));
    const tarball = await packPackage(work);
    app = createApp('sso-subgraph-');
    await ok('npm', installArgs(SUBGRAPH_INSTALL, tarball), { cwd: app });
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  });

  it('a missing identity package is an error naming the packages to install', async () => {
    const imported = await run('node', ['--input-type=module', '-e', "await import('graphql-sso/identity')"], { cwd: app });
    assert.notEqual(imported.code, 0);
    assert.match(
      imported.stderr,
      /MissingPackageError: graphql-sso\/identity needs the package (@apollo\/server|@mikro-orm\/\w+|type-graphql|@apollo\/subgraph|graphql-scalars), which is not installed\. Install what it needs: npm i @apollo\/server@5 /,
    );
    const served = await run('npx', ['graphql-sso', 'serve', '--port', '0'], { cwd: app });
    assert.equal(served.code, 1);
    assert.match(
      served.stderr,
      /^graphql-sso: graphql-sso\/identity needs the package .*npm i @apollo\/server@5 .*@mikro-orm\/core@6\.6\.16/m,
    );
    const key = await ok('npx', ['graphql-sso', 'keys', 'generate', '--issuer', 'otherapp', '--dir', 'keys'], { cwd: app });
    assert.match(key.stdout, /keys\/otherapp-\d{8}\.pem/);
  });
});
