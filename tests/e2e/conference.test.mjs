// Browser end-to-end test: the real switchyard binary and three headless Chromium pages in one
// room. Each page publishes Chromium's fake camera and microphone; every page must decode the
// other two's video and receive their audio, and after one page leaves the other two must drop
// its tile and keep decoding each other.
//
// Environment: SWITCHYARD_BIN (required: the server binary), SWITCHYARD_WEB_DIR (default
// <repo>/api/web), CHROMIUM (default /usr/bin/chromium), SWITCHYARD_E2E_ARTIFACTS (optional
// folder for screenshots), SWITCHYARD_E2E_VERBOSE (dump the collected logs even on success).
// Everything binds and talks to 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const kHere = path.dirname(fileURLToPath(import.meta.url));
const kRepo = path.resolve(kHere, '..', '..');
const kWebDir = process.env.SWITCHYARD_WEB_DIR || path.join(kRepo, 'api', 'web');
const kChromium = process.env.CHROMIUM || '/usr/bin/chromium';
const kArtifacts = process.env.SWITCHYARD_E2E_ARTIFACTS || '';

const kServerStartTimeoutMs = 15_000;
const kMediaTimeoutMs = 40_000;
const kLeaveTimeoutMs = 15_000;
const kSampleGapMs = 1_500;
const kNames = ['A', 'B', 'C'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Everything the run produced, dumped when a test fails so the log explains the failure.
const logs = [];
function log(line) {
  logs.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
}
function dumpLogs() {
  console.log('---- e2e log (server output and browser consoles) ----');
  for (const line of logs.slice(-400)) console.log(line);
  console.log('---- end of e2e log ----');
}

let server = null;
let serverExit = null;
let browser = null;
let userDataDir = '';
let baseUrl = '';
const pages = {};  // name -> puppeteer Page

async function startServer() {
  const bin = process.env.SWITCHYARD_BIN;
  assert.ok(bin, 'SWITCHYARD_BIN must name the switchyard binary');
  assert.ok(fs.existsSync(bin), `SWITCHYARD_BIN ${bin} does not exist`);
  const args = [
    '--http_address=127.0.0.1', '--http_port=0',
    '--rtc_address=127.0.0.1', '--rtc_port=0',
    '--announced_ip=127.0.0.1',
    `--web_dir=${kWebDir}`,
  ];
  log(`server: ${bin} ${args.join(' ')}`);
  server = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  serverExit = once(server, 'exit').then(([code, signal]) => {
    log(`server: exited code=${code} signal=${signal}`);
    return { code, signal };
  });
  server.stderr.setEncoding('utf8');
  server.stderr.on('data', (chunk) => {
    for (const line of chunk.split('\n')) if (line) log(`server! ${line}`);
  });
  server.stdout.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
        () => reject(new Error(`server did not print its URL within ${kServerStartTimeoutMs} ms`)),
        kServerStartTimeoutMs);
    server.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        log(`server> ${line}`);
        const match = /switchyard: serving (http:\/\/\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    });
    serverExit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before serving (code=${code} signal=${signal})`));
    });
    server.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGTERM');
  try {
    await withTimeout(serverExit, 5_000, 'server exit after SIGTERM');
  } catch (e) {
    log(`server: ${e.message}, killing`);
    server.kill('SIGKILL');
    await withTimeout(serverExit, 2_000, 'server exit after SIGKILL').catch(() => {});
  }
}

async function openPage(name, room) {
  const page = await browser.newPage();
  await page.setViewport({ width: 960, height: 600 });
  page.on('console', (m) => log(`${name} console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log(`${name} pageerror: ${e.message}`));
  page.on('requestfailed', (r) => log(`${name} requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('close', () => log(`${name} page closed`));
  await page.goto(`${baseUrl}?room=${encodeURIComponent(room)}&name=${name}`,
      { waitUntil: 'load', timeout: 15_000 });
  return page;
}

// Polls `probe` until it returns a truthy value (and not {ok: false}) or `timeoutMs` passes;
// the failure message carries the last value seen so the assertion explains what was missing.
// A probe returning {fatal: reason} fails at once (e.g. the page reported an error).
async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await withTimeout(probe(), 10_000, `probe for ${what}`);
      if (last && last.fatal) throw new Error(`fatal: ${JSON.stringify(last)}`);
      if (last && last.ok !== false) return last;
    } catch (e) {
      if (e.message.startsWith('fatal:')) {
        throw new Error(`gave up waiting for ${what}: ${e.message.slice(7)}`);
      }
      last = `probe threw: ${e.message}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ` +
          JSON.stringify(last));
    }
    await sleep(250);
  }
}

const hook = (page, fn, ...args) => page.evaluate(fn, ...args);
const idsByName = async (page) => {
  const list = await hook(page, () => window.switchyard.participants());
  return Object.fromEntries(list.map((p) => [p.name, p.participantId]));
};

// Takes two stats samples kSampleGapMs apart and checks that, for each remote participant in
// `expected` (name -> id), video frames were decoded and kept being decoded and audio packets
// kept arriving. Returns {ok, detail} for waitFor.
async function mediaFlows(page, expected) {
  const first = await hook(page, () => window.switchyard.stats());
  await sleep(kSampleGapMs);
  const second = await hook(page, () => window.switchyard.stats());
  const detail = {};
  let ok = true;
  for (const [name, id] of Object.entries(expected)) {
    const a = first[id] || {};
    const b = second[id] || {};
    const framesBefore = a.video ? a.video.framesDecoded : 0;
    const framesAfter = b.video ? b.video.framesDecoded : 0;
    const audioBefore = a.audio ? a.audio.packetsReceived : 0;
    const audioAfter = b.audio ? b.audio.packetsReceived : 0;
    const good = framesBefore > 0 && framesAfter > framesBefore && audioAfter > audioBefore;
    ok = ok && good;
    detail[name] = {
      framesDecoded: [framesBefore, framesAfter],
      audioPackets: [audioBefore, audioAfter],
      size: b.video ? `${b.video.frameWidth}x${b.video.frameHeight}` : null,
      freezeCount: b.video ? b.video.freezeCount : null,
    };
  }
  return { ok, detail };
}

async function screenshot(name) {
  if (!kArtifacts) return;
  fs.mkdirSync(kArtifacts, { recursive: true });
  for (const [who, page] of Object.entries(pages)) {
    if (page.isClosed()) continue;
    // Hidden tabs defer starting media elements; let the tile fade-in finish once in front.
    await withTimeout(page.bringToFront().then(() => sleep(500)).then(() =>
        page.screenshot({ path: path.join(kArtifacts, `${name}-${who}.png`) })), 5_000,
        'screenshot').catch((e) => log(`screenshot ${name}-${who} failed: ${e.message}`));
  }
}

// Runs a test body and dumps the collected logs if it fails.
function withLogs(body) {
  return async (t) => {
    try {
      await body(t);
    } catch (e) {
      await screenshot('failure').catch(() => {});
      dumpLogs();
      throw e;
    }
  };
}

before(async () => {
  try {
    baseUrl = await startServer();
    log(`server: serving ${baseUrl}`);
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-'));
    browser = await puppeteer.launch({
      executablePath: kChromium,
      headless: true,
      userDataDir,
      protocolTimeout: 30_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream=fps=30',
        '--allow-loopback-in-peer-connection',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  } catch (e) {
    dumpLogs();
    throw e;
  }
}, { timeout: 40_000 });

after(async () => {
  const started = Date.now();
  try {
    if (browser) await withTimeout(browser.close(), 10_000, 'closing the browser');
  } catch (e) {
    log(`browser close failed: ${e.message}`);
  }
  if (browser && browser.process() && browser.process().exitCode === null) {
    browser.process().kill('SIGKILL');
  }
  log(`browser closed after ${Date.now() - started} ms`);
  await stopServer();
  log(`server stopped after ${Date.now() - started} ms`);
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (process.env.SWITCHYARD_E2E_VERBOSE) dumpLogs();
}, { timeout: 30_000 });

// Set once the first test has everyone conferencing; the leave test needs that.
let conferenceUp = false;

test('three participants see and hear each other', { timeout: 70_000 }, withLogs(async () => {
  const room = `e2e-${Math.random().toString(36).slice(2, 10)}`;
  for (const name of kNames) pages[name] = await openPage(name, room);

  // Everyone knows everyone.
  const ids = {};
  for (const name of kNames) {
    await waitFor(`${name} to join and see the others`, async () => {
      const state = await hook(pages[name], () => window.switchyard.state());
      const byName = await idsByName(pages[name]);
      const others = kNames.filter((n) => n !== name);
      if (state === 'error') return { fatal: 'page is in the error state', state };
      return { ok: state === 'joined' && others.every((n) => byName[n]), state, byName };
    }, kMediaTimeoutMs);
    ids[name] = await hook(pages[name], () => window.switchyard.localParticipantId());
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
