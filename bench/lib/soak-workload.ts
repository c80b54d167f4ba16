import { performance } from 'node:perf_hooks';
import { SUBGRAPH_QUERY } from './subgraph-schema.js';
import type { Answer, SoakOperation, SoakTally } from './soak-tally.js';

export interface SoakTargets {
  identityUrl: string;
  subgraphUrl: string;
  password: string;
  /** A user nobody logs into correctly: the wrong-password logins go to it. */
  decoyUser: string;
}

/**
 * One virtual user's round, repeated until the deadline; virtual users start at different steps.
 * Per round: two logins (one with a wrong password), three mints, five `me`, nine subgraph
 * queries, and a logout (`revokeSession`) followed by a `me` with the revoked session token.
 */
const ROUND: readonly ('login' | 'login (wrong password)' | 'mint' | 'me' | 'subgraph' | 'revoke')[] = [
  'login',
  'mint',
  'me',
  'subgraph',
  'subgraph',
  'me',
  'subgraph',
  'subgraph',
  'mint',
  'subgraph',
  'me',
  'login (wrong password)',
  'subgraph',
  'subgraph',
  'me',
  'mint',
  'subgraph',
  'subgraph',
  'me',
  'revoke',
];

const LOGIN =
  'mutation Login($username: String!, $password: String!) { obtainSessionToken(username: $username, password: $password, clientId: "soak") { token } }';
const MINT = 'mutation { obtainAuthorizationToken { token } }';
const ME = '{ me { username } }';
const REVOKE = 'mutation { revokeSession }';
/** What the bench subgraph answers for `SUBGRAPH_QUERY` with a token for account 1 carrying the scope. */
const SUBGRAPH_ANSWER = JSON.stringify({ data: { account: { name: 'Alice & Co', balance: 1200 } } });
/** A request taking longer than this counts as a network failure (`TimeoutError`). */
const REQUEST_TIMEOUT_MS = 30_000;

interface Response {
  answer: Answer;
  body: any;
}

async function post(url: string, query: string, token: string | null, variables?: Record<string, unknown>): Promise<Response> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return { answer: { kind: 'http', status: response.status, code: 'NOT_JSON', ok: false, detail: text.slice(0, 200) }, body: null };
    }
    const error = body?.errors?.[0];
    const code = error ? String(error.extensions?.code ?? 'NO_CODE') : null;
    return {
      answer: {
        kind: 'http',
        status: response.status,
        code,
        ok: false,
        detail: error ? String(error.message).slice(0, 200) : text.slice(0, 200),
      },
      body,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { answer: { kind: 'network', code: cause?.code ?? (error as Error).name, detail: (error as Error).message }, body: null };
  }
}

/**
 * Runs one virtual user (user `username`) until `deadline` (a `performance.now()` time), recording
 * every answer in `tally`. It keeps a session token and an authorization token as a client
 * would, logging in again when it has none and minting when its authorization token is gone.
 */
export async function runVirtualUser(
  username: string,
  start: number,
  targets: SoakTargets,
  tally: SoakTally,
  deadline: number,
): Promise<void> {
  let session: string | null = null;
  let authorization: string | null = null;

  const call = async (
    operation: SoakOperation,
    expect: 'success' | 'refusal',
    url: string,
    query: string,
    token: string | null,
    ok: (body: any, text: string) => boolean,
    variables?: Record<string, unknown>,
  ) => {
    const began = performance.now();
    const { answer, body } = await post(url, query, token, variables);
    if (answer.kind === 'http' && answer.code === null) answer.ok = ok(body, JSON.stringify(body));
    tally.record(operation, expect, answer, performance.now() - began);
    if (answer.kind === 'http' && answer.status === 429) await new Promise((resolve) => setTimeout(resolve, 100));
    return answer.kind === 'http' && answer.ok ? body : null;
  };

  const login = async () => {
    const body = await call(
      'login',
      'success',
      targets.identityUrl,
      LOGIN,
      null,
      (b) => typeof b?.data?.obtainSessionToken?.token === 'string',
      { username, password: targets.password },
    );
    session = body?.data.obtainSessionToken.token ?? null;
    authorization = null;
  };
  const mint = async () => {
    const body = await call(
      'mint',
      'success',
      targets.identityUrl,
      MINT,
      session,
      (b) => typeof b?.data?.obtainAuthorizationToken?.token === 'string',
    );
    authorization = body?.data.obtainAuthorizationToken.token ?? null;
  };

  for (let step = start; performance.now() < deadline; step += 1) {
    const operation = ROUND[step % ROUND.length]!;
    if (session === null && operation !== 'login (wrong password)') {
      await login();
      continue;
    }
    switch (operation) {
      case 'login':
        await login();
        break;
      case 'login (wrong password)':
        await call(operation, 'refusal', targets.identityUrl, LOGIN, null, () => false, {
          username: targets.decoyUser,
          password: `${targets.password}-wrong`,
        });
        break;
      case 'mint':
        await mint();
        break;
      case 'me':
        await call('me', 'success', targets.identityUrl, ME, session, (b) => b?.data?.me?.username === username);
        break;
      case 'subgraph':
        if (authorization === null) await mint();
        if (authorization !== null)
          await call('subgraph', 'success', targets.subgraphUrl, SUBGRAPH_QUERY, authorization, (_b, text) => text === SUBGRAPH_ANSWER);
        break;
      case 'revoke': {
        const revoked = await call('revoke', 'success', targets.identityUrl, REVOKE, session, (b) => b?.data?.revokeSession === true);
        if (revoked) await call('me (revoked session)', 'refusal', targets.identityUrl, ME, session, () => false);
        session = null;
        authorization = null;
        break;
      }
    }
  }
}
