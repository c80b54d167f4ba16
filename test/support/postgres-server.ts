import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The server binaries of Debian's PostgreSQL package (override with PG_BIN). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a PostgreSQL server of its own cannot be run here, or null when it can. */
export function postgresServerUnavailable(): string | null {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'postgres'))) {
    return `needs the PostgreSQL server binaries (initdb, postgres) in ${PG_BIN} (Debian: apt-get install postgresql; or set PG_BIN)`;
  }
  return null;
}

export interface PostgresServer {
  url: string;
  /** The postmaster, killed outright: a crash. */
  kill(): void;
  /** Starts it again on the same port and data; resolves once it accepts queries. */
  start(): Promise<void>;
  /** Stops it and removes its files, whatever state it is in. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Root runs PostgreSQL as the `postgres` user, which it refuses to run as root. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  const binary = join(PG_BIN, command);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL server of its own: `initdb` into a temporary folder, trust authentication, on a
 * free loopback port, its socket in that folder. For tests that crash and restart it.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sso-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | null = null;
  let log = '';

  const [initdb, initArgs] = asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initdb, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }

  const postmasterPid = (): number | null => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };

  const accepts = async (): Promise<boolean> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const start = async (): Promise<void> => {
    const deadline = Date.now() + 20_000;
    // After a crash, the old backends take a moment to notice and release shared memory: retry.
    while (Date.now() < deadline) {
      const [postgres, args] = asPostgres('postgres', [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ]);
      const started = spawn(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      started.stdout!.on('data', (d) => (log += d));
      started.stderr!.on('data', (d) => (log += d));
      child = started;
      while (Date.now() < deadline && started.exitCode === null) {
        if (await accepts()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`PostgreSQL did not start:\n${log}`);
  };

  const kill = () => {
    const pid = postmasterPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };

  await start();
  return {
    url,
    kill,
    start,
    async destroy() {
      const pid = postmasterPid();
      const signal = (name: NodeJS.Signals | 0) => {
        try {
          if (pid) process.kill(pid, name);
          return true;
        } catch {
          return false;
        }
      };
      // SIGQUIT: the postmaster stops every backend at once (pg_ctl stop -m immediate).
      if (signal('SIGQUIT')) {
        const deadline = Date.now() + 5000;
        while (signal(0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        signal('SIGKILL');
      }
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
