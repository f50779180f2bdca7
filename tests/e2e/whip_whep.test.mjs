// Browser end-to-end test of WHIP ingest and WHEP playback, without the demo app: page P
// publishes Chromium's fake camera and microphone with a plain RTCPeerConnection and fetch()
// (POST /whip/{room}, RFC 9725) as identity "encoder"; page V plays it (POST
// /whep/{room}/encoder with a recvonly offer) and must decode the video and receive the audio.
// Ending the ingest (DELETE of its Location) must stop V's video and take "encoder" out of the
// room. Also: a WHIP POST without a token is 401, one with the wrong content type 415, and only
// the token's owner may end an ingest.
//
// Prints "e2e: ..." lines with the measured times for the record.
// Environment: see lib.mjs (SWITCHYARD_BIN is required). Everything talks to 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hook, sleep, waitFor } from './lib.mjs';

const kMediaTimeoutMs = 40_000;
const kEventTimeoutMs = 10_000;
const kSampleGapMs = 1_500;

const harness = new Harness();
const pages = harness.pages;
const log = (line) => harness.log(line);
const withLogs = (body) => harness.withLogs(body);
const room = `whip-${Math.random().toString(36).slice(2, 10)}`;

before(() => harness.start(), { timeout: 40_000 });
after(() => harness.stop(), { timeout: 30_000 });

// Runs in page P: publishes camera and microphone through WHIP. Returns {status, location,
// error, sdpLines}; the PeerConnection stays in window.whip.
async function whipPublish(room, token) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: 640, height: 360 },
  });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.whip = { pc, stream, location: '' };
  // Audio first, as most WHIP encoders order them.
  for (const track of [...stream.getAudioTracks(), ...stream.getVideoTracks()]) {
    pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  }
  await pc.setLocalDescription(await pc.createOffer());
  // No need to wait for our candidates: the server is ICE-lite and learns our address from
  // our connectivity checks.
  const response = await fetch(`/whip/${encodeURIComponent(room)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription.sdp,
  });
  const body = await response.text();
  if (response.status !== 201) return { status: response.status, error: body };
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  window.whip.location = response.headers.get('Location') || '';
  return {
    status: response.status,
    location: window.whip.location,
    contentType: response.headers.get('Content-Type'),
    link: response.headers.get('Link') || '',
    mLines: body.split(/\r?\n/).filter((l) => l.startsWith('m=')),
  };
}

// Runs in page V: plays `identity`'s tracks in `room` through WHEP into a <video>.
async function whepPlay(room, identity, token) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const stream = new MediaStream();
  const video = document.createElement('video');
  video.autoplay = true;
  video.muted = true;
  video.playsInline = true;
  video.width = 640;
  video.height = 360;
  video.srcObject = stream;
  document.body.appendChild(video);
  window.whep = { pc, stream, video, location: '', startedAt: performance.now(), firstFrameAt: null };
  video.requestVideoFrameCallback(() => { window.whep.firstFrameAt = performance.now(); });
  pc.ontrack = (event) => {
    stream.addTrack(event.track);
    video.play().catch(() => {});
  };
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(`/whep/${encodeURIComponent(room)}/${encodeURIComponent(identity)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription.sdp,
  });
  const body = await response.text();
  if (response.status !== 201) return { status: response.status, error: body };
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  window.whep.location = response.headers.get('Location') || '';
  return {
    status: response.status,
    location: window.whep.location,
    mLines: body.split(/\r?\n/).filter((l) => l.startsWith('m=')),
  };
}

// Runs in page V: what its WHEP PeerConnection receives.
async function whepStats() {
  const result = { video: null, audio: null, connection: window.whep.pc.connectionState };
  const report = await window.whep.pc.getStats();
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      result.video = {
        framesDecoded: s.framesDecoded || 0,
        frameWidth: s.frameWidth || 0,
        frameHeight: s.frameHeight || 0,
        packetsReceived: s.packetsReceived || 0,
        freezeCount: s.freezeCount || 0,
      };
    } else if (s.kind === 'audio') {
      result.audio = { packetsReceived: s.packetsReceived || 0 };
    }
  });
  return result;
}

const participantsOf = async (roomName) => {
  const list = await harness.api('GET', `/v1/rooms/${roomName}/participants`);
  return list.participants || [];
};

// Set by the ingest test for the ones after it.
let encoderToken = '';
let viewerToken = '';
let whipLocation = '';
let whepLocation = '';
let viewing = false;

test('WHIP refuses a POST without a token (401) and a non-SDP body (415)', { timeout: 20_000 },
  withLogs(async () => {
    const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
    const anonymous = await harness.request('POST', `/whip/${room}`,
        { body: offer, headers: { 'Content-Type': 'application/sdp' } });
    assert.equal(anonymous.status, 401, `no token: ${anonymous.text}`);
    const { token } = await harness.devToken(room, 'encoder');
    const wrongType = await harness.request('POST', `/whip/${room}`,
        { body: offer, token, headers: { 'Content-Type': 'text/plain' } });
    assert.equal(wrongType.status, 415, `text/plain: ${wrongType.text}`);
    const badToken = await harness.request('POST', `/whip/${room}`,
        { body: offer, token: `${token}x`, headers: { 'Content-Type': 'application/sdp' } });
    assert.equal(badToken.status, 401, `a token with a broken signature: ${badToken.text}`);
  }));

test('a WHIP ingest plays through WHEP', { timeout: 90_000 }, withLogs(async () => {
  encoderToken = (await harness.devToken(room, 'encoder', 'Encoder')).token;
  viewerToken = (await harness.devToken(room, 'viewer')).token;
  await harness.openBlankPage('P');
  await harness.openBlankPage('V');

  const publishStarted = Date.now();
  const published = await hook(pages.P, whipPublish, room, encoderToken);
  log(`WHIP POST: ${JSON.stringify(published)}`);
  assert.equal(published.status, 201, `WHIP POST answered ${published.status}: ${published.error}`);
  assert.match(published.location, new RegExp(`^/whip/${room}/\\S+`), 'Location names the session');
  assert.match(published.contentType || '', /^application\/sdp/, 'the answer is SDP');
  assert.equal(published.mLines.length, 2, `the answer has audio and video: ${published.mLines}`);
  // RFC 9725 §4.6: the embedded STUN/TURN server as Link headers, TURN with credentials.
  assert.match(published.link, /<stun:127\.0\.0\.1:\d+>; rel="ice-server"/, `Link: ${published.link}`);
  assert.match(published.link,
      /<turn:127\.0\.0\.1:\d+\?transport=udp>; rel="ice-server"; username="\d+:encoder"; credential="[^"]+"; credential-type="password"/,
      `Link: ${published.link}`);
  whipLocation = published.location;
  const answerMs = Date.now() - publishStarted;

  await waitFor('the publisher to connect', async () => {
    const state = await hook(pages.P, () => window.whip.pc.connectionState);
    return { ok: state === 'connected', state, fatal: state === 'failed' ? 'failed' : undefined };
  }, kMediaTimeoutMs, 100);
  const connectedMs = Date.now() - publishStarted;
  const encoder = await waitFor('the API to list "encoder" with two tracks', async () => {
    const list = await participantsOf(room);
    const found = list.find((p) => p.identity === 'encoder');
    return { ok: Boolean(found && (found.tracks || []).length === 2), found: found || null };
  }, kEventTimeoutMs);
  assert.equal(encoder.found.kind, 'KIND_WHIP', 'the ingest is a WHIP participant');
  assert.equal(encoder.found.name, 'Encoder', "the name comes from the token");

  const playStarted = Date.now();
  const played = await hook(pages.V, whepPlay, room, 'encoder', viewerToken);
  log(`WHEP POST: ${JSON.stringify(played)}`);
  assert.equal(played.status, 201, `WHEP POST answered ${played.status}: ${played.error}`);
  assert.match(played.location, new RegExp(`^/whep/${room}/encoder/\\S+`), 'Location names the session');
  whepLocation = played.location;

  const first = await waitFor('V to decode its first video frame', async () => {
    const s = await hook(pages.V, whepStats);
    return { ok: Boolean(s.video && s.video.framesDecoded > 0), ...s,
      fatal: s.connection === 'failed' ? 'failed' : undefined };
  }, kMediaTimeoutMs, 100);
  const firstFrameMs = Date.now() - playStarted;
  log(`V first decoded: ${JSON.stringify(first)}`);

  const flowing = await waitFor('V to keep decoding video and receiving audio', async () => {
    const a = await hook(pages.V, whepStats);
    await sleep(kSampleGapMs);
    const b = await hook(pages.V, whepStats);
    const frames = [a.video ? a.video.framesDecoded : 0, b.video ? b.video.framesDecoded : 0];
    const audio = [a.audio ? a.audio.packetsReceived : 0, b.audio ? b.audio.packetsReceived : 0];
    return { ok: frames[1] > frames[0] && audio[1] > audio[0], frames, audio,
      size: b.video ? `${b.video.frameWidth}x${b.video.frameHeight}` : null };
  }, kMediaTimeoutMs);
  const fps = (flowing.frames[1] - flowing.frames[0]) / (kSampleGapMs / 1000);
  const viewers = (await participantsOf(room)).filter((p) => p.kind === 'KIND_WHEP');
  assert.equal(viewers.length, 1, 'the API lists the WHEP viewer');
  assert.match(viewers[0].identity, /^viewer\//, `the viewer's identity derives from its token: ${viewers[0].identity}`);
  viewing = true;
  console.log(`e2e: WHIP answered after ${answerMs} ms, publisher connected after ${connectedMs} ms; ` +
      `WHEP first decoded frame ${firstFrameMs} ms after its POST; ${flowing.size} at ~${fps.toFixed(1)} fps, ` +
      `audio packets ${flowing.audio[0]} -> ${flowing.audio[1]} in ${kSampleGapMs} ms`);
}));

// Closing a PeerConnection sends DTLS close_notify. By then the server has freed the
// connection's SSL object (media from the viewer proved the handshake done) and reads the alert
// with its own record keys; BoringSSL's record must authenticate. Without it the viewer would
// only go when ICE consent expires, 30 s later.
test('a WHEP viewer that closes its PeerConnection leaves at once (DTLS close_notify)',
  { timeout: 60_000 }, withLogs(async (t) => {
    if (!viewing) {
      t.skip('the WHEP playback never came up');
      return;
    }
    const token = (await harness.devToken(room, 'viewer2')).token;
    await harness.openBlankPage('W');
    const played = await hook(pages.W, whepPlay, room, 'encoder', token);
    assert.equal(played.status, 201, `WHEP POST answered ${played.status}: ${played.error}`);
    await waitFor('W to decode video', async () => {
      const s = await hook(pages.W, whepStats);
      return { ok: Boolean(s.video && s.video.framesDecoded > 0), ...s,
        fatal: s.connection === 'failed' ? 'failed' : undefined };
    }, kMediaTimeoutMs, 100);
    const before = (await participantsOf(room)).filter((p) => p.kind === 'KIND_WHEP').length;
    assert.equal(before, 2, 'both WHEP viewers are listed');
    const started = Date.now();
    await hook(pages.W, () => { window.whep.pc.close(); });
    await waitFor('the API to drop the closed WHEP viewer', async () => {
      const list = (await participantsOf(room)).filter((p) => p.kind === 'KIND_WHEP');
      return { ok: list.length === 1, identities: list.map((p) => p.identity) };
    }, kEventTimeoutMs, 100);
    const goneMs = Date.now() - started;
    const still = await hook(pages.V, whepStats);
    assert.ok(still.video && still.connection === 'connected', 'the other viewer keeps playing');
    console.log(`e2e: a closed WHEP PeerConnection left the room ${goneMs} ms after pc.close()`);
  }));

test('only the owner may end the ingest; ending it stops the playback', { timeout: 40_000 },
  withLogs(async (t) => {
    if (!viewing) {
      t.skip('the WHEP playback never came up');
      return;
    }
    const foreign = await harness.request('DELETE', whipLocation, { token: viewerToken });
    assert.equal(foreign.status, 403, `another identity's token may not end the ingest: ${foreign.text}`);

    const started = Date.now();
    const ended = await harness.request('DELETE', whipLocation, { token: encoderToken });
    assert.ok(ended.status === 200 || ended.status === 204, `DELETE answered ${ended.status}: ${ended.text}`);

    await waitFor('the API to drop "encoder"', async () => {
      const list = await participantsOf(room);
      return { ok: !list.some((p) => p.identity === 'encoder'), identities: list.map((p) => p.identity) };
    }, kEventTimeoutMs, 100);
    const droppedMs = Date.now() - started;

    const stalled = await waitFor("V's video to stop", async () => {
      const a = await hook(pages.V, whepStats);
      await sleep(kSampleGapMs);
      const b = await hook(pages.V, whepStats);
      const frames = [a.video ? a.video.framesDecoded : 0, b.video ? b.video.framesDecoded : 0];
      return { ok: frames[1] === frames[0], frames, connection: b.connection };
    }, kEventTimeoutMs, 0);
    const stoppedMs = Date.now() - started;

    const again = await harness.request('DELETE', whipLocation, { token: encoderToken });
    assert.equal(again.status, 404, `the ended ingest is gone: ${again.text}`);
    // The viewer's own session: ended by its owner, or already ended with its source.
    const viewerEnd = await harness.request('DELETE', whepLocation, { token: viewerToken });
    assert.ok([200, 204, 404].includes(viewerEnd.status), `WHEP DELETE answered ${viewerEnd.status}`);
    log(`after the WHIP DELETE: V ${JSON.stringify(stalled)}; WHEP DELETE ${viewerEnd.status}`);
    const ready = await harness.request('GET', '/readyz');
    assert.equal(ready.status, 200, `the server is ready: ${ready.text}`);
    console.log(`e2e: WHIP DELETE: encoder gone from the API after ${droppedMs} ms, V's video ` +
        `stopped (no frame for ${kSampleGapMs} ms) by ${stoppedMs} ms; the WHEP session ` +
        `${viewerEnd.status === 404 ? 'had ended with its source' : 'was still there and was ended'}`);
  }));
