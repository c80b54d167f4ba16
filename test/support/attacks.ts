import assert from 'node:assert/strict';
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { connect } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import {
  AuthenticationError,
  KeyStore,
  applyAuthDirectives,
  createKeySource,
  createSsoContext,
  decodeJwtToken,
  formatSsoError,
  resolveSettings,
  type SsoContext,
  type SsoSettings,
  type TokenContext,
  type TokenPayload,
} from '../../src/index.js';
import { payloadOf, startIdentity, type GraphQLResponse, type TestIdentity } from './identity.js';

/**
 * The targets of the RFC 8725 attack suite (test/security): a running identity service (issuer
 * `myapp`) and a subgraph `otherapp` that verifies its tokens with `createSsoContext` and the
 * identity service's JWKS, as examples/otherapp does; plus the keys an attacker could wish for.
 */

export const KID = 'myapp-20200410';
/** An older key of `myapp`, still listed: it verifies, it does not sign. */
export const OLD_KID = 'myapp-20190101';
/** Another issuer's key, known to the identity service (publicKeys) but not accepted by the subgraph. */
export const PARTNER_KID = 'partner-20200101';
/** A key file in keyStoreRoot that no setting names. */
export const UNLISTED_KID = 'unlisted-20200101';

/** base64url of bytes, of text as it is (raw JSON), or of a value as JSON. */
export const b64 = (value: unknown): string =>
  (Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))).toString('base64url');

export type Signer = (input: Buffer) => Buffer;

/** Signs as JWS algorithm `alg` does: RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (r||s) or HMAC with `key` as the secret. */
export function signerFor(alg: string, key: KeyObject | Buffer | string): Signer {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('HS'))
    return (input) =>
      createHmac(hash, key as Buffer | string)
        .update(input)
        .digest();
  const privateKey = key as KeyObject;
  if (alg.startsWith('PS'))
    return (input) =>
      sign(hash, input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  if (alg.startsWith('ES')) return (input) => sign(hash, input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return (input) => sign(hash, input, privateKey);
}

/** A compact JWS of exactly these parts: header and payload as objects (JSON) or raw JSON text. */
export function craft(header: unknown, payload: unknown, signer?: Signer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer ? signer(Buffer.from(input)).toString('base64url') : ''}`;
}

export interface AttackTargets {
  sso: TestIdentity;
  /** The identity service's settings and key store, as its requests use them. */
  identity: TokenContext;
  /** The subgraph's settings and key source (JWKS of the identity service). */
  subgraph: TokenContext;
  subgraphUrl: string;
  /** How many times the subgraph has fetched the identity service's JWKS. */
  jwksFetches(): number;
  /** Private keys: myapp's current and older key, the partner issuer's, the unlisted file's, and one only the attacker has. */
  keys: { current: KeyObject; old: KeyObject; partner: KeyObject; unlisted: KeyObject; attacker: KeyObject; attackerEc: KeyObject };
  /** A live session of user alice, and an authorization token minted from it (audience myapp and otherapp). */
  session: string;
  authorization: string;
  sessionClaims: TokenPayload;
  authorizationClaims: TokenPayload;
  /** `{ me { username } }` at the identity service with this `Authorization` header value. */
  askIdentity(authorization: string): Promise<GraphQLResponse>;
  /** `{ whoami }` (`@authenticated`) at the subgraph with this `Authorization` header value. */
  askSubgraph(authorization: string): Promise<GraphQLResponse>;
  /** A token signed by `myapp`'s current key (RS256, its kid), with these claims and header fields. */
  forge(payload: Record<string, unknown>, header?: Record<string, unknown>): string;
  close(): Promise<void>;
}

const SUBGRAPH_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes"])
  type Query {
    whoami: String @authenticated
    publicStatus: String
  }
`;

async function post(url: string, query: string, authorization: string): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  let body: GraphQLResponse['body'];
  try {
    body = JSON.parse(text) as GraphQLResponse['body'];
  } catch {
    assert.fail(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

export async function startAttackTargets(): Promise<AttackTargets> {
  const sso = await startIdentity({ authorizationAudience: ['myapp', 'otherapp'] });
  let closeSubgraph = async () => {};
  try {
    for (const kid of [OLD_KID, PARTNER_KID, UNLISTED_KID]) await sso.keys.add(kid);
    sso.service.reloadKeys({
      keyStoreRoot: sso.keys.root,
      privateKeys: { myapp: [`${KID}.pem`] },
      publicKeys: { myapp: [`${KID}.pem`, `${OLD_KID}.pem`], partner: [`${PARTNER_KID}.pem`] },
    });
    const signingKeys = KeyStore.load(
      resolveSettings({
        identity: 'myapp',
        keyStoreRoot: sso.keys.root,
        privateKeys: { myapp: [`${KID}.pem`], old: [`${OLD_KID}.pem`], partner: [`${PARTNER_KID}.pem`], unlisted: [`${UNLISTED_KID}.pem`] },
      }),
    );
    const privateKeyOf = (issuer: string) => signingKeys.getSigningKey(issuer).privateKey;

    const subgraphSettings: SsoSettings = resolveSettings({
      identity: 'otherapp',
      acceptedIssuers: ['myapp'],
      verifySessionToken: false,
      jwksUrls: { myapp: `${sso.origin}/.well-known/jwks.json` },
    });
    let jwksFetches = 0;
    const subgraphKeys = createKeySource(subgraphSettings, { fetch: (input, init) => ((jwksFetches += 1), fetch(input, init)) });
    const schema = applyAuthDirectives(
      buildSubgraphSchema([
        {
          typeDefs: parse(SUBGRAPH_SDL),
          resolvers: {
            Query: {
              whoami: (_: unknown, __: unknown, ctx: SsoContext) => `${ctx.auth!.token}:${ctx.auth!.uid}`,
              publicStatus: () => 'up',
            },
          },
        },
      ]),
    );
    const apollo = new ApolloServer<SsoContext>({ schema, formatError: formatSsoError, includeStacktraceInErrorResponses: false });
    const { url: subgraphUrl } = await startStandaloneServer(apollo, {
      context: createSsoContext({ settings: subgraphSettings, keys: subgraphKeys }),
      listen: { port: 0, host: '127.0.0.1' },
    });
    closeSubgraph = () => apollo.stop();

    await sso.createUser('alice', 'alice-password');
    const session = await sso.login('alice', 'alice-password');
    const authorization = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;
    const { settings, keys } = sso.service.services;
    const current = privateKeyOf('myapp');
    return {
      sso,
      identity: { settings, keys },
      subgraph: { settings: subgraphSettings, keys: subgraphKeys },
      subgraphUrl,
      jwksFetches: () => jwksFetches,
      keys: {
        current,
        old: privateKeyOf('old'),
        partner: privateKeyOf('partner'),
        unlisted: privateKeyOf('unlisted'),
        attacker: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
        attackerEc: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      },
      session,
      authorization,
      sessionClaims: payloadOf(session) as TokenPayload,
      authorizationClaims: payloadOf(authorization) as TokenPayload,
      askIdentity: (header) => post(sso.url, '{ me { username } }', header),
      askSubgraph: (header) => post(subgraphUrl, '{ whoami }', header),
      forge: (payload, header = {}) => craft({ alg: 'RS256', typ: 'JWT', kid: KID, ...header }, payload, signerFor('RS256', current)),
      async close() {
        await closeSubgraph();
        await sso.close();
      },
    };
  } catch (error) {
    await closeSubgraph();
    await sso.close();
    throw error;
  }
}

/** `decodeJwtToken` refuses the token with an `AuthenticationError` of this code. */
export async function refusedByDecode(token: string, context: TokenContext, code: string, what = token.slice(0, 60)): Promise<void> {
  await assert.rejects(
    Promise.resolve().then(() => decodeJwtToken(token, context)),
    (error: unknown) => {
      assert.ok(error instanceof AuthenticationError, `${what}: expected an AuthenticationError, got ${String(error)}`);
      assert.equal(error.code, code, `${what}: ${error.message}`);
      return true;
    },
    `${what}: accepted`,
  );
}

/**
 * The whole request was refused as the contract says: HTTP 401, no data, one `UNAUTHENTICATED`
 * error with this `reason` and no stack trace — not a 500, not an answer.
 */
export function assertRefusedOverHttp(response: GraphQLResponse, reason: string | RegExp, what: string): void {
  const detail = `${what}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
  assert.equal(response.status, 401, detail);
  assert.equal(response.body.data, undefined, detail);
  assert.equal(response.body.errors?.length, 1, detail);
  const [error] = response.body.errors!;
  assert.equal(error!.extensions?.code, 'UNAUTHENTICATED', detail);
  if (typeof reason === 'string') assert.equal(error!.extensions?.reason, reason, detail);
  else assert.match(String(error!.extensions?.reason), reason, detail);
  assert.equal(error!.extensions?.stacktrace, undefined, detail);
}

/** The token is refused at the identity service (`me`) with this reason. */
export async function refusedByIdentity(
  targets: AttackTargets,
  token: string,
  reason: string | RegExp,
  what = token.slice(0, 60),
): Promise<void> {
  assertRefusedOverHttp(await targets.askIdentity(`JWT ${token}`), reason, `identity, ${what}`);
}

/** The token is refused at the subgraph (`whoami`) with this reason. */
export async function refusedBySubgraph(
  targets: AttackTargets,
  token: string,
  reason: string | RegExp,
  what = token.slice(0, 60),
): Promise<void> {
  assertRefusedOverHttp(await targets.askSubgraph(`JWT ${token}`), reason, `subgraph, ${what}`);
}

/**
 * The control of every attack: the untampered tokens are accepted, so a refusal is the attack's
 * doing. A session token at the identity service (`me` is alice), an authorization token at the
 * subgraph (`whoami`), and each by `decodeJwtToken`.
 */
export async function assertControlsAccepted(
  targets: AttackTargets,
  tokens: { session?: string; authorization?: string } = {},
): Promise<void> {
  const session = tokens.session ?? targets.session;
  const authorization = tokens.authorization ?? targets.authorization;
  const me = await targets.askIdentity(`JWT ${session}`);
  assert.deepEqual({ status: me.status, body: me.body }, { status: 200, body: { data: { me: { username: 'alice' } } } });
  const whoami = await targets.askSubgraph(`JWT ${authorization}`);
  assert.deepEqual(
    { status: whoami.status, body: whoami.body },
    { status: 200, body: { data: { whoami: `auth:${targets.authorizationClaims.uid}` } } },
  );
  assert.equal((await decodeJwtToken(session, targets.identity)).sid, targets.sessionClaims.sid);
  assert.equal((await decodeJwtToken(authorization, targets.subgraph)).sid, targets.sessionClaims.sid);
}

/**
 * A GraphQL POST whose `Authorization` header value is these exact bytes (which fetch would
 * refuse to send: control characters, bytes above 0x7f); resolves with the HTTP status and body.
 */
export function rawRequest(url: string, authorization: Buffer, query = '{ __typename }'): Promise<{ status: number; text: string }> {
  const { hostname, port, pathname } = new URL(url);
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!status) reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 100))}`));
      else resolve({ status: Number(status[1]), text });
    });
    socket.write(
      Buffer.concat([
        Buffer.from(
          `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nAuthorization: `,
        ),
        authorization,
        Buffer.from(`\r\n\r\n${body}`),
      ]),
    );
  });
}
