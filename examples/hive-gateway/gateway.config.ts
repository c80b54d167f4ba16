/**
 * Hive Gateway (`@graphql-hive/gateway`) in front of graphql-sso subgraphs: copy this file next
 * to your supergraph and run `npx hive-gateway supergraph supergraph.graphql`.
 *
 * The subgraphs verify every token and enforce `@authenticated`, `@requiresScopes` and `@policy`
 * themselves, so the gateway's one duty is to pass on what they need. Hive Gateway forwards no
 * client header unless told to: without `propagateHeaders` every request reaches the subgraphs
 * anonymous. Self-contained on purpose (only `@graphql-hive/gateway` and Node): the gateway needs
 * neither graphql-sso nor keys.
 *
 * Optional, with `SSO_JWKS_URL` set: the gateway verifies tokens too and enforces what a token
 * alone decides (`@authenticated`, `@requiresScopes`), configured to agree with the subgraphs;
 * they still check everything, `@policy` included. docs/gateways.md lists what still differs.
 *
 * Environment: `SSO_JWKS_URL` (the identity service's `/.well-known/jwks.json`), `SSO_ISSUERS`
 * (comma-separated `iss` accepted, the subgraphs' `acceptedIssuers`), `SSO_AUDIENCES`
 * (comma-separated: every `aud` a token may name — the identity service's own name, for session
 * tokens, and the subgraphs'), `SSO_ALGORITHMS` (default `RS256,ES256`).
 */
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  createInlineSigningKeyProvider,
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  type GatewayPlugin,
} from '@graphql-hive/gateway';
import { GraphQLError, type FieldNode } from 'graphql';

// ---------------------------------------------------------------------------------------------
// 1. Forward the token and who the client is.

/** The connected peer, as proxies write it: an IPv4-mapped IPv6 address as plain IPv4. */
function peerAddress(context: { req?: IncomingMessage }): string | null {
  const address = context.req?.socket?.remoteAddress;
  if (!address) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The incoming `X-Forwarded-For` with the peer's address appended, as every proxy does: a
 * service that trusts this gateway takes the rightmost address it does not trust as the client,
 * so that a client cannot pass for another by sending the header itself.
 */
function forwardedFor(incoming: string | null, peer: string | null): string | null {
  const before = incoming?.trim() ?? '';
  if (!peer) return before || null;
  return before ? `${before}, ${peer}` : peer;
}

// ---------------------------------------------------------------------------------------------
// 2. A subgraph's refusal of the whole request keeps its HTTP status.

const refusals = new WeakMap<object, { status: number; challenge: string | null }>();

/**
 * A graphql-sso subgraph refuses a request whose token is invalid with HTTP 401 (and
 * `WWW-Authenticate`), or one that `authDirectivesPlugin` rejects with 401/403. Hive Gateway
 * keeps the errors and their codes but answers 200; this makes the gateway's answer carry the
 * subgraph's status and challenge, as `@apollo/gateway` with graphql-sso's data source does.
 * When subgraphs refuse with different statuses, the highest wins.
 */
function useSubgraphRefusalStatus(): GatewayPlugin {
  return {
    onFetch({ context }) {
      // Fetches without a client request (loading a schema) have only a logger as context.
      if (!('request' in context)) return;
      return ({ response }) => {
        if (response.status !== 401 && response.status !== 403) return;
        const seen = refusals.get(context);
        if (seen && seen.status >= response.status) return;
        refusals.set(context, { status: response.status, challenge: response.headers.get('www-authenticate') });
      };
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const refusal = refusals.get(args.contextValue);
          if (!refusal || Symbol.asyncIterator in result) return;
          const headers: Record<string, string> = refusal.challenge ? { 'www-authenticate': refusal.challenge } : {};
          // Yoga turns `extensions.http` into the response's status and headers, and strips it.
          setResult({ ...result, extensions: { ...result.extensions, http: { status: refusal.status, headers } } });
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Optional: the gateway checks tokens too, agreeing with the subgraphs.

const list = (value: string | undefined, fallback: string[] = []) =>
  value
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : fallback;
const jwksUrl = process.env.SSO_JWKS_URL;
const issuers = list(process.env.SSO_ISSUERS);
const audiences = list(process.env.SSO_AUDIENCES);
if (jwksUrl && (issuers.length === 0 || audiences.length === 0)) {
  // Refused at start-up, rather than every token failing verification at run time.
  throw new Error(
    'SSO_JWKS_URL needs SSO_ISSUERS and SSO_AUDIENCES (comma-separated): the issuers and every audience the subgraphs accept.',
  );
}
type Claims = Record<string, unknown>;
type Algorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

/**
 * `Authorization: JWT <token>`, the scheme compared case-insensitively as the subgraphs do
 * (Hive's `extractFromHeader` compares it exactly). No header: anonymous.
 */
function jwtSchemeToken({ request }: { request: Request }): { token: string; prefix?: string } | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const [scheme, token, ...rest] = header.trim().split(/\s+/);
  // A malformed header fails verification, so that the request is refused, as the subgraphs refuse it.
  if (scheme?.toLowerCase() !== 'jwt' || !token || rest.length > 0) return { token: header, prefix: 'JWT' };
  return { token, prefix: scheme };
}

/**
 * A public key whose private half was never kept: the last signing-key provider. A token whose
 * `kid` the JWKS lacks (forged, or signed with a key not yet published) then fails verification
 * as a forged token does — the subgraphs refuse it with 401 and say why — where Hive's JWT
 * plugin would otherwise answer 500 for want of a key.
 */
const NOBODYS_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Scopes from the `scopes` array and the space-separated `scope` claim, as the subgraphs read them. */
function tokenScopes(claims: Claims | null | undefined): string[] {
  if (!claims) return [];
  const scopes = Array.isArray(claims.scopes) ? claims.scopes.filter((s): s is string => typeof s === 'string') : [];
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  return [...new Set([...scopes, ...scope])];
}

function refusal(
  code: 'UNAUTHENTICATED' | 'FORBIDDEN',
  message: string,
  fieldNode: FieldNode,
  path: readonly (string | number)[],
): GraphQLError {
  // No `extensions.http`: like the subgraphs, a denied field fails alone and the response stays 200.
  return new GraphQLError(message, { nodes: [fieldNode], path, extensions: { code } });
}

/** The `validateUser` parameters this file reads (generic-auth's `ValidateUserFnParams`). */
interface FieldCheck {
  user: Claims | null | undefined;
  fieldNode: FieldNode;
  path: ReadonlyArray<string | number>;
  parentType: { name: string };
  field: { name: string };
  fieldAuthArgs?: unknown;
  typeAuthArgs?: unknown;
  fieldScopes?: string[][];
  typeScopes?: string[][];
  fieldPolicies?: string[][];
  typePolicies?: string[][];
  userScopes: string[];
}

/**
 * What the gateway checks itself: `@authenticated`, and `@requiresScopes` against both scope
 * claims, with the subgraphs' codes and messages — `UNAUTHENTICATED` without an authorization
 * token, `FORBIDDEN` for a missing scope — where generic-auth's default answers 401
 * `UNAUTHORIZED_FIELD_OR_TYPE` for both. A `@policy` field needs a token here; whether the
 * policy holds needs the field's arguments and parent, which only the subgraph has: it decides.
 */
function validateUser(params: FieldCheck): GraphQLError | undefined {
  const scopeSets = [params.typeScopes, params.fieldScopes].filter((sets): sets is string[][] => Boolean(sets?.length));
  const guarded =
    params.fieldAuthArgs || params.typeAuthArgs || scopeSets.length > 0 || params.fieldPolicies?.length || params.typePolicies?.length;
  if (!guarded) return undefined;
  const coordinate = `${params.parentType.name}.${params.field.name}`;
  if (params.user == null)
    return refusal('UNAUTHENTICATED', `Field "${coordinate}" requires authentication`, params.fieldNode, params.path);
  for (const sets of scopeSets) {
    if (!sets.some((set) => set.every((scope) => params.userScopes.includes(scope)))) {
      const listed = sets.map((set) => `[${set.join(', ')}]`).join(' or ');
      return refusal('FORBIDDEN', `Field "${coordinate}" requires one of the scope sets ${listed}`, params.fieldNode, params.path);
    }
  }
  return undefined;
}

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request, context }) => ({
      authorization: request.headers.get('authorization'),
      'x-forwarded-for': forwardedFor(request.headers.get('x-forwarded-for'), peerAddress(context as { req?: IncomingMessage })),
      // A client without one is sent an empty one, so the subgraphs record none rather than the gateway's.
      'user-agent': request.headers.get('user-agent') ?? '',
    }),
  },
  plugins: () => [useSubgraphRefusalStatus()],
  jwt: jwksUrl
    ? {
        // The JWKS, cached, with refetches for an unknown `kid` rate-limited; then nobody's key.
        signingKeyProviders: [
          createRemoteJwksSigningKeyProvider({ jwksUri: jwksUrl, cache: true, rateLimit: true }),
          createInlineSigningKeyProvider(NOBODYS_KEY),
        ],
        tokenLookupLocations: [jwtSchemeToken],
        tokenVerification: {
          algorithms: list(process.env.SSO_ALGORITHMS, ['RS256', 'ES256']) as Algorithm[],
          issuer: issuers as [string, ...string[]],
          audience: audiences as [string, ...string[]],
        },
        // No token: anonymous, public fields stay public. An invalid one authorizes nothing here
        // and goes on to the subgraphs, which refuse the request with 401 and say why (Hive's
        // own refusal would be a 400 or 401 without a code or a reason).
        reject: { missingToken: false, invalidToken: false },
        // The subgraphs verify the token themselves; they are not handed a payload to trust.
        forward: { payload: false, token: false },
      }
    : undefined,
  genericAuth: jwksUrl
    ? {
        mode: 'protect-granular',
        // A denied field fails alone and the rest of the operation runs, as in the subgraphs.
        rejectUnauthenticated: false,
        // Session tokens pass (the identity service takes them to mint authorization tokens), but
        // they authorize nothing: only an authorization token is a user, as in the subgraphs.
        resolveUserFn: (context) => {
          const claims: Claims | undefined = context.jwt?.payload;
          return claims?.token === 'auth' ? claims : null;
        },
        extractScopes: tokenScopes,
        validateUser,
      }
    : undefined,
});
