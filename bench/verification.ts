import { verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { createSsoContext } from '../src/auth/context.js';
import { decodeJwtToken } from '../src/jwt/decode.js';
import { VerifiedTokenCache } from '../src/jwt/verified-token-cache.js';
import { interleavedRates } from './lib/interleave.js';
import { createTokenFixture, type TokenFixture } from './lib/tokens.js';
import type { Bench, Measurement, Ratio } from './lib/types.js';

/** An op over the fixture's tokens in turn, continuing where the previous round stopped. */
function cycling(count: number, op: (index: number) => unknown): () => unknown {
  let next = 0;
  return () => {
    const index = next;
    next = next + 1 === count ? 0 : next + 1;
    return op(index);
  };
}

function rawVerify(fixture: TokenFixture): (index: number) => boolean {
  const key = fixture.algorithm === 'ES256' ? { key: fixture.publicKey, dsaEncoding: 'ieee-p1363' as const } : fixture.publicKey;
  return (index) => verify(fixture.digest, fixture.signingInputs[index]!, key, fixture.signatures[index]!);
}

const ratio = (name: string, value: number, atLeast: number, note?: string): Ratio => ({
  name,
  value,
  target: `>= ${atLeast}`,
  met: value >= atLeast,
  ...(note ? { note } : {}),
});

/**
 * Issue 5 item 1, issue 13: verifying authorization tokens. Cold: distinct valid tokens, each
 * verified once per pass, against jsonwebtoken.verify with the same KeyObject (which verifies
 * every token: the targets measure what graphql-sso adds) and against `crypto.verify` on the same
 * tokens' bytes (the physical limit, reported). Hot: one token presented again and again, answered
 * by the verified-token cache that `createSsoContext` keeps by default.
 */
export const verificationBench: Bench = async ({ smoke }) => {
  const count = smoke ? 300 : 20_000;
  const timing = smoke ? { durationMs: 60, rounds: 3 } : { durationMs: 1000, rounds: 9 };
  const rs = await createTokenFixture({ algorithm: 'RS256', count });
  const es = await createTokenFixture({ algorithm: 'ES256', count: smoke ? 300 : 5_000 });
  try {
    const context = { settings: rs.settings, keys: rs.keys };
    // Half the distinct tokens fit: cycling through all of them, every lookup misses.
    const missCache = new VerifiedTokenCache({ maxEntries: Math.max(1, Math.floor(count / 2)) });
    const hotCache = new VerifiedTokenCache();
    const missContext = { ...context, cache: missCache };
    const hotContext = { ...context, cache: hotCache };
    // A key source that cannot tell the issuer from the kid: the key is chosen by iss and kid, after a decoding of its own.
    const byIssuer = {
      ...context,
      keys: { getVerificationKey: (issuer: string, kid: string | undefined) => rs.keys.getVerificationKey(issuer, kid) },
    };
    const hotToken = rs.tokens[0]!;
    await decodeJwtToken(hotToken, hotContext);
    const authenticate = createSsoContext({ settings: rs.settings, keys: rs.keys });
    const socket = { remoteAddress: '127.0.0.1' };
    const request = () => ({
      req: { headers: { authorization: `JWT ${hotToken}`, 'user-agent': 'bench' }, socket } as unknown as IncomingMessage,
    });
    await authenticate(request());

    const rsa = await interleavedRates(
      {
        raw: cycling(count, rawVerify(rs)),
        rawFromToken: cycling(count, (i) => {
          const token = rs.tokens[i]!;
          const dot = token.lastIndexOf('.');
          return verify(rs.digest, Buffer.from(token.slice(0, dot)), rs.publicKey, Buffer.from(token.slice(dot + 1), 'base64url'));
        }),
        decode: cycling(count, (i) => decodeJwtToken(rs.tokens[i]!, context)),
        decodeMissing: cycling(count, (i) => decodeJwtToken(rs.tokens[i]!, missContext)),
        decodeByIssuer: cycling(count, (i) => decodeJwtToken(rs.tokens[i]!, byIssuer)),
        jwtPem: cycling(count, (i) => jwt.verify(rs.tokens[i]!, rs.publicKeyPem, { algorithms: ['RS256'] })),
        jwtKeyObject: cycling(count, (i) => jwt.verify(rs.tokens[i]!, rs.publicKey, { algorithms: ['RS256'] })),
        hot: () => decodeJwtToken(hotToken, hotContext),
        hotContext: () => authenticate(request()),
        digest: cycling(count, (i) => hotCache.idOf(rs.tokens[i]!)),
      },
      timing,
    );
    const esContext = { settings: es.settings, keys: es.keys };
    const ec = await interleavedRates(
      {
        raw: cycling(es.tokens.length, rawVerify(es)),
        decode: cycling(es.tokens.length, (i) => decodeJwtToken(es.tokens[i]!, esContext)),
        jwtKeyObject: cycling(es.tokens.length, (i) => jwt.verify(es.tokens[i]!, es.publicKey, { algorithms: ['ES256'] })),
      },
      timing,
    );

    const missStats = missCache.stats();
    const hotStats = hotCache.stats();
    const r = rsa.rates;
    const measurements: Measurement[] = [
      { name: 'RS256 raw crypto.verify (pre-split bytes)', value: r.raw!, unit: 'ops/s' },
      { name: 'RS256 crypto.verify from the token string (split, signature decoded, per call)', value: r.rawFromToken!, unit: 'ops/s' },
      { name: 'RS256 jsonwebtoken.verify(token, KeyObject)', value: r.jwtKeyObject!, unit: 'ops/s' },
      { name: 'RS256 jsonwebtoken.verify(token, PEM string)', value: r.jwtPem!, unit: 'ops/s' },
      { name: 'RS256 decodeJwtToken, cold (no cache)', value: r.decode!, unit: 'ops/s' },
      {
        name: 'RS256 decodeJwtToken, cold, a key source that cannot tell the issuer from the kid',
        value: r.decodeByIssuer!,
        unit: 'ops/s',
      },
      { name: 'RS256 decodeJwtToken, cache on, every lookup a miss', value: r.decodeMissing!, unit: 'ops/s' },
      { name: 'RS256 decodeJwtToken, hot (cached)', value: r.hot!, unit: 'ops/s' },
      { name: 'createSsoContext per request, hot token (header, verify, claims-only user)', value: r.hotContext!, unit: 'ops/s' },
      { name: 'SHA-256 digest of a token (the cache key)', value: r.digest!, unit: 'ops/s' },
      { name: 'ES256 raw crypto.verify (pre-split bytes)', value: ec.rates.raw!, unit: 'ops/s' },
      { name: 'ES256 jsonwebtoken.verify(token, KeyObject)', value: ec.rates.jwtKeyObject!, unit: 'ops/s' },
      { name: 'ES256 decodeJwtToken, cold (no cache)', value: ec.rates.decode!, unit: 'ops/s' },
      {
        name: 'cold decodeJwtToken ÷ raw crypto.verify (RS256), the physical limit: no target',
        value: rsa.ratio('decode', 'raw'),
        unit: 'ratio',
      },
      {
        name: 'jsonwebtoken.verify with a KeyObject ÷ raw crypto.verify (RS256): what jsonwebtoken itself costs',
        value: rsa.ratio('jwtKeyObject', 'raw'),
        unit: 'ratio',
      },
      { name: 'cold decodeJwtToken ÷ raw crypto.verify (ES256), no target', value: ec.ratio('decode', 'raw'), unit: 'ratio' },
      {
        name: 'cold decodeJwtToken, key chosen by iss and kid (two decodings) ÷ jsonwebtoken.verify with a KeyObject (RS256), no target',
        value: rsa.ratio('decodeByIssuer', 'jwtKeyObject'),
        unit: 'ratio',
      },
      { name: 'distinct RS256 tokens', value: count, unit: 'tokens' },
      { name: 'RS256 token length', value: hotToken.length, unit: 'chars' },
    ];
    const ratios: Ratio[] = [
      ratio(
        'cold decodeJwtToken ÷ jsonwebtoken.verify with a KeyObject (RS256)',
        rsa.ratio('decode', 'jwtKeyObject'),
        0.9,
        "graphql-sso's own work beside jsonwebtoken's: the checks jsonwebtoken leaves out (canonical signature, UTF-8 header and payload), the key chosen by kid and bound to iss, the claims in their order, and the async call",
      ),
      ratio('cold decodeJwtToken ÷ jsonwebtoken.verify with a KeyObject (ES256)', ec.ratio('decode', 'jwtKeyObject'), 0.9),
      ratio(
        'cold decodeJwtToken with the cache on (all misses) ÷ jsonwebtoken.verify with a KeyObject (RS256)',
        rsa.ratio('decodeMissing', 'jwtKeyObject'),
        0.9,
        'the worst case, no token ever presented twice: each also pays its SHA-256 digest, freezing and inserting its payload, and the garbage collector moving entries that are evicted before any reuse; one hit repays a whole verification',
      ),
      ratio('hot decodeJwtToken (verified-token cache) ÷ raw crypto.verify (RS256)', rsa.ratio('hot', 'raw'), 10),
      ratio(
        'cold decodeJwtToken ÷ jsonwebtoken.verify with a PEM string (RS256)',
        rsa.ratio('decode', 'jwtPem'),
        1,
        'keys are parsed once into KeyObjects; a PEM string is parsed on every call',
      ),
    ];
    return {
      title: 'Token verification',
      measurements,
      ratios,
      notes: [
        `Tokens: ${count} distinct RS256 (2048-bit key) and ${es.tokens.length} ES256 (P-256) authorization tokens shaped as encodeJwtToken makes them, verified by identity "myapp" (audience, expiry, issuer checked).`,
        'Every token is verified by jsonwebtoken, so the targets compare decodeJwtToken with jsonwebtoken.verify given the same KeyObject: what graphql-sso adds on top of it. Raw crypto.verify gets each token\'s signing input and signature already split and decoded: the physical limit, with no parsing, key lookup or claim checks, reported as a baseline. "From the token string" adds only what any verifier of a token must do: split it and decode the signature.',
        'Cold decodeJwtToken lets jsonwebtoken decode each token once: the KeyStore tells the issuer from the kid (issuerOfKey), the verified iss must be that issuer. A key source that cannot tell costs a second decoding (jsonwebtoken.decode, to read iss and kid first), measured apart.',
        `Ops run side by side, ${timing.rounds} rounds of ${timing.durationMs} ms in rotated order; ratios are medians of same-round ratios.`,
        `The cache-on cold run had ${missStats.hits} hits in ${missStats.hits + missStats.misses} lookups (0 expected: it holds half the tokens, cycled through in order).`,
        `Hot: one token through decodeJwtToken with a VerifiedTokenCache (${hotStats.hits} hits): a SHA-256 digest, an lru-cache lookup, the expiry/not-before check and a check that the key is still the one that verified it.`,
        'createSsoContext per request: header parsing, request info, the cached verification and the built-in authenticatePayload of a service without sessions.',
      ],
    };
  } finally {
    rs.cleanup();
    es.cleanup();
  }
};
