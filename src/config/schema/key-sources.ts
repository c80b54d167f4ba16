import * as v from 'valibot';
import { plainObject, url } from './values.js';

const isFileName = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

const isKeyFiles = (value: unknown): boolean => isFileName(value) || (Array.isArray(value) && value.length > 0 && value.every(isFileName));

/**
 * `publicKeys` / `privateKeys`: issuer → a key file, or a list of them newest first, kept as given
 * (`KeyStore.load` reads both). A bad issuer is named as `publicKeys.myapp`.
 */
export const keyFiles = plainObject(
  v.record(v.string(), v.custom<string | string[]>(isKeyFiles, 'must be a key file name or a non-empty list of them')),
  'must map each issuer to a key file or a list of key files',
);

/** `jwksUrls`: issuer → the http(s) URL of its JWKS. */
export const jwksUrls = plainObject(
  v.record(v.string(), url(['http', 'https'], 'must be an http(s) URL')),
  'must map each issuer to the URL of its JWKS',
);
