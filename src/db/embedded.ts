import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { SsoError } from '../errors.js';

/** Where a running `serve` says its embedded database can be reached. */
interface ServerRecord {
  host: string;
  port: number;
  pid: number;
}

export interface EmbeddedServer {
  url: string;
  close(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
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
  if (!record || record.pid === process.pid || !isAlive(record.pid)) return null;
  if (!(await canConnect(record.host, record.port))) return null;
  return `postgres://postgres@${record.host}:${record.port}/postgres`;
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
 * Opens the embedded PostgreSQL (PGlite) in `dir` and serves it over the wire protocol on a
 * loopback port, so the one PostgreSQL driver serves both it and a real server. With `share`,
 * the address is recorded in `server.json` for the other commands of a second terminal.
 */
export async function startEmbedded(dir: string, { share }: { share: boolean }): Promise<EmbeddedServer> {
  mkdirSync(dir, { recursive: true });
  const release = takeLock(dir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGlite.create(join(dir, 'data'));
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
    await server.start();
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    release();
    throw error;
  }
  const [host, port] = server.getServerConn().split(':') as [string, string];
  const recordFile = join(dir, 'server.json');
  if (share) {
    const record: ServerRecord = { host, port: Number(port), pid: process.pid };
    writeFileSync(`${recordFile}.tmp`, JSON.stringify(record));
    renameSync(`${recordFile}.tmp`, recordFile);
  }
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    async close() {
      if (share && readJson<ServerRecord>(recordFile)?.pid === process.pid) rmSync(recordFile, { force: true });
      await server!.stop();
      await db!.close();
      release();
    },
  };
}

export function embeddedDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

export function hasEmbeddedData(dataDir: string): boolean {
  return existsSync(join(embeddedDir(dataDir), 'data'));
}
