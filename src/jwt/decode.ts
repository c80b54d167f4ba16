import type { TokenPayload } from './claims.js';
import type { TokenContext } from './options.js';
import { validateClaims } from './lib/validate-claims.js';
import { verifyByIssuer } from './lib/verify-by-issuer.js';
import { verifyByKeyId } from './lib/verify-by-key-id.js';

const nowInSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Verifies a token as django-rest-framework-sso does, always in this order, the first failure
 * thrown: the encoding -> `iss` present and accepted -> the key its `iss` and `kid` choose -> the
 * algorithm allowed for that key -> the signature, checked by jsonwebtoken (`verifyByIssuer`) ->
 * the claims (`validateClaims`: type, required claims, audience, not-before, expiry).
 *
 * Where the key source can tell the issuer from the `kid` (`issuerOfKey`), jsonwebtoken decodes
 * the token once rather than twice (`verifyByKeyId`): the same key, the same verdict; a token it
 * does not accept is then read the usual way, for the first failure in the order above.
 *
 * With a `cache` in the context (`createSsoContext` passes one), a token verified before under
 * the same settings and key, and still inside its lifetime, is answered from it; a token that
 * verifies is remembered, and its payload is then frozen (requests presenting it share it).
 */
export function decodeJwtToken(token: string, context: TokenContext): Promise<TokenPayload> {
  try {
    return Promise.resolve(decodeJwtTokenNow(token, context));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * `decodeJwtToken`, answering a token found in the cache without a promise (what
 * `createSsoContext` calls for the built-in hook, so that a request presenting a token seen
 * before needs none). `knownId`: the token's `cache.idOf`, where the caller has it already.
 */
export function decodeJwtTokenNow(token: string, context: TokenContext, knownId?: string): TokenPayload | Promise<TokenPayload> {
  const { settings, keys, now = nowInSeconds, cache } = context;
  const id = cache !== undefined && settings.verifySignature ? (knownId ?? cache.idOf(token)) : undefined;
  if (id === undefined) return verify(token, context, undefined);
  const cached = cache!.get(id, settings, keys, now());
  if (cached instanceof Promise) return cached.then((payload) => payload ?? verify(token, context, id));
  return cached ?? verify(token, context, id);
}

/** The signature and the claims, in the order above; remembered under `id` when it verifies. */
async function verify(
  token: string,
  { settings, keys, now = nowInSeconds, cache }: TokenContext,
  id: string | undefined,
): Promise<TokenPayload> {
  let byKeyId = settings.verifySignature ? verifyByKeyId(token, settings.acceptedIssuers, keys) : undefined;
  if (byKeyId instanceof Promise) byKeyId = await byKeyId;
  const { payload, key, kid } =
    byKeyId !== undefined && 'payload' in byKeyId ? byKeyId : await verifyByIssuer(token, settings, keys, byKeyId?.refused);
  const claims = validateClaims(payload, {
    audience: settings.verifyAudience ? settings.identity : null,
    verifyExpiration: settings.verifyExpiration,
    leeway: settings.expirationLeeway,
    now: now(),
  });
  if (id !== undefined && key !== undefined) cache!.set(id, { payload: claims, key, kid, settings });
  return claims;
}
