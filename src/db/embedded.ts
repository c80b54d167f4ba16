import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { SsoError } from '../errors.js';
import { mayDropListens, NotificationScanner } from './lib/protocol-scan.js';
import type { DatabaseNotifications } from './notifications.js';

/** Where a running `serve` says its embedded database can be reached. */
interface ServerRecord {
  /** A folder only its owner may enter (0700), holding the Unix socket `.s.PGSQL.5432`. */
  socketDir: string;
  pid: number;
}

const SOCKET_NAME = '.s.PGSQL.5432';

/** node-postgres reaches a Unix socket through `host=<its folder>`. */
function socketUrl(socketDir: string): string {
  return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`;
}

/**
 * Takes group and other permissions off `path` and everything under it: the data files PGlite
 * writes are world-readable otherwise (0666 less the umask).
 */
function ownerOnly(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  chmodSync(path, stat.mode & 0o700);
  if (stat.isDirectory()) for (const name of readdirSync(path)) ownerOnly(join(path, name));
}

export interface EmbeddedServer {
  url: string;
  /** The notifications on the channels it was started to listen on, whichever client's commit sent them. */
  notifications: DatabaseNotifications;
  close(): Promise<void>;
}

type Listener = Parameters<DatabaseNotifications['subscribe']>[1];

/**
 * PGlite is one PostgreSQL session for every client of its socket, and the socket server hands
 * each client the raw answers, so a notification goes only to the client whose commit sent it
 * (`PGlite.listen` never sees those). Every statement of every client passes through this
 * process, though: `db` is wrapped for the socket server so that each answer is scanned on its
 * way out, and its notifications reach the listeners before the committing client reads its
 * answer. Statements that may drop the session's `LISTEN`s end the guarantee (`onLost`).
 */
function observeNotifications(db: PGlite, channels: readonly string[]): { db: PGlite; notifications: DatabaseNotifications } {
  const listeners = new Map<string, Set<Listener>>(channels.map((channel) => [channel, new Set()]));
  let lost = false;
  const notify = (channel: string, payload: string) => {
    for (const listener of listeners.get(channel) ?? []) listener.onNotify(payload);
  };
  const execProtocolRawStream: PGlite['execProtocolRawStream'] = async (message, options) => {
    if (!lost && mayDropListens(message)) {
      lost = true;
      for (const set of listeners.values()) for (const listener of set) listener.onLost();
    }
    const scanner = new NotificationScanner(notify);
    return db.execProtocolRawStream(message, {
      ...options,
      onRawData: (data) => {
        scanner.scan(data);
        options?.onRawData?.(data);
      },
    });
  };
  const wrapped = new Proxy(db, {
    get(target, key) {
      if (key === 'execProtocolRawStream') return execProtocolRawStream;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    db: wrapped,
    notifications: {
      subscribe(channel, listener) {
        const set = listeners.get(channel);
        if (!set) throw new SsoError('INVALID_SETTINGS', `The embedded database was not opened to listen on channel "${channel}".`);
        if (lost) {
          listener.onLost();
          return () => undefined;
        }
        set.add(listener);
        return () => set.delete(listener);
      },
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The URL of the embedded database that another live process serves, if any. */
export async function findRunningEmbedded(dir: string): Promise<string | null> {
  const record = readJson<ServerRecord>(join(dir, 'server.json'));
  if (!record?.socketDir || record.pid === process.pid || !isAlive(record.pid)) return null;
  if (!(await canConnect(join(record.socketDir, SOCKET_NAME)))) return null;
  return socketUrl(record.socketDir);
}

/**
 * PGlite has no lock of its own: two processes opening one data folder would corrupt it. An
 * exclusive lock file holding the owner's pid guards it; a dead owner's lock is taken over.
 */
function takeLock(dir: string): () => void {
  const lock = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new SsoError(
          'INVALID_SETTINGS',
          `The embedded database in ${dir} is in use by process ${owner}, which does not share it. Stop that process, or set DATABASE_URL.`,
        );
      }
      rmSync(lock, { force: true });
    }
  }
  throw new SsoError('INVALID_SETTINGS', `Could not lock the embedded database in ${dir}.`);
}

/**
 * Opens the embedded PostgreSQL (PGlite) in `dir` and serves it over the wire protocol, so the
 * one PostgreSQL driver serves both it and a real server. PGlite asks no password: the socket is
 * a Unix socket in a fresh 0700 folder, so only this user's processes can connect, and `dir`
 * with everything in it is made 0700/0600. With `share`, the socket's folder is recorded in
 * `server.json` (0600) for the other commands of a second terminal. The session `listen`s on
 * the channels named, for `notifications`.
 */
export async function startEmbedded(
  dir: string,
  { share, listen = [] }: { share: boolean; listen?: readonly string[] },
): Promise<EmbeddedServer> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const release = takeLock(dir);
  const socketDir = mkdtempSync(join(tmpdir(), 'graphql-sso-'));
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  let notifications: DatabaseNotifications;
  try {
    db = await PGlite.create(join(dir, 'data'));
    ownerOnly(dir);
    // Before any client connects: no transaction of theirs can be open yet.
    for (const channel of listen) await db.exec(`listen "${channel.replaceAll('"', '""')}"`);
    const observed = observeNotifications(db, listen);
    notifications = observed.notifications;
    server = new PGLiteSocketServer({ db: observed.db, path: join(socketDir, SOCKET_NAME), maxConnections: 16 });
    await server.start();
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    rmSync(socketDir, { recursive: true, force: true });
    release();
    throw error;
  }
  const recordFile = join(dir, 'server.json');
  if (share) {
    const record: ServerRecord = { socketDir, pid: process.pid };
    writeFileSync(`${recordFile}.tmp`, JSON.stringify(record), { mode: 0o600 });
    renameSync(`${recordFile}.tmp`, recordFile);
  }
  return {
    url: socketUrl(socketDir),
    notifications,
    async close() {
      if (share && readJson<ServerRecord>(recordFile)?.pid === process.pid) rmSync(recordFile, { force: true });
      await server!.stop();
      await db!.close();
      ownerOnly(dir);
      rmSync(socketDir, { recursive: true, force: true });
      release();
    },
  };
}

export function embeddedDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}
