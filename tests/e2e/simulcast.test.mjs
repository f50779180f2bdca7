// Browser end-to-end test of simulcast layer selection: publisher P sends three simulcast layers
// (320x180 'q', 640x360 'h', 1280x720 'f') from Chromium's fake camera; viewers S and L publish
// nothing and ask for P's video at 320x180 and 1280x720 (window.switchyard.setPreference, which
// sends updateSubscription). S must decode the low layer and L a high one; after the two swap
// their preferences each must switch within kSwitchTimeoutMs without a freeze. Pausing must stop
// the video and resuming restart it.
//
// Prints "e2e: ..." lines with the measured times (ramp-up and switch times) for the record.
// Environment: see lib.mjs (SWITCHYARD_BIN is required). Everything talks to 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hook, sleep, waitFor, waitForRoster } from './lib.mjs';

const kJoinTimeoutMs = 30_000;
// The publisher's bandwidth estimate starts at ~300 kbps, which only pays for the q layer.
// Chromium's initial probes can lift it within a second or two; where they fail it grows by
// ~8 %/s and needs ~20 s for the f layer. That is the publisher's uplink, not layer selection,
// so the viewers join once P sends all three layers, and that wait is bounded separately.
const kPublisherRampTimeoutMs = 45_000;
// From setPreference to both viewers decoding the layer that fits them.
const kRampTimeoutMs = 25_000;
const kSwitchTimeoutMs = 15_000;
// After a switch, frames must keep coming for this long (a freeze would show in freezeCount).
const kSettleMs = 2_000;
const kPollMs = 200;
const kSmall = { width: 320, height: 180 };
const kLarge = { width: 1280, height: 720 };
const kLowMaxWidth = 480;   // the q layer is 320 wide; anything up to h/1.33 counts as low
const kHighMinWidth = 960;  // the f layer is 1280 wide; Chromium may scale it by 3/4 under load

const harness = new Harness();
const log = (line) => harness.log(line);

before(() => harness.start(), { timeout: 40_000 });
after(() => harness.stop(), { timeout: 30_000 });

// What one viewer receives of the publisher right now.
async function received(page, publisherId) {
  const [stats, states] = await Promise.all([
    hook(page, () => window.switchyard.stats()),
    hook(page, () => window.switchyard.subscriptionStates()),
  ]);
  const video = (stats[publisherId] || {}).video || null;
  return { video, state: states[publisherId] || null };
}

function describe(r) {
  const v = r.video;
  const size = v ? `${v.frameWidth}x${v.frameHeight}` : 'no-video';
  const counters = v ? ` dec=${v.framesDecoded} key=${v.keyFramesDecoded} fz=${v.freezeCount}` +
      ` fzDur=${v.totalFreezesDuration.toFixed(2)}s pli=${v.pliCount}` : '';
  const s = r.state;
  const state = s ? ` [server: S${s.spatialLayer}T${s.temporalLayer} ` +
      `bwe=${Math.round(s.bandwidthEstimateBps / 1000)}k]` : ' [no subscriptionState]';
  return `${size}${counters}${state}`;
}

function describePublisher(layers, bwe) {
  const parts = layers.map((l) => `${l.rid || '-'}:${l.frameWidth}x${l.frameHeight}` +
      `@${Math.round(l.targetBitrate / 1000)}k(${l.qualityLimitationReason})` +
      ` key=${l.keyFramesEncoded} pli=${l.pliCount}`);
  const estimate = bwe ? ` avail=${Math.round(bwe.availableOutgoingBitrate / 1000)}k` : '';
  return `${parts.join(' ')}${estimate}`;
}

async function publisherSummary(page) {
  const [layers, bwe] = await Promise.all([
    hook(page, () => window.switchyard.publisherStats()),
    hook(page, () => window.switchyard.publisherBandwidth()),
  ]);
  return describePublisher(layers, bwe);
}

// Polls S, L and P every kPollMs until `done(s, l)` holds or `timeoutMs` passes, logging a
// timeline line whenever something changes. Returns {ok, s, l, elapsedMs, firstMet} where
// firstMet.{S,L} is the time (ms since `startedAt`) at which each viewer's own condition
// (`sDone`/`lDone`) first held.
async function watch(what, pages, ids, { sDone, lDone, timeoutMs, startedAt }) {
  const firstMet = { S: null, L: null };
  let lastLine = '';
  let lastPublisherAt = 0;
  let publisher = '';
  let s = null;
  let l = null;
  for (;;) {
    [s, l] = await Promise.all([received(pages.S, ids.P), received(pages.L, ids.P)]);
    const elapsed = Date.now() - startedAt;
    if (firstMet.S == null && sDone(s)) firstMet.S = elapsed;
    if (firstMet.L == null && lDone(l)) firstMet.L = elapsed;
    if (Date.now() - lastPublisherAt > 1_000) {
      lastPublisherAt = Date.now();
      publisher = await publisherSummary(pages.P);
    }
    const line = `S ${describe(s)} | L ${describe(l)} | P ${publisher}`;
    // Frame counters change every poll; log when sizes, layers or publisher state change.
    const key = line.replace(/ dec=\d+/g, '').replace(/ key=\d+/g, '');
    if (key !== lastLine) {
      log(`${what} +${(elapsed / 1000).toFixed(1)}s: ${line}`);
      lastLine = key;
    }
    if (firstMet.S != null && firstMet.L != null && sDone(s) && lDone(l)) {
      return { ok: true, s, l, elapsedMs: elapsed, firstMet };
    }
    if (elapsed > timeoutMs) return { ok: false, s, l, elapsedMs: elapsed, firstMet };
    await sleep(kPollMs);
  }
}

const isLow = (r) => Boolean(r.video && r.video.frameWidth > 0 && r.video.frameWidth <= kLowMaxWidth);
const isHigh = (r) => Boolean(r.video && r.video.frameWidth >= kHighMinWidth);
const freezes = (r) => (r.video ? r.video.freezeCount : 0);

// Frames must keep being decoded: two samples `gapMs` apart.
async function keepsDecoding(page, publisherId, gapMs) {
  const a = await received(page, publisherId);
  await sleep(gapMs);
  const b = await received(page, publisherId);
  const before = a.video ? a.video.framesDecoded : 0;
  const after = b.video ? b.video.framesDecoded : 0;
  return { ok: after > before, framesDecoded: [before, after], last: b };
}

async function setPreference(page, publisherId, preference) {
  const sent = await hook(page, (id, pref) => window.switchyard.setPreference(id, pref),
      publisherId, preference);
  assert.ok(sent, `setPreference(${JSON.stringify(preference)}) sent an updateSubscription`);
  return sent;
}

// Shared between the tests: the room set up by the first one.
const pages = {};
const ids = {};
let layersUp = false;

test('viewers get the simulcast layer that fits, and switch layers without freezing',
  { timeout: 180_000 }, harness.withLogs(async () => {
    const room = `simulcast-${Math.random().toString(36).slice(2, 10)}`;
    pages.P = await harness.openPage('P', room);
    const publishStart = Date.now();
    let lastSummary = '';
    const top = await waitFor('P to send all three layers (its bandwidth estimate to ramp up)',
        async () => {
          const layers = await hook(pages.P, () => window.switchyard.publisherStats());
          const summary = await publisherSummary(pages.P);
          if (summary !== lastSummary) {
            log(`publisher +${((Date.now() - publishStart) / 1000).toFixed(1)}s: ${summary}`);
            lastSummary = summary;
          }
          const f = layers.find((l) => l.rid === 'f');
          return { ok: layers.length === 3 && Boolean(f && f.frameWidth >= kHighMinWidth), summary };
        }, kPublisherRampTimeoutMs, 1_000);
    console.log(`e2e: publisher sends all three layers ${Date.now() - publishStart} ms after ` +
        `its page opened (${top.summary})`);
    pages.S = await harness.openPage('S', room, { publish: '0' });
    pages.L = await harness.openPage('L', room, { publish: '0' });
    for (const name of ['S', 'L']) {
      const seen = await waitForRoster(pages[name], name, ['P'], kJoinTimeoutMs);
      ids[name] = seen[name];
      if (ids.P) assert.equal(seen.P, ids.P, `${name} knows P by the same id`);
      ids.P = seen.P;
    }
    const own = await hook(pages.P, () => window.switchyard.localParticipantId());
    assert.equal(own, ids.P, "the viewers know P by P's own id");

    // The viewers must get some video of P before preferences mean anything.
    for (const name of ['S', 'L']) {
      await waitFor(`${name} to decode P's video`, async () => {
        const r = await received(pages[name], ids.P);
        if (r.video && r.video.framesDecoded > 0) return { ok: true };
        return { ok: false, got: describe(r), publisher: await publisherSummary(pages.P) };
      }, kJoinTimeoutMs, 1_000);
    }

    const rampStart = Date.now();
    log(`setPreference: S ${JSON.stringify(kSmall)}, L ${JSON.stringify(kLarge)}`);
    await setPreference(pages.S, ids.P, kSmall);
    await setPreference(pages.L, ids.P, kLarge);
    const ramp = await watch('ramp', pages, ids,
        { sDone: isLow, lDone: isHigh, timeoutMs: kRampTimeoutMs, startedAt: rampStart });
    console.log(`e2e: ramp-up: S decodes <=${kLowMaxWidth} wide after ` +
        `${ramp.firstMet.S ?? 'never'} ms, L decodes >=${kHighMinWidth} wide after ` +
        `${ramp.firstMet.L ?? 'never'} ms (S ${describe(ramp.s)}; L ${describe(ramp.l)})`);
    assert.ok(isLow(ramp.s), `S (asked for 320x180) decodes P at <= ${kLowMaxWidth} wide ` +
        `within ${kRampTimeoutMs} ms; got ${describe(ramp.s)}`);
    assert.ok(isHigh(ramp.l), `L (asked for 1280x720) decodes P at >= ${kHighMinWidth} wide ` +
        `within ${kRampTimeoutMs} ms; got ${describe(ramp.l)}`);
    for (const name of ['S', 'L']) {
      const flowing = await waitFor(`${name} to keep decoding P before the swap`,
          () => keepsDecoding(pages[name], ids.P, 1_000), 5_000);
      log(`${name} before the swap: ${describe(flowing.last)}`);
    }
    layersUp = true;

    const before = await Promise.all([received(pages.S, ids.P), received(pages.L, ids.P)]);
    const swapStart = Date.now();
    log(`swap: S ${JSON.stringify(kLarge)}, L ${JSON.stringify(kSmall)}`);
    await Promise.all([
      setPreference(pages.S, ids.P, kLarge),
      setPreference(pages.L, ids.P, kSmall),
    ]);
    const swap = await watch('swap', pages, ids,
        { sDone: isHigh, lDone: isLow, timeoutMs: kSwitchTimeoutMs, startedAt: swapStart });
    console.log(`e2e: switch times: S up to >=${kHighMinWidth} wide in ${swap.firstMet.S ?? 'never'}` +
        ` ms, L down to <=${kLowMaxWidth} wide in ${swap.firstMet.L ?? 'never'} ms`);
    assert.ok(isHigh(swap.s), `after the swap S decodes P at >= ${kHighMinWidth} wide within ` +
        `${kSwitchTimeoutMs} ms; got ${describe(swap.s)}`);
    assert.ok(isLow(swap.l), `after the swap L decodes P at <= ${kLowMaxWidth} wide within ` +
        `${kSwitchTimeoutMs} ms; got ${describe(swap.l)}`);

    await sleep(kSettleMs);
    const after = await Promise.all([received(pages.S, ids.P), received(pages.L, ids.P)]);
    for (const [i, name] of [[0, 'S'], [1, 'L']]) {
      const b = before[i].video;
      const a = after[i].video;
      console.log(`e2e: ${name} across the swap: freezeCount ${b.freezeCount} -> ${a.freezeCount}, ` +
          `totalFreezesDuration ${b.totalFreezesDuration.toFixed(3)} -> ` +
          `${a.totalFreezesDuration.toFixed(3)} s, keyFramesDecoded ${b.keyFramesDecoded} -> ` +
          `${a.keyFramesDecoded}, framesDecoded ${b.framesDecoded} -> ${a.framesDecoded}, ` +
          `pliCount ${b.pliCount} -> ${a.pliCount}`);
    }
    for (const [i, name] of [[0, 'S'], [1, 'L']]) {
      assert.ok(after[i].video.framesDecoded > before[i].video.framesDecoded,
          `${name} kept decoding across the swap`);
      assert.equal(freezes(after[i]), freezes(before[i]),
          `${name}'s video did not freeze during the switch (freezeCount)`);
    }
    await harness.screenshot('simulcast');
  }));

test('subscriptionState reports the layer the server forwards', { timeout: 20_000 },
  harness.withLogs(async (t) => {
    if (!layersUp) {
      t.skip('the layers never came up');
      return;
    }
    // After the swap S asks for 1280x720 (top layer, 2) and L for 320x180 (lowest, 0).
    for (const [name, layer] of [['S', 2], ['L', 0]]) {
      const result = await waitFor(`${name}'s subscriptionState to say spatial layer ${layer}`,
          async () => {
            const r = await received(pages[name], ids.P);
            return { ok: Boolean(r.state && r.state.spatialLayer === layer), state: r.state };
          }, 5_000);
      log(`${name} subscriptionState: ${JSON.stringify(result.state)}`);
      assert.ok(result.state.bandwidthEstimateBps > 0, `${name}'s state carries a bandwidth estimate`);
    }
  }));

test('a paused subscription stops the video and resuming restarts it', { timeout: 40_000 },
  harness.withLogs(async (t) => {
    if (!layersUp) {
      t.skip('the layers never came up');
      return;
    }
    const pauseStart = Date.now();
    await setPreference(pages.L, ids.P, { ...kSmall, paused: true });
    // Frames in flight may still arrive; after that the count must stand still.
    const stopped = await waitFor("L's video of P to stop while paused", async () => {
      const r = await keepsDecoding(pages.L, ids.P, 1_000);
      return { ok: !r.ok, framesDecoded: r.framesDecoded, got: describe(r.last) };
    }, 10_000);
    const paused = await waitFor("L's subscriptionState to say paused", async () => {
      const r = await received(pages.L, ids.P);
      return { ok: Boolean(r.state && r.state.spatialLayer === -1), state: r.state };
    }, 5_000);
    log(`L paused after ${Date.now() - pauseStart} ms: ${stopped.got} ${JSON.stringify(paused.state)}`);
    // S is not affected by L's pause.
    await waitFor('S to keep decoding P while L is paused',
        () => keepsDecoding(pages.S, ids.P, 1_000), 5_000);

    const resumeStart = Date.now();
    await setPreference(pages.L, ids.P, { ...kSmall, paused: false });
    const resumed = await waitFor("L's video of P to resume", async () => {
      const r = await keepsDecoding(pages.L, ids.P, 500);
      return { ok: r.ok && isLow(r.last), framesDecoded: r.framesDecoded, got: describe(r.last) };
    }, 10_000);
    console.log(`e2e: pause/resume: L resumed decoding ${Date.now() - resumeStart} ms after ` +
        `paused:false (${resumed.got})`);
  }));
