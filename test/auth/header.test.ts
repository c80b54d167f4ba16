import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuthorizationHeader } from '../../src/index.js';
import { AuthenticationError } from '../../src/errors.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbiI6ImF1dGgifQ.c2lnbmF0dXJl';

function refusal(value: string | string[], options?: { maxTokenLength?: number }): string {
  try {
    parseAuthorizationHeader(value, 'JWT', options);
  } catch (error) {
    assert.ok(error instanceof AuthenticationError);
    return `${error.code}: ${error.message}`;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

describe('parseAuthorizationHeader', () => {
  it('reads the token whatever whitespace surrounds it, and the scheme in any case', () => {
    for (const value of [`JWT ${TOKEN}`, `jwt ${TOKEN}`, `  JWT   ${TOKEN}  `, `JWT\t${TOKEN}`, `Jwt \t ${TOKEN}\t`]) {
      assert.equal(parseAuthorizationHeader(value, 'JWT'), TOKEN, JSON.stringify(value));
    }
  });

  it('no header, or one of whitespace only: anonymous', () => {
    assert.equal(parseAuthorizationHeader(undefined, 'JWT'), null);
    assert.equal(parseAuthorizationHeader('', 'JWT'), null);
    assert.equal(parseAuthorizationHeader(' \t ', 'JWT'), null);
  });

  it('refuses every other form with its reason', () => {
    assert.match(refusal(`Bearer ${TOKEN}`), /^AUTH_HEADER_INVALID: .*Expected "Authorization: JWT <token>"/);
    assert.match(refusal(`JWT${TOKEN}`), /^AUTH_HEADER_INVALID: .*Expected "Authorization: JWT <token>"/);
    assert.match(refusal('JWT'), /^AUTH_HEADER_INVALID: .*No credentials provided/);
    assert.match(refusal('  JWT \t '), /^AUTH_HEADER_INVALID: .*No credentials provided/);
    assert.match(refusal(`JWT ${TOKEN} extra`), /^AUTH_HEADER_INVALID: .*should not contain spaces/);
    assert.match(refusal(`JWT ${TOKEN.slice(0, 10)}\t${TOKEN.slice(10)}`), /^AUTH_HEADER_INVALID: .*should not contain spaces/);
    assert.match(refusal([`JWT ${TOKEN}`, `JWT ${TOKEN}`]), /^AUTH_HEADER_INVALID: .*Send one Authorization header/);
    assert.match(refusal(`JWT ${TOKEN}`, { maxTokenLength: 20 }), /^TOKEN_TOO_LONG: .*more than the limit of 20/);
  });
});
