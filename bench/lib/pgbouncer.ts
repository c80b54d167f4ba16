import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Debian's pgbouncer (`apt-get install pgbouncer`), if installed. */
export const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => existsSync(path));

export interface PgBouncer {
  /** The URL of `database` through the pooler. */
  url(database: string): string;
  /** A client of PgBouncer's admin console (`SHOW STATS`, ...). */
  admin(): Promise<pg.Client>;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A PgBouncer of the test's own, in transaction pooling mode, in front of `direct`'s server. */
export async function startPgBouncer(direct: URL): Promise<PgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'sso-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), `"${direct.username || 'postgres'}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      // The services ask for statement_timeout at connection start-up, which PgBouncer cannot pass
      // on: its server connections set it themselves (databaseTimeout's default, 5 s).
      `* = host=${direct.hostname} port=${direct.port || 5432} connect_query='SET statement_timeout = 5000'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      `admin_users = ${direct.username || 'postgres'}`,
      'pool_mode = transaction',
      'default_pool_size = 4',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options,statement_timeout',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root: it then runs as the postgres user, which must read its files.
  const root = userInfo().uid === 0;
  if (root) {
    const postgres = Number(readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):(\d+):/m)?.[1] ?? NaN);
    for (const file of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, file), postgres, -1);
    chmodSync(dir, 0o700);
  }
  const child: ChildProcess = spawn(PGBOUNCER!, [...(root ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  const url = (database: string) => `postgres://${direct.username || 'postgres'}@127.0.0.1:${port}/${database}`;
  const admin = async () => {
    const client = new pg.Client({ connectionString: url('pgbouncer') });
    await client.connect();
    return client;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await (await admin()).end();
      break;
    } catch (error) {
      if (attempt > 100 || child.exitCode !== null) {
        const log = existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : '';
        throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    admin,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
