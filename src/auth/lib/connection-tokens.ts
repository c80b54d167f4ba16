/** A token read from an `Authorization` header, with its verified-token cache id (`undefined`: none). */
export interface ReadToken {
  token: string;
  id: string | undefined;
}

/**
 * The token each open connection presented last. A client sends the same `Authorization` header
 * request after request on a kept-alive connection, so the header is read and the token digested
 * (its cache id: a cold SHA-256 costs ~4 µs inside a busy server) once per connection rather than
 * once per request. Kept in a `WeakMap` on the connection's socket, so it goes with the connection,
 * and only for a header that was read: a refused one is refused again, every time. The verified-token
 * cache itself still holds digests only.
 */
export class ConnectionTokens {
  private readonly last = new WeakMap<object, ReadToken & { header: string }>();

  constructor(
    private readonly parse: (header: string | string[] | undefined) => string | null,
    private readonly idOf: (token: string) => string | undefined,
  ) {}

  /** The token of `header` (`null`: no header), as `parse` reads it; `connection`: the socket it came on. */
  read(connection: object | null | undefined, header: string | string[] | undefined): ReadToken | null {
    const remember = typeof header === 'string' && typeof connection === 'object' && connection !== null;
    if (remember) {
      const last = this.last.get(connection);
      if (last !== undefined && last.header === header) return last;
    }
    const token = this.parse(header);
    if (token === null) return null;
    const read = { header: header as string, token, id: this.idOf(token) };
    if (remember) this.last.set(connection, read);
    return read;
  }
}
