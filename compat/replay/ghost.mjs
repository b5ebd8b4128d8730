// The "ghost cleanup" deviation (docs/socket-events.md, "join"): when a
// user joins from a second socket, the original force-disconnected the older
// one; chatd keeps it connected. From the kick on, the older socket X keeps
// receiving what its rooms receive, and presence falls back to it when the
// newer socket Y leaves. This rewrites the expected steps accordingly.
import { ACTION_KINDS } from './recording.mjs';

const BROADCASTS = new Set(['presenceUpdate', 'newMessage', 'privateMessage', 'messageDeleted']);

function lastJoin(steps, client, before) {
  let found = null;
  for (const s of steps) {
    if (s === before) break;
    if (s.client === client && s.kind === 'emit' && s.event === 'join' && s.args?.[0]?.user) found = s;
  }
  return found;
}

/** withEntry adds X's presence entry to a presenceUpdate step (if its user is absent). */
function withEntry(step, xUser, xClient) {
  const s = structuredClone(step);
  const p = s.args[0];
  if (p.onlineIds.includes(xUser.id)) return s;
  p.users.push({ ...xUser, socketId: 'x' });
  p.onlineIds.push(xUser.id);
  for (const k of Object.keys(p.roomCounts || {})) p.roomCounts[k] += 1;
  s.volatile = [...(s.volatile || []), { path: `args[0].users[${p.users.length - 1}].socketId`, var: `socket_id.${xClient}`, role: 'ref' }];
  return s;
}

/** withoutClient removes client c's entry (found by its socket_id ref) from a presenceUpdate step. */
function withoutClient(step, c) {
  const s = structuredClone(step);
  const p = s.args[0];
  const ann = (s.volatile || []).find((a) => a.var === `socket_id.${c}` && /^args\[0\]\.users\[\d+\]\.socketId$/.test(a.path));
  if (!ann) return null;
  const i = Number(ann.path.match(/users\[(\d+)\]/)[1]);
  const [gone] = p.users.splice(i, 1);
  if (!p.users.some((u) => u.id === gone.id)) {
    p.onlineIds = p.onlineIds.filter((id) => id !== gone.id);
    for (const k of Object.keys(p.roomCounts || {})) p.roomCounts[k] -= 1;
  }
  s.volatile = s.volatile.flatMap((a) => {
    const m = a.path.match(/^args\[0\]\.users\[(\d+)\](.*)$/);
    if (!m) return [a];
    const j = Number(m[1]);
    if (j === i) return [];
    return [{ ...a, path: `args[0].users[${j > i ? j - 1 : j}]${m[2]}` }];
  });
  return s;
}

/**
 * keepOlderSocket rewrites steps for the kick `hit` (X's `io server
 * disconnect` right after a join by another socket Y of the same user).
 * Returns steps unchanged when hit is not such a kick.
 */
export function keepOlderSocket(steps, hit) {
  const idx = steps.indexOf(hit);
  const X = hit.client;
  // The action that caused the kick: the last action before it.
  let cause = null;
  for (let i = idx - 1; i >= 0 && steps[i].kind !== 'barrier'; i--) if (ACTION_KINDS.has(steps[i].kind)) { cause = steps[i]; break; }
  if (!cause || cause.kind !== 'emit' || cause.event !== 'join' || cause.client === X) return steps;
  const xJoin = lastJoin(steps, X, hit);
  const user = cause.args?.[0]?.user;
  if (!xJoin || !user || xJoin.args[0].user.id !== user.id) return steps;
  const Y = cause.client;
  const xUser = structuredClone(xJoin.args[0].user);
  // Joined and connected clients, to know who hears X leave.
  const joined = new Set();
  for (const s of steps.slice(0, idx)) {
    if (s.kind === 'emit' && s.event === 'join') joined.add(s.client);
    if (s.kind === 'close_socket' || (s.kind === 'disconnect' && s.dir === 'in')) joined.delete(s.client);
  }
  const out = steps.slice(0, idx);
  let xInPresence = false;
  let xClosed = false;
  let lastPresence = null;
  let group = [];
  let leaving = null; // a joined client that closed in this group
  const flush = () => {
    // Nobody else heard `leaving` go (the original had kicked X): X does.
    if (leaving && !xClosed && lastPresence && !group.some((s) => s.kind === 'event' && s.event === 'presenceUpdate' && s.client !== X)) {
      const base = xInPresence ? withEntry(lastPresence, xUser, X) : lastPresence;
      const synth = withoutClient(base, leaving);
      if (synth) out.push({ ...synth, client: X, seq: (group[0]?.seq ?? synth.seq) + 0.0007 });
    }
    leaving = null;
    // One copy of each distinct broadcast of the group for X (it is in every room of the tenant and its user's room).
    const seen = new Set();
    for (const s of group) {
      if (xClosed || s.client === X || s.dir !== 'in' || s.kind !== 'event' || !BROADCASTS.has(s.event)) continue;
      if (s.event === 'privateMessage' && ![s.args?.[0]?.recipientId, s.args?.[0]?.senderId].includes(user.id)) continue;
      const key = s.event + JSON.stringify(s.args);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...structuredClone(s), client: X, seq: s.seq + 0.0005, mirrored_from: s.client });
    }
    group = [];
  };
  for (const s0 of steps.slice(idx + 1)) {
    let s = s0;
    if (ACTION_KINDS.has(s.kind) || s.kind === 'barrier') flush();
    if (s.kind === 'event' && s.event === 'presenceUpdate' && s.dir === 'in') {
      lastPresence = s;
      if (xInPresence && !xClosed) s = withEntry(s, xUser, X);
    }
    if (s.kind === 'close_socket' && s.client === Y && !xClosed) xInPresence = true;
    if (s.kind === 'close_socket' && s.client !== X && joined.has(s.client)) { joined.delete(s.client); leaving = s.client; }
    if (s.kind === 'close_socket' && s.client === X && !xClosed) {
      out.push(s);
      xClosed = true;
      out.push({ seq: s.seq + 0.0001, kind: 'disconnect', client: X, dir: 'in', reason: 'io client disconnect', details: null });
      // The others hear X leave; the state without X is what the recording last showed.
      joined.delete(X);
      if (lastPresence) {
        let n = 2;
        for (const c of joined) {
          out.push({ ...structuredClone(lastPresence), client: c, seq: s.seq + 0.0001 * n++, optional: !xInPresence });
        }
      }
      continue;
    }
    if (s.kind === 'emit' && s.event === 'join') joined.add(s.client);
    out.push(s);
    group.push(s);
  }
  flush();
  return out;
}
