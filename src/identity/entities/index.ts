import { LoginThrottleEntry } from './login-throttle-entry.js';
import { SessionToken } from './session-token.js';
import { User } from './user.js';

export { LoginThrottleEntry, SessionToken, User };

/** The identity service's entities, for `openDatabase({ entities })`. */
export const identityEntities = [User, SessionToken, LoginThrottleEntry];
