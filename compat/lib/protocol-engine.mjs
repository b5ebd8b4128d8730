// The Engine.IO v4 behaviours both raw-protocol suites check: on the bare
// engine (/engine.io/) and again under Socket.IO (/socket.io/). Each
// returns the number of tests it registered so a suite can assert its
// coverage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Conn, Polling, handshakeOf, sleep,
  HANDSHAKE_KEYS, MAX_PAYLOAD, PING_INTERVAL, PING_TIMEOUT,
} from './protocol.mjs';

const T = { timeout: 5000 };

function checkHandshake(hs, upgrades) {
  assert.deepEqual(Object.keys(hs).sort(), HANDSHAKE_KEYS);
  assert.equal(typeof hs.sid, 'string');
  assert.ok(hs.sid.length > 0);
  assert.deepEqual(hs.upgrades, upgrades);
  assert.equal(hs.pingInterval, PING_INTERVAL);
  assert.equal(hs.pingTimeout, PING_TIMEOUT);
  assert.equal(hs.maxPayload, MAX_PAYLOAD);
}

/** handshakeTests: opening sessions and the refusals (7 tests). */
export function handshakeTests(srv, pathName) {
  describe('handshake over polling', () => {
    it('opens a session with the five handshake keys and a websocket upgrade', T, async () => {
      const res = await fetch(`${srv().http}${pathName}?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.equal(body[0], '0');
      checkHandshake(handshakeOf(body), ['websocket']);
    });

    it('answers 400 without EIO or with a non-numeric EIO', T, async () => {
      for (const q of ['transport=polling', 'EIO=abc&transport=polling']) {
        const res = await fetch(`${srv().http}${pathName}?${q}`);
        assert.equal(res.status, 400, q);
        await res.arrayBuffer();
      }
    });

    it('answers 400 without transport or with an unknown one', T, async () => {
      for (const q of ['EIO=4', 'EIO=4&transport=abc']) {
        const res = await fetch(`${srv().http}${pathName}?${q}`);
        assert.equal(res.status, 400, q);
        await res.arrayBuffer();
      }
    });

    it('answers 400 to a handshake that is not a GET', T, async () => {
      for (const method of ['POST', 'PUT']) {
        const res = await fetch(`${srv().http}${pathName}?EIO=4&transport=polling`, { method });
        assert.equal(res.status, 400, method);
        await res.arrayBuffer();
      }
    });
  });

  describe('handshake over websocket', () => {
    it('opens a session whose handshake offers no upgrade', T, async () => {
      const c = new Conn(`${srv().ws}${pathName}?EIO=4&transport=websocket`);
      const first = await c.message();
      assert.equal(first[0], '0');
      checkHandshake(handshakeOf(first), []);
      c.close();
    });

    it('refuses a websocket without EIO or with a non-numeric EIO', T, async () => {
      for (const q of ['transport=websocket', 'EIO=abc&transport=websocket']) {
        const c = new Conn(`${srv().ws}${pathName}?${q}`);
        await c.closed();
        assert.equal(c.queues.message.length, 0, q);
      }
    });

    it('refuses a websocket without transport or with an unknown one', T, async () => {
      for (const q of ['EIO=4', 'EIO=4&transport=abc']) {
        const c = new Conn(`${srv().ws}${pathName}?${q}`);
        await c.closed();
        assert.equal(c.queues.message.length, 0, q);
      }
    });
  });
  return 7;
}

/** heartbeatTests: pings answered keep a session, silence ends it (4 tests). */
export function heartbeatTests(srv, pathName) {
  describe('heartbeat', () => {
    it('polling: the server pings every interval and a pong keeps the session', T, async () => {
      const p = new Polling(srv().http, pathName);
      await p.open();
      for (let round = 0; round < 3; round++) {
        const started = Date.now();
        const poll = await p.get();
        assert.deepEqual(poll, { status: 200, body: '2' }, `round ${round}`);
        assert.ok(Date.now() - started < PING_INTERVAL + 150, 'ping came late');
        const pong = await p.post('3');
        assert.equal(pong.status, 200);
      }
    });

    it('polling: without a pong the session is gone after interval + timeout', T, async () => {
      const p = new Polling(srv().http, pathName);
      await p.open();
      await sleep(PING_INTERVAL + PING_TIMEOUT);
      const poll = await p.get();
      assert.equal(poll.status, 400);
    });

    it('websocket: the server pings every interval and a pong keeps the session', T, async () => {
      const c = new Conn(`${srv().ws}${pathName}?EIO=4&transport=websocket`);
      await c.message(); // open packet
      for (let round = 0; round < 3; round++) {
        assert.equal(await c.message(), '2', `round ${round}`);
        c.send('3');
      }
      c.close();
    });

    it('websocket: without a pong the server closes the connection', T, async () => {
      const c = new Conn(`${srv().ws}${pathName}?EIO=4&transport=websocket`);
      const started = Date.now();
      await c.closed();
      assert.ok(Date.now() - started >= PING_INTERVAL, 'closed before the first ping was due');
    });
  });
  return 4;
}

/** closeTests: a close packet from the client ends the session (2 tests). */
export function closeTests(srv, pathName) {
  describe('close', () => {
    it('polling: a close packet ends the pending poll with a noop and the session', T, async () => {
      const p = new Polling(srv().http, pathName);
      await p.open();
      const [poll, post] = await Promise.all([p.get(), p.post('1')]);
      assert.deepEqual(poll, { status: 200, body: '6' });
      assert.equal(post.status, 200);
      assert.equal((await p.get()).status, 400);
    });

    it('websocket: a close packet makes the server close the connection', T, async () => {
      const c = new Conn(`${srv().ws}${pathName}?EIO=4&transport=websocket`);
      await c.message(); // open packet
      c.send('1');
      await c.closed();
    });
  });
  return 2;
}

// probeUpgrade opens a polling session, probes it over a websocket and
// sends the upgrade packet; withPoll runs between probe and upgrade.
async function probeUpgrade(srv, pathName, withPoll) {
  const p = new Polling(srv().http, pathName);
  await p.open();
  const c = new Conn(`${srv().ws}${pathName}?EIO=4&transport=websocket&sid=${p.sid}`);
  await c.next('open');
  c.send('2probe');
  assert.equal(await c.message(), '3probe');
  if (withPoll) await withPoll(p);
  c.send('5');
  return { p, c };
}

/**
 * upgradeTests: polling to websocket (3 tests). With echo, the upgraded
 * session must also carry a message both ways.
 */
export function upgradeTests(srv, pathName, { echo }) {
  const expectEcho = async (c) => {
    if (!echo) return;
    c.send('4hello');
    assert.deepEqual(await c.messages(1), ['4hello']);
  };

  describe('upgrade', () => {
    it('probes, ends the pending poll with a noop, then moves to the websocket', T, async () => {
      const { c } = await probeUpgrade(srv, pathName, async (p) => {
        assert.deepEqual(await p.get(), { status: 200, body: '6' });
      });
      await expectEcho(c);
      if (!echo) {
        // the session lives on the websocket: it is pinged there
        assert.equal(await c.message(), '2');
      }
      c.close();
    });

    it('refuses polling requests for the sid once upgraded', T, async () => {
      const { p, c } = await probeUpgrade(srv, pathName);
      assert.equal((await p.get()).status, 400);
      await expectEcho(c);
      c.close();
    });

    it('closes a second websocket for the sid once upgraded', T, async () => {
      const { p, c } = await probeUpgrade(srv, pathName);
      const second = new Conn(`${srv().ws}${pathName}?EIO=4&transport=websocket&sid=${p.sid}`);
      await second.closed();
      assert.equal(second.queues.message.length, 0);
      await expectEcho(c);
      c.close();
    });
  });
  return 3;
}
