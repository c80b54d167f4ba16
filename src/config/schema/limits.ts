import * as v from 'valibot';
import { plainObject, wholeNumber } from './values.js';

/** Each limit with its default, so that a config giving some keeps the defaults of the others. */
const LIMIT_ENTRIES = {
  /** Largest request body, in bytes: HTTP 413 beyond it (GraphQL and the REST endpoints). */
  maxBodyBytes: v.optional(wholeNumber('bytes', 1), 1024 * 1024),
  /** Longest token in the `Authorization` header, in characters: HTTP 401 beyond it, before any decoding. */
  maxTokenLength: v.optional(wholeNumber('characters', 1), 8192),
  /** Deepest nesting of fields in an operation, fragments followed; `ofType` inside introspection does not count. */
  maxDepth: v.optional(wholeNumber('levels', 1), 15),
  /** Most aliases in an operation, counted as executed (a fragment spread twice counts its aliases twice). */
  maxAliases: v.optional(wholeNumber('aliases', 1), 30),
  /** Most root fields (distinct response names) in an operation. */
  maxRootFields: v.optional(wholeNumber('fields', 1), 20),
  /** Most operations in one batched HTTP request (a JSON array of operations) to the identity service. */
  maxBatchOperations: v.optional(wholeNumber('operations', 1), 10),
  /** Most entity representations (`_entities(representations:)`, what a gateway asks a subgraph for) in one operation. */
  maxEntities: v.optional(wholeNumber('representations', 1), 100),
};

const NAMES = Object.keys(LIMIT_ENTRIES).join(', ');

const LIMITS = plainObject(
  v.strictObject(LIMIT_ENTRIES, `unknown limit (the limits are ${NAMES})`),
  `must be an object of limits (${NAMES})`,
);

type Limits = typeof LIMITS;

/**
 * The type of the `limits` schema, named: the settings' declarations refer to it rather than
 * repeat it, and so the types derived from them keep the limits' doc comments.
 */
export interface LimitsSchema extends Limits {}

/**
 * `limits`: what one HTTP request may ask of a service. Each refusal is a 4xx answer whose message
 * names the limit (`limits.maxDepth`), never a 500.
 */
export const limits: LimitsSchema = LIMITS;
