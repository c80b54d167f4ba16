import type { GraphQLResponse } from './identity.js';

/** POSTs a GraphQL query, with `Authorization: JWT <token>` when given one. */
export async function graphql(url: string, query: string, token?: string, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers, ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
}

/** What a client relies on in an answer: its data, and each error's path and code. */
export function seen(response: { status?: number; body: GraphQLResponse['body'] }) {
  return {
    status: response.status,
    data: response.body.data,
    errors: (response.body.errors ?? []).map((error) => ({ path: error.path?.join('.'), code: error.extensions?.code })),
  };
}

/** The answers printed by a walkthrough (`demoWalkthrough`), one JSON document a line. */
export function answersOf(stdout: string): GraphQLResponse['body'][] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as GraphQLResponse['body']);
}
