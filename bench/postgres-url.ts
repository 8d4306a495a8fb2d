// Which PostgreSQL the benchmarks use when none is named: the machine's own server, over its Unix socket when it has
// one (as docs/operations.md recommends for a server on the same machine: a loopback TCP write costs the sender the
// receiving side's network stack too — measured, 40 % of the Node process's time at 1,000 events/s went to socket
// writes), else over TCP on 127.0.0.1.
import fs from 'node:fs';

const SOCKET_DIR = '/var/run/postgresql';

export function defaultPostgresUrl(): string {
  return fs.existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`)
    ? `postgres://postgres@/test?host=${encodeURIComponent(SOCKET_DIR)}`
    : 'postgres://postgres@127.0.0.1:5432/test';
}

/** How a URL reaches the server, for the results file. */
export function connectionKind(url: string): 'unix socket' | 'tcp' {
  return /[?&]host=(%2F|\/)/i.test(url) ? 'unix socket' : 'tcp';
}
