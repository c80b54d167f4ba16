import { SessionToken } from './session-token.js';
import { User } from './user.js';

export { SessionToken, User };

/** The identity service's entities, for `openDatabase({ entities })`. */
export const identityEntities = [User, SessionToken];
