export { openDatabase, migrate, type Database, type DatabaseOptions } from './database.js';
export { databaseUnavailableError, isDatabaseUnavailable } from '../lib/database-unavailable.js';
