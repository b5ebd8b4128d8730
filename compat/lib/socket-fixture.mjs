// A seeded chatd plus helpers that open product-like sockets on it and take
// them through connect and join, closing everything after the test.
import { withChatd } from './harness.mjs';
import { ALICE, BOB, connect, query } from './socket.mjs';

/**
 * fixture starts chatd for test t; mode is one of TRANSPORT_MODES. Returns
 * {server, db, open(opts), user(who), sql(text, params)}.
 */
export async function fixture(t, mode, { env = {} } = {}) {
  const { server, db } = await withChatd(t, { env });
  const open = (opts = {}) => {
    const c = connect(server.url, { transports: mode.transports, ...opts });
    t.after(() => c.close());
    return c;
  };
  /**
   * user connects who (a seeded user with a token, BOB, or {anonymous:
   * alias}) and, unless join is false, joins demo. origin, when given, is the
   * handshake's Origin header (a native app's WebView). The client's buffer
   * is drained; c.user is the user object it joined with.
   */
  const user = async (who, { join = true, alias, extra = {}, origin } = {}) => {
    let c;
    let id;
    const headers = origin ? { extraHeaders: { origin } } : {};
    if (who.token) {
      c = open({ token: who.token, query: { userId: who.id, userAlias: who.alias }, ...headers });
      await c.connected();
      id = who.id;
    } else if (who === BOB || who.id) {
      c = open({ query: { userId: who.id, userAlias: who.alias }, ...headers });
      await c.connected();
      id = (await c.first('userConfirmed')).id;
    } else {
      c = open({ query: { userId: 'local-0000-' + who.anonymous.toLowerCase(), userAlias: who.anonymous } });
      await c.connected();
      id = (await c.first('userCreated')).id;
    }
    c.user = { id, alias: alias ?? who.alias ?? who.anonymous, gender: who.gender ?? 'other', ...extra };
    if (join) {
      await c.join(c.user);
      await c.first('presenceUpdate', { where: (p) => p.onlineIds.includes(id) });
    }
    c.drain();
    return c;
  };
  const sql = (text, params) => query(db.url, text, params);
  return { server, db, open, user, sql };
}

export { ALICE };
