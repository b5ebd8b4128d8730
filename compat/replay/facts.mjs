// Facts the deviation rules test: read from the seeded database (sessions,
// users, members, messages, rooms) and derived per step from the recording
// (the socket's bound user, the Origin against the allow-list, ...).
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** loadFacts reads what the rules need from the seeded database. */
export async function loadFacts(dbURL) {
  const c = new pg.Client({ connectionString: dbURL });
  await c.connect();
  try {
    const sessions = await c.query('SELECT token, "userId", "expiresAt" > now() AS live FROM "session"');
    const users = await c.query('SELECT id, "isAnonymous" FROM "user"');
    const messages = await c.query('SELECT id FROM "Message"');
    const rooms = await c.query('SELECT id, type::text AS type FROM "Room"');
    const members = await c.query('SELECT m."userId", t.slug, m.role::text AS role, m."canModerate" FROM "TenantMember" m JOIN "Tenant" t ON t.id = m."tenantId"');
    const roles = await c.query('SELECT id, role::text AS role FROM "user"');
    const iso = (col) => `to_char(t."${col}", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    // TenantJSON (docs/http-routes.md, "Shared shapes") of each NAS device's tenant, in device creation order.
    const nas = await c.query(`SELECT n."nasId", n.bssid, n."publicIp", json_build_object(
        'id', t.id, 'name', t.name, 'slug', t.slug, 'metadata', t.metadata, 'logoUrl', t."logoUrl",
        'address', t.address, 'createdAt', ${iso('createdAt')}, 'updatedAt', ${iso('updatedAt')},
        'latitude', t.latitude, 'longitude', t.longitude, 'menuEnabled', t."menuEnabled",
        'feedbackEnabled', t."feedbackEnabled", 'staffEnabled', t."staffEnabled", 'menuUrl', t."menuUrl") AS tenant
      FROM "NasDevice" n JOIN "Tenant" t ON t.id = n."tenantId" ORDER BY n."createdAt", n.id`);
    return {
      nas: nas.rows,
      superadmins: new Set(roles.rows.filter((r) => String(r.role).toUpperCase() === 'SUPERADMIN').map((r) => r.id)),
      members: members.rows.map((r) => ({ userId: r.userId, slug: r.slug, role: r.role, canModerate: r.canModerate })),
      roomIds: new Set(rooms.rows.map((r) => r.id)),
      announcementRoomIds: new Set(rooms.rows.filter((r) => r.type === 'ANNOUNCEMENT').map((r) => r.id)),
      sessions: new Map(sessions.rows.map((r) => [r.token, { userId: r.userId, live: r.live }])),
      users: new Map(users.rows.map((r) => [r.id, { isAnonymous: r.isAnonymous }])),
      messageIds: new Set(messages.rows.map((r) => r.id)),
    };
  } finally {
    await c.end();
  }
}

function tokenOf(step) {
  const o = step.options || {};
  const t = o.auth?.token ?? o.query?.token ?? null;
  return t === undefined ? null : t;
}

const DEFAULT_NATIVE_ORIGINS = ['capacitor://localhost', 'http://localhost', 'https://localhost'];
const originList = (v) => (v || '').split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean);

/**
 * context derives, per step, the facts rules may test: the socket's bound
 * user at that point (from the token's session, else the userCreated /
 * userConfirmed id the recording shows), the token state of an open_socket,
 * whether NATIVE_ID_FALLBACK binds it (member_only on its later emits), and
 * whether it has joined for its own user.
 */
export function context(steps, facts, env) {
  const bound = new Map();
  const info = new Map();
  const memberOnly = new Set();
  const joined = new Set();
  const allowed = new Set(originList(env.CORS_ORIGINS));
  const native = new Set([...DEFAULT_NATIVE_ORIGINS, ...originList(env.NATIVE_ORIGINS)]);
  const fallback = (env.NATIVE_ID_FALLBACK || (String(env.STRICT_AUTH) === 'true' ? 'off' : 'member')).toLowerCase() === 'member';
  for (const s of steps) {
    const x = {};
    if (s.kind === 'open_socket') {
      const eh = s.options?.extraHeaders || {};
      const ok = Object.keys(eh).find((k) => k.toLowerCase() === 'origin');
      const origin = ok === undefined ? null : String(eh[ok]).replace(/\/$/, '');
      x.socket_origin = origin === null ? 'none' : allowed.has(origin) ? 'allowed' : 'disallowed';
      joined.delete(s.client);
      x.first_transport = (s.options?.transports || ['polling', 'websocket'])[0];
      const tok = tokenOf(s);
      if (tok === null || tok === '') {
        x.token_state = 'none';
        const uid = s.options?.query?.userId;
        x.anon_user = !uid ? 'none' : !facts.users.has(uid) ? 'unknown' : facts.users.get(uid).isAnonymous ? 'anonymous' : 'registered';
        x.native_fallback = fallback && x.anon_user === 'registered' && x.socket_origin === 'allowed' && native.has(origin);
        const later = steps.find((e) => e.seq > s.seq && e.client === s.client && e.kind === 'event' && (e.event === 'userCreated' || e.event === 'userConfirmed'));
        bound.set(s.client, later ? later.args?.[0]?.id : null);
      } else {
        const sess = facts.sessions.get(String(tok));
        x.token_state = sess?.live ? 'valid' : 'invalid';
        bound.set(s.client, sess?.live ? sess.userId : null);
      }
      if (x.native_fallback) memberOnly.add(s.client); else memberOnly.delete(s.client);
      x.native_fallback = !!x.native_fallback;
    }
    if (s.kind === 'event' && s.event === 'presenceUpdate') {
      // Another presenceUpdate for the same client before the next barrier?
      const rest = steps.slice(steps.indexOf(s) + 1);
      const end = rest.findIndex((e) => e.kind === 'barrier');
      x.later_presence_in_segment = (end < 0 ? rest : rest.slice(0, end)).some((e) => e.client === s.client && e.kind === 'event' && e.event === 'presenceUpdate');
    }
    if (s.kind === 'emit') {
      const b = bound.get(s.client);
      const a = s.args?.[0];
      x.member_only = memberOnly.has(s.client);
      x.joined = joined.has(s.client);
      if (s.event === 'join' && a && typeof a === 'object' && a.user && a.tenantSlug) {
        x.user_bound = a.user.id === b;
        if (x.user_bound) joined.add(s.client);
      }
      if (s.event === 'sendMessage' && a && typeof a === 'object' && (a.text || a.imageUrl)) {
        x.sender_bound = a.senderId === b;
        x.id_stored = facts.messageIds.has(a.id);
        x.room_known = a.roomId === undefined || a.roomId === null || facts.roomIds.has(a.roomId);
        x.room_announcement = facts.announcementRoomIds?.has(a.roomId) ?? false;
      }
    }
    if (s.kind === 'http') {
      const h = s.request?.headers || {};
      const key = Object.keys(h).find((k) => k.toLowerCase() === 'origin');
      x.origin = key === undefined ? 'none' : allowed.has(String(h[key]).replace(/\/$/, '')) ? 'allowed' : 'disallowed';
      const m = Object.keys(h).find((k) => k.toLowerCase() === 'access-control-request-method');
      x.preflight = s.request?.method === 'OPTIONS' && m !== undefined;
      // The session an endpoint would resolve from `Authorization: Bearer` (cookies: see docs/betterauth.md).
      const az = Object.keys(h).find((k) => k.toLowerCase() === 'authorization');
      const bearer = az === undefined ? null : String(h[az]).replace(/^Bearer\s+/i, '');
      x.auth = bearer === null ? 'none' : facts.sessions.get(bearer)?.live ? 'valid' : 'invalid';
      x.auth_user = bearer === null ? null : facts.sessions.get(bearer)?.live ? facts.sessions.get(bearer).userId : null;
      x.bearer_jwt = bearer !== null && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(bearer);
      const hdr = (name) => { const k = Object.keys(h).find((n) => n.toLowerCase() === name); return k === undefined ? undefined : h[k]; };
      const slug = hdr('x-tenant-slug') ?? (s.request?.path || '').match(/^\/api\/tenants\/([^/]+)/)?.[1];
      x.tenant_slug_header = hdr('x-tenant-slug') === undefined ? 'absent' : 'present';
      const member = (facts.members || []).find((mm) => mm.userId === x.auth_user && mm.slug === slug);
      const superadmin = facts.superadmins?.has(x.auth_user) ?? false;
      x.can_moderate = superadmin || !!member && (['OWNER', 'ADMIN', 'MODERATOR'].includes(member.role) || member.canModerate);
      x.tenant_admin = superadmin || !!member && ['OWNER', 'ADMIN'].includes(member.role);
      const qUser = s.request?.query?.userId;
      x.query_user_is_auth = qUser === undefined || x.auth_user === null ? 'n/a' : qUser === x.auth_user ? 'yes' : 'no';
      const idm = (s.request?.path || '').match(/^\/api\/messages\/([^/]+)\/?$/);
      x.path_message_stored = idm ? facts.messageIds.has(decodeURIComponent(idm[1])) : null;
      x.user_id_valid = qUser === undefined ? null : /^[A-Za-z0-9_-]{1,64}$/.test(String(qUser));
      const file = (s.request?.body?.multipart || []).find((p) => p.filename !== undefined && p.filename !== null);
      x.upload_sniff = file ? sniffImage(Buffer.from(file.base64 || '', 'base64')) : 'none';
      const known = (id) => (id === undefined || id === null ? 'none' : facts.users.has(id) ? 'known' : 'unknown');
      x.body_user = known(s.request?.body?.json?.userId);
      x.query_user = known(s.request?.query?.userId);
    }
    info.set(s.seq, x);
  }
  return info;
}

/** sniffImage names the image type of the first bytes (what chatd's sniffing accepts), else 'other'. */
function sniffImage(b) {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1'))) return 'gif';
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return 'other';
}

/** sanitizeAlias is the alias rule of docs/socket-events.md ("Alias rule"). */
export function sanitizeAlias(a) {
  const once = (v) => String(v).trim().replace(/[^a-zA-Z0-9 \-_\u00C0-\u024F]/g, '').slice(0, 30).trim();
  return once(once(a));
}

/** seededFacts loads seedFile into a scratch database migrated by bin and reads the facts. */
export async function seededFacts(seedFile, migrate) {
  const { createDatabase, runSQL } = await import('../lib/harness.mjs');
  const db = await createDatabase();
  try {
    migrate(db.url);
    await runSQL(db.url, readFileSync(seedFile, 'utf8'));
    return await loadFacts(db.url);
  } finally {
    await db.drop();
  }
}
