export { openDatabase, migrate, type Database, type DatabaseOptions } from './database.js';
