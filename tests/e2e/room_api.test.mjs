// Browser end-to-end test of the room API (REST, admin token) against a live conference: three
// demo pages join one room as identities a, b and c and decode each other; then the API lists
// them with their tracks, mutes and unmutes b's video (a must see trackMuted and b's video must
// stall at a while muted and come back after), removes c (c's page shows why and stays out; a
// and b drop its tile and keep decoding each other), sends data (to everyone, then only to a),
// and deletes the room (a and b are told). The room can be joined again afterwards and the
// server stays ready.
//
// Prints "e2e: ..." lines with the measured times for the record.
// Environment: see lib.mjs (SWITCHYARD_BIN is required). Everything talks to 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, adminToken, hook, mediaFlows, sleep, waitFor, waitForRoster } from './lib.mjs';

const kMediaTimeoutMs = 40_000;
// Server-initiated changes (mute, removal, data, room deletion) must show within this.
const kEventTimeoutMs = 10_000;
// A muted track must stop for this long; an unmuted one must come back within kUnmuteTimeoutMs
// (it waits for a keyframe, which the server asks the publisher for).
const kStallMs = 1_500;
const kStallTimeoutMs = 15_000;
const kSampleMs = 200;
const kUnmuteTimeoutMs = 15_000;
// How long a removed page is watched for an unwanted automatic rejoin.
const kNoRejoinMs = 2_000;
const kIdentities = ['a', 'b', 'c'];

const harness = new Harness();
const pages = harness.pages;
const log = (line) => harness.log(line);
const withLogs = (body) => harness.withLogs(body);
const room = `api-${Math.random().toString(36).slice(2, 10)}`;
const roomPath = `/v1/rooms/${room}`;

before(() => harness.start(), { timeout: 40_000 });
after(() => harness.stop(), { timeout: 30_000 });

// Filled by the first test; later tests skip without it.
const ids = {};       // identity -> participant id
let firstSid = '';    // the room's sid before it is deleted
let bVideoTrackId = '';

const requireConference = (t) => {
  if (Object.keys(ids).length === kIdentities.length) return true;
  t.skip('the conference never came up');
  return false;
};

const videoFramesOf = async (page, participantId) => {
  const stats = await hook(page, () => window.switchyard.stats());
  const entry = stats[participantId] || {};
  return {
    video: entry.video ? entry.video.framesDecoded : 0,
    audio: entry.audio ? entry.audio.packetsReceived : 0,
  };
};

const remoteView = (page, participantId) => hook(page,
    (id) => window.switchyard.participants().find((p) => p.participantId === id) || null,
    participantId);

const tileShown = (page, participantId) => hook(page,
    (id) => Boolean(document.querySelector(`[data-participant-id="${CSS.escape(id)}"]`)),
    participantId);

test('three identities join and decode each other', { timeout: 90_000 }, withLogs(async () => {
  const started = Date.now();
  for (const identity of kIdentities) {
    await harness.openPage(identity, room, { identity });
  }
  for (const identity of kIdentities) {
    const seen = await waitForRoster(pages[identity], identity,
        kIdentities.filter((n) => n !== identity), kMediaTimeoutMs);
    ids[identity] = seen[identity];
    assert.equal(await hook(pages[identity], () => window.switchyard.identity()), identity,
        `${identity}'s page joined as the identity it asked /dev/token for`);
  }
  const local = await hook(pages.a, () => window.switchyard.localInfo());
  assert.equal(local.identity, 'a', 'joined.local names our identity');
  assert.ok(local.permission && local.permission.canPublish && local.permission.canSubscribe,
      `joined.local carries the permission: ${JSON.stringify(local.permission)}`);
  const roomInfo = await hook(pages.a, () => window.switchyard.roomInfo());
  assert.equal(roomInfo && roomInfo.name, room, 'joined.roomInfo names the room');
  assert.match(roomInfo.sid || '', /^RM_/, 'the room has a sid');
  firstSid = roomInfo.sid;

  for (const identity of kIdentities) {
    const expected = Object.fromEntries(kIdentities.filter((n) => n !== identity)
        .map((n) => [n, ids[n]]));
    const result = await waitFor(`${identity} to decode the others`,
        () => mediaFlows(pages[identity], expected), kMediaTimeoutMs);
    log(`${identity} receives: ${JSON.stringify(result.detail)}`);
  }
  for (const identity of kIdentities) {
    const t = await hook(pages[identity], () => window.switchyard.timings());
    console.log(`e2e: ${identity} first remote frame ${Math.round(t.firstRemoteFrameAt - t.joinStartedAt)} ms ` +
        `after starting to join (joined after ${Math.round(t.joinedAt - t.joinStartedAt)} ms)`);
  }
  console.log(`e2e: conference of three up after ${Date.now() - started} ms`);
}));

test('the API lists the participants with their tracks', { timeout: 20_000 },
  withLogs(async (t) => {
    if (!requireConference(t)) return;
    const list = await harness.api('GET', `${roomPath}/participants`);
    const byIdentity = Object.fromEntries((list.participants || []).map((p) => [p.identity, p]));
    assert.deepEqual(Object.keys(byIdentity).sort(), kIdentities, 'a, b and c are listed');
    for (const identity of kIdentities) {
      const p = byIdentity[identity];
      assert.equal(p.participantId, ids[identity], `${identity}'s participant id matches its page`);
      assert.equal(p.name, identity);
      const kinds = (p.tracks || []).map((track) => track.kind).sort();
      assert.deepEqual(kinds, ['TRACK_KIND_AUDIO', 'TRACK_KIND_VIDEO'],
          `${identity} publishes audio and video: ${JSON.stringify(p.tracks)}`);
      assert.ok(p.permission && p.permission.canPublish, `${identity} may publish`);
    }
    const video = byIdentity.b.tracks.find((track) => track.kind === 'TRACK_KIND_VIDEO');
    assert.ok(video.layers >= 1, `b's video reports its simulcast layers: ${JSON.stringify(video)}`);
    bVideoTrackId = video.trackId;

    const one = await harness.api('GET', `${roomPath}/participants/b`);
    assert.equal(one.participantId, ids.b, 'GetParticipant finds b');
    const rooms = await harness.api('GET', '/v1/rooms');
    const listed = (rooms.rooms || []).find((r) => r.name === room);
    assert.ok(listed, `ListRooms shows ${room}`);
    assert.equal(listed.numParticipants, 3, 'the room counts three participants');
  }));

test("muting b's video stops it at a; unmuting brings it back", { timeout: 60_000 },
  withLogs(async (t) => {
    if (!requireConference(t)) return;
    if (!bVideoTrackId) {
      t.skip("b's video track is unknown");
      return;
    }
    const mutePath = `${roomPath}/participants/b/tracks/${encodeURIComponent(bVideoTrackId)}/mute`;
    const muteStarted = Date.now();
    const muted = await harness.api('POST', mutePath, { muted: true });
    assert.equal(muted.track && muted.track.muted, true, `the API answers the muted track: ${JSON.stringify(muted)}`);

    await waitFor('a to see trackMuted for b\'s video', async () => {
      const b = await remoteView(pages.a, ids.b);
      const track = b && b.tracks.find((tr) => tr.trackId === bVideoTrackId);
      return { ok: Boolean(track && track.muted && b.videoMuted), track, videoMuted: b && b.videoMuted };
    }, kEventTimeoutMs, 100);
    const mutedSeenMs = Date.now() - muteStarted;
    await harness.screenshot('muted');
    assert.equal(await hook(pages.a, (id) => document.querySelector(
        `[data-participant-id="${CSS.escape(id)}"] .muted-indicator`).hidden, ids.b), false,
        "a's tile of b shows the muted indicator");

    // Frames already on their way may still be decoded; after that the count must stand still
    // for kStallMs while b's audio and c's video keep flowing at a. Sampled every kSampleMs to
    // tell when the last frame came.
    const samples = [];  // {at (ms since the mute call), b, c}
    let stall = null;
    const stallDeadline = Date.now() + kStallTimeoutMs;
    while (!stall) {
      const [b, c] = await Promise.all([videoFramesOf(pages.a, ids.b), videoFramesOf(pages.a, ids.c)]);
      const now = { at: Date.now() - muteStarted, b, c };
      samples.push(now);
      const windowStart = samples.findLast((x) => x.at <= now.at - kStallMs);
      if (windowStart && windowStart.b.video === now.b.video) {
        stall = { from: windowStart, to: now };
        break;
      }
      assert.ok(Date.now() < stallDeadline, `b's video at a did not stall for ${kStallMs} ms within ` +
          `${kStallTimeoutMs} ms of the mute; samples: ${JSON.stringify(samples.slice(-12))}`);
      await sleep(kSampleMs);
    }
    const lastFrame = samples.find((x) => x.b.video === stall.to.b.video);
    const stalledMs = stall.to.at;
    const detail = {
      bVideo: [stall.from.b.video, stall.to.b.video],
      bAudio: [stall.from.b.audio, stall.to.b.audio],
      cVideo: [stall.from.c.video, stall.to.c.video],
    };
    assert.ok(detail.bAudio[1] > detail.bAudio[0], `b's audio keeps flowing while its video is muted: ${JSON.stringify(detail)}`);
    assert.ok(detail.cVideo[1] > detail.cVideo[0], `c's video keeps flowing at a: ${JSON.stringify(detail)}`);
    log(`while b's video is muted, a sees ${JSON.stringify(detail)}`);

    const unmuteStarted = Date.now();
    const unmuted = await harness.api('POST', mutePath, { muted: false });
    assert.equal(Boolean(unmuted.track && unmuted.track.muted), false, 'the API answers the unmuted track');
    await waitFor('a to see b\'s video unmuted', async () => {
      const b = await remoteView(pages.a, ids.b);
      const track = b && b.tracks.find((tr) => tr.trackId === bVideoTrackId);
      return { ok: Boolean(track && !track.muted && !b.videoMuted), track };
    }, kEventTimeoutMs, 100);
    const before = (await videoFramesOf(pages.a, ids.b)).video;
    await waitFor("b's video at a to come back", async () => {
      const now = (await videoFramesOf(pages.a, ids.b)).video;
      return { ok: now > before + 5, before, now };
    }, kUnmuteTimeoutMs, 100);
    const resumedMs = Date.now() - unmuteStarted;
    await waitFor('a to decode b and c again', () => mediaFlows(pages.a, { b: ids.b, c: ids.c }),
        kEventTimeoutMs);
    console.log(`e2e: mute seen at a after ${mutedSeenMs} ms; b's last video frame at a was seen ` +
        `${lastFrame.at} ms after the mute call (then none for ${kStallMs} ms, confirmed at ${stalledMs} ms); ` +
        `after unmute frames resumed within ${resumedMs} ms`);
  }));

test('removing c disconnects it; a and b drop its tile and go on', { timeout: 60_000 },
  withLogs(async (t) => {
    if (!requireConference(t)) return;
    const started = Date.now();
    await harness.api('DELETE', `${roomPath}/participants/c`);

    await waitFor("c's page to show that it was removed", async () => {
      const view = await hook(pages.c, () => ({
        state: window.switchyard.state(),
        reason: window.switchyard.disconnectReason(),
        banner: window.switchyard.banner(),
        formShown: !document.getElementById('join-view').hidden,
      }));
      return { ok: view.state === 'disconnected' && view.reason === 'removed' && view.formShown, ...view };
    }, kEventTimeoutMs, 100);
    const removedShownMs = Date.now() - started;
    await harness.screenshot('removed');
    const banner = await hook(pages.c, () => window.switchyard.banner());
    assert.match(banner, /removed from the room/i, 'the banner says why');

    const dropped = {};
    for (const identity of ['a', 'b']) {
      await waitFor(`${identity} to drop c`, async () => {
        const known = await remoteView(pages[identity], ids.c);
        const tile = await tileShown(pages[identity], ids.c);
        return { ok: !known && !tile, known: Boolean(known), tile };
      }, kEventTimeoutMs, 100);
      dropped[identity] = Date.now() - started;
    }
    for (const [identity, other] of [['a', 'b'], ['b', 'a']]) {
      const result = await waitFor(`${identity} to keep decoding ${other} after c was removed`,
          () => mediaFlows(pages[identity], { [other]: ids[other] }), kEventTimeoutMs);
      log(`${identity} receives after c was removed: ${JSON.stringify(result.detail)}`);
    }

    // No automatic rejoin: c stays out.
    await sleep(kNoRejoinMs);
    assert.equal(await hook(pages.c, () => window.switchyard.state()), 'disconnected',
        'c does not rejoin by itself');
    const list = await harness.api('GET', `${roomPath}/participants`);
    assert.deepEqual((list.participants || []).map((p) => p.identity).sort(), ['a', 'b'],
        'the API lists only a and b');
    console.log(`e2e: c removed: its page showed it after ${removedShownMs} ms; a dropped c's ` +
        `tile after ${dropped.a} ms, b after ${dropped.b} ms`);
  }));

test('data sent through the API reaches the participants', { timeout: 30_000 },
  withLogs(async (t) => {
    if (!requireConference(t)) return;
    const text = `hello from the API ${Date.now()}`;
    const started = Date.now();
    await harness.api('POST', `${roomPath}/data`,
        { topic: 'news', payload: Buffer.from(text).toString('base64') });
    for (const identity of ['a', 'b']) {
      await waitFor(`${identity} to receive the data`, async () => {
        const messages = await hook(pages[identity], () => window.switchyard.dataMessages());
        const hit = messages.find((m) => m.text === text);
        return { ok: Boolean(hit && hit.topic === 'news' && hit.participantId === ''), messages };
      }, kEventTimeoutMs, 100);
    }
    const deliveredMs = Date.now() - started;

    // Only to a: b must not get it (checked once a has it, plus a margin).
    const privateText = `only for a ${Date.now()}`;
    await harness.api('POST', `${roomPath}/data`, {
      topic: 'dm', payload: Buffer.from(privateText).toString('base64'), destinationIdentities: ['a'],
    });
    await waitFor('a to receive the message meant for it', async () => {
      const messages = await hook(pages.a, () => window.switchyard.dataMessages());
      return { ok: messages.some((m) => m.text === privateText && m.topic === 'dm'), messages };
    }, kEventTimeoutMs, 100);
    await sleep(500);
    const bMessages = await hook(pages.b, () => window.switchyard.dataMessages());
    assert.ok(!bMessages.some((m) => m.text === privateText), 'b does not get a message meant for a');
    console.log(`e2e: data from the API reached a and b within ${deliveredMs} ms`);
  }));

test('deleting the room disconnects everyone; the room can be joined again', { timeout: 60_000 },
  withLogs(async (t) => {
    if (!requireConference(t)) return;
    const started = Date.now();
    await harness.api('DELETE', roomPath);
    for (const identity of ['a', 'b']) {
      await waitFor(`${identity} to be told the room was deleted`, async () => {
        const view = await hook(pages[identity], () => ({
          state: window.switchyard.state(),
          reason: window.switchyard.disconnectReason(),
          banner: window.switchyard.banner(),
        }));
        return { ok: view.state === 'disconnected' && view.reason === 'room_deleted', ...view };
      }, kEventTimeoutMs, 100);
      assert.match(await hook(pages[identity], () => window.switchyard.banner()),
          /room was closed/i, `${identity}'s banner says the room was closed`);
    }
    const toldMs = Date.now() - started;
    const gone = await harness.request('GET', `${roomPath}/participants`,
        { token: adminToken() });
    assert.equal(gone.status, 404, `the deleted room is gone from the API: ${gone.text}`);

    await harness.openPage('d', room, { identity: 'd' });
    await waitForRoster(pages.d, 'd', [], kMediaTimeoutMs);
    const roomInfo = await hook(pages.d, () => window.switchyard.roomInfo());
    assert.ok(roomInfo && roomInfo.sid && roomInfo.sid !== firstSid,
        `the room came back as a new incarnation (${firstSid} -> ${roomInfo && roomInfo.sid})`);
    const list = await harness.api('GET', `${roomPath}/participants`);
    assert.deepEqual((list.participants || []).map((p) => p.identity), ['d'], 'only d is in the new room');
    const ready = await harness.request('GET', '/readyz');
    assert.equal(ready.status, 200, `the server is ready: ${ready.text}`);
    console.log(`e2e: room deleted: a and b told within ${toldMs} ms; rejoined as a new room ` +
        `after ${Date.now() - started} ms`);
  }));
