import * as v from 'valibot';
import { SUPPORTED_ALGORITHMS } from '../../jwt/lib/algorithms.js';

/** `encodeAlgorithm`: one of the asymmetric algorithms (no `none`, no HMAC). */
export const algorithm = v.picklist(
  SUPPORTED_ALGORITHMS,
  (issue) => `must be one of ${SUPPORTED_ALGORITHMS.join(', ')} (got ${JSON.stringify(issue.input)})`,
);

const ALGORITHMS = 'must be a non-empty list of algorithms';

/** `decodeAlgorithms`: a non-empty list of them; a bad entry is named by its index (`decodeAlgorithms[1]`). */
export const algorithms = v.pipe(v.array(algorithm, ALGORITHMS), v.nonEmpty(ALGORITHMS));
