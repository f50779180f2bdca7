// Browser end-to-end test: the real switchyard binary and three headless Chromium pages in one
// room. Each page publishes Chromium's fake camera and microphone; every page must decode the
// other two's video and receive their audio, and after one page leaves the other two must drop
// its tile and keep decoding each other.
//
// Environment: see lib.mjs (SWITCHYARD_BIN is required). Everything talks to 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hook, idsByName, mediaFlows, waitFor, waitForRoster, withTimeout } from './lib.mjs';

const kMediaTimeoutMs = 40_000;
const kLeaveTimeoutMs = 15_000;
const kNames = ['A', 'B', 'C'];

const harness = new Harness();
const pages = harness.pages;
const log = (line) => harness.log(line);
const screenshot = (name) => harness.screenshot(name);
const withLogs = (body) => harness.withLogs(body);

before(() => harness.start(), { timeout: 40_000 });
after(() => harness.stop(), { timeout: 30_000 });

// Set once the first test has everyone conferencing; the leave test needs that.
let conferenceUp = false;

test('three participants see and hear each other', { timeout: 70_000 }, withLogs(async () => {
  const room = `e2e-${Math.random().toString(36).slice(2, 10)}`;
  for (const name of kNames) await harness.openPage(name, room);

  // Everyone knows everyone.
  const ids = {};
  for (const name of kNames) {
    const seen = await waitForRoster(pages[name], name, kNames.filter((n) => n !== name),
        kMediaTimeoutMs);
    ids[name] = seen[name];
    assert.ok(ids[name], `${name} has a participant id`);
  }
  assert.equal(new Set(Object.values(ids)).size, 3, 'participant ids are distinct');
  for (const name of kNames) {
    const byName = await idsByName(pages[name]);
    for (const other of kNames.filter((n) => n !== name)) {
      assert.equal(byName[other], ids[other], `${name} knows ${other} by ${other}'s own id`);
    }
  }

  // Media flows both ways between every pair.
  for (const name of kNames) {
    const expected = Object.fromEntries(kNames.filter((n) => n !== name).map((n) => [n, ids[n]]));
    const result = await waitFor(`${name} to decode video and receive audio from the others`,
        () => mediaFlows(pages[name], expected), kMediaTimeoutMs);
    log(`${name} receives: ${JSON.stringify(result.detail)}`);
  }

  for (const name of kNames) {
    const t = await hook(pages[name], () => window.switchyard.timings());
    const firstFrame = t.firstRemoteFrameAt - t.joinStartedAt;
    const perSender = Object.values(t.participants)
        .filter((p) => p.firstFrameAt != null)
        .map((p) => `${p.name} ${Math.round(p.firstFrameAt - p.seenAt)} ms after it appeared`)
        .join(', ');
    console.log(`e2e: ${name} first frame after ${Math.round(firstFrame)} ms ` +
        `(joined after ${Math.round(t.joinedAt - t.joinStartedAt)} ms; ${perSender})`);
  }
  await screenshot('conference');
  conferenceUp = true;
}));

test('a participant leaves; the others drop its tile and keep decoding', { timeout: 40_000 },
  withLogs(async (t) => {
    if (!conferenceUp) {
      t.skip('the conference never came up');
      return;
    }
    const ids = {};
    for (const name of kNames) {
      ids[name] = await hook(pages[name], () => window.switchyard.localParticipantId());
    }

    await withTimeout(pages.C.click('#leave-button'), 5_000, "clicking C's leave button");
    await waitFor('C to be back at the join form', async () => {
      const state = await hook(pages.C, () => window.switchyard.state());
      const formShown = await hook(pages.C, () => !document.getElementById('join-view').hidden);
      return { ok: state === 'idle' && formShown, state, formShown };
    }, kLeaveTimeoutMs);

    for (const name of ['A', 'B']) {
      await waitFor(`${name} to drop C`, async () => {
        const list = await hook(pages[name], () => window.switchyard.participants());
        const tileGone = await hook(pages[name],
            (id) => !document.querySelector(`[data-participant-id="${CSS.escape(id)}"]`), ids.C);
        const hasC = list.some((p) => p.participantId === ids.C);
        return { ok: !hasC && tileGone, participants: list.map((p) => p.name), tileGone };
      }, kLeaveTimeoutMs);
    }

    for (const [name, other] of [['A', 'B'], ['B', 'A']]) {
      const result = await waitFor(`${name} to keep decoding ${other} after C left`,
          () => mediaFlows(pages[name], { [other]: ids[other] }), kLeaveTimeoutMs);
      log(`${name} receives after C left: ${JSON.stringify(result.detail)}`);
      const byName = await idsByName(pages[name]);
      assert.deepEqual(Object.keys(byName), [other], `${name} sees only ${other}`);
    }
    await screenshot('after-leave');
  }));
