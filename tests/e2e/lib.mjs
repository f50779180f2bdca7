// Shared helpers of the browser end-to-end tests: starting the switchyard binary (in dev mode,
// so the demo page gets join tokens from GET /dev/token) and one headless Chromium, opening
// demo pages, calling the room API with an admin token signed here, bounded polling and log
// collection.
//
// Environment: SWITCHYARD_BIN (required: the server binary), SWITCHYARD_WEB_DIR (default
// <repo>/api/web), CHROMIUM (default /usr/bin/chromium), SWITCHYARD_E2E_ARTIFACTS (optional
// folder for screenshots), SWITCHYARD_E2E_VERBOSE (dump the collected logs even on success),
// SWITCHYARD_E2E_PAGE_QUERY (URL switches added to every page, e.g. "simulcast=0&codec=h264").
// Everything binds and talks to 127.0.0.1 only, unless the NAT tests (nat_test.sh) set
// SWITCHYARD_SERVER_NETNS (run the server in that network namespace) and
// SWITCHYARD_SERVER_ADDRESS (its address there): those namespaces are the test's own.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
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
export const kArtifacts = process.env.SWITCHYARD_E2E_ARTIFACTS || '';

const kServerStartTimeoutMs = 15_000;
const kHttpTimeoutMs = 10_000;
// The key the server adds in dev mode when none is configured (api/server_config.cc).
export const kDevApiKey = 'devkey';
export const kDevApiSecret = 'secret';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Polls `probe` until it returns a truthy value (and not {ok: false}) or `timeoutMs` passes;
// the failure message carries the last value seen so the assertion explains what was missing.
// A probe returning {fatal: reason} fails at once (e.g. the page reported an error).
export async function waitFor(what, probe, timeoutMs, intervalMs = 250) {
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
    await sleep(intervalMs);
  }
}

// An HS256 JWT over `claims` (RFC 7519), as `switchyard token create` signs them.
export function signToken(claims, secret = kDevApiSecret) {
  const encode = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = crypto.createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

// A room API token with every admin grant (optionally only for `room`), valid for 10 minutes.
export function adminToken(room = '') {
  const now = Math.floor(Date.now() / 1000);
  const video = { roomAdmin: true, roomCreate: true, roomList: true };
  if (room) video.room = room;
  return signToken({ iss: kDevApiKey, nbf: now - 5, exp: now + 600, video });
}

// Runs `fn` in the page (with bounded time: a wedged renderer must not hang the test).
export const hook = (page, fn, ...args) =>
  withTimeout(page.evaluate(fn, ...args), 15_000, 'page.evaluate');

export const idsByName = async (page) => {
  const list = await hook(page, () => window.switchyard.participants());
  return Object.fromEntries(list.map((p) => [p.name, p.participantId]));
};

// Waits until `name`'s page has joined and knows every participant in `others` by name;
// returns {name: participantId} for `others` plus the page's own id under `name`.
export async function waitForRoster(page, name, others, timeoutMs) {
  await waitFor(`${name} to join and see ${others.join(', ') || 'nobody'}`, async () => {
    const state = await hook(page, () => window.switchyard.state());
    const byName = await idsByName(page);
    if (state === 'error' || state === 'disconnected') {
      const why = await hook(page, () => ({
        banner: window.switchyard.banner(),
        disconnectReason: window.switchyard.disconnectReason(),
      }));
      return { fatal: `page is in the ${state} state`, state, ...why };
    }
    return { ok: state === 'joined' && others.every((n) => byName[n]), state, byName };
  }, timeoutMs);
  const ids = await idsByName(page);
  ids[name] = await hook(page, () => window.switchyard.localParticipantId());
  return ids;
}

// Takes two stats samples (window.switchyard.stats()) `gapMs` apart and checks that, for each
// remote participant in `expected` (name -> id), video frames were decoded and kept being
// decoded and audio packets kept arriving. Returns {ok, detail} for waitFor.
export async function mediaFlows(page, expected, gapMs = 1_500) {
  const first = await hook(page, () => window.switchyard.stats());
  await sleep(gapMs);
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

// A self-signed certificate for 127.0.0.1 made with the openssl tool in a fresh temporary
// folder: {dir, certFile, keyFile, spki}, spki being the base64 SHA-256 of its public key as
// Chromium's --ignore-certificate-errors-spki-list takes it.
export function makeSelfSignedCertificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const publicKey = new crypto.X509Certificate(fs.readFileSync(certFile)).publicKey;
  const spki = crypto.createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return { dir, certFile, keyFile, spki };
}

// One server process and one browser for a test file, with the logs of both. `serverArgs` and
// `browserArgs` are added to the server's and Chromium's command lines.
export class Harness {
  constructor({ serverArgs = [], browserArgs = [] } = {}) {
    this.serverArgs = serverArgs;
    this.browserArgs = browserArgs;
    this.logs = [];
    this.server = null;
    this.serverExit = null;
    this.browser = null;
    this.userDataDir = '';
    this.baseUrl = '';
    this.pages = {};  // name -> puppeteer Page
  }

  log(line) {
    this.logs.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  }

  dumpLogs(limit = 400) {
    console.log('---- e2e log (server output and browser consoles) ----');
    for (const line of this.logs.slice(-limit)) console.log(line);
    console.log('---- end of e2e log ----');
  }

  async start() {
    try {
      this.baseUrl = await this.startServer();
      this.log(`server: serving ${this.baseUrl}`);
      await this.startBrowser();
    } catch (e) {
      this.dumpLogs();
      throw e;
    }
  }

  async startServer() {
    const bin = process.env.SWITCHYARD_BIN;
    assert.ok(bin, 'SWITCHYARD_BIN must name the switchyard binary');
    assert.ok(fs.existsSync(bin), `SWITCHYARD_BIN ${bin} does not exist`);
    // --dev: the demo page fetches its join tokens from /dev/token, and the room API accepts
    // tokens signed with devkey/secret (adminToken).
    const address = process.env.SWITCHYARD_SERVER_ADDRESS || '127.0.0.1';
    const netns = process.env.SWITCHYARD_SERVER_NETNS || '';
    const args = [
      '--dev',
      `--http_address=${address}`, '--http_port=0',
      `--rtc_address=${address}`, '--rtc_port=0',
      `--announced_ip=${address}`,
      // The embedded STUN/TURN server on ephemeral ports (tests run in parallel); TURN over TLS
      // only serves when a test gives it a certificate.
      '--turn_port=0', '--turn_tls_port=0',
      `--web_dir=${kWebDir}`,
      ...this.serverArgs,
    ];
    this.log(`server: ${netns ? `(netns ${netns}) ` : ''}${bin} ${args.join(' ')}`);
    const server = netns
      ? spawn('ip', ['netns', 'exec', netns, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = server;
    this.serverExit = once(server, 'exit').then(([code, signal]) => {
      this.log(`server: exited code=${code} signal=${signal}`);
      return { code, signal };
    });
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      for (const line of chunk.split('\n')) if (line) this.log(`server! ${line}`);
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
          this.log(`server> ${line}`);
          const match = /switchyard: serving (http:\/\/\S+)/.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        }
      });
      this.serverExit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited before serving (code=${code} signal=${signal})`));
      });
      server.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  async startBrowser() {
    this.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-'));
    this.browser = await puppeteer.launch({
      executablePath: kChromium,
      headless: true,
      userDataDir: this.userDataDir,
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
        // The camera needs a secure context: loopback is one, the NAT tests' server address
        // is not.
        ...(new URL(this.baseUrl).hostname === '127.0.0.1'
          ? [] : [`--unsafely-treat-insecure-origin-as-secure=${new URL(this.baseUrl).origin}`]),
        ...this.browserArgs,
      ],
    });
  }

  // A new window (so that it stays visible: the demo page pauses the video of tiles nobody can
  // see, and a background tab counts as hidden) whose console goes to the log as `name`.
  async newPage(name, viewport = { width: 960, height: 600 }) {
    const page = await this.browser.newPage({ type: 'window' });
    this.pages[name] = page;
    await page.setViewport(viewport);
    page.on('console', (m) => {
      if (m.type() !== 'debug' || process.env.SWITCHYARD_E2E_VERBOSE) {
        this.log(`${name} console.${m.type()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => this.log(`${name} pageerror: ${e.message}`));
    page.on('requestfailed',
        (r) => this.log(`${name} requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('close', () => this.log(`${name} page closed`));
    return page;
  }

  // Opens the demo page as `name` in its own window. `query` adds URL switches (e.g.
  // {publish: '0'}, {identity: 'a'}).
  async openPage(name, room, query = {}, viewport = { width: 960, height: 600 }) {
    const page = await this.newPage(name, viewport);
    const search = new URLSearchParams({ room, name, ...query });
    for (const [key, value] of new URLSearchParams(process.env.SWITCHYARD_E2E_PAGE_QUERY || '')) {
      search.set(key, value);
    }
    await page.goto(`${this.baseUrl}?${search}`, { waitUntil: 'load', timeout: 15_000 });
    return page;
  }

  // Opens the demo page as each of `names` in `room` (with `query`), then waits until every
  // page has joined and sees all the others. Returns each name's participant id.
  async openRoom(names, room, query, timeoutMs) {
    for (const name of names) await this.openPage(name, room, query);
    const ids = {};
    for (const name of names) {
      const seen = await waitForRoster(this.pages[name], name, names.filter((n) => n !== name),
          timeoutMs);
      ids[name] = seen[name];
    }
    return ids;
  }

  // Waits until each of `names` decodes video and receives audio from every other one (ids:
  // name -> participant id), `how` describing the path for the messages; logs what each got.
  async waitForMutualMedia(names, ids, how, timeoutMs) {
    for (const name of names) {
      const expected = Object.fromEntries(names.filter((n) => n !== name).map((n) => [n, ids[n]]));
      const result = await waitFor(`${name} to decode the others ${how}`,
          () => mediaFlows(this.pages[name], expected), timeoutMs);
      this.log(`${name} receives ${how}: ${JSON.stringify(result.detail)}`);
    }
  }

  // Opens a page of the server's origin without the demo app (a plain text response), for
  // tests that drive RTCPeerConnection and fetch() themselves.
  async openBlankPage(name) {
    const page = await this.newPage(name);
    await page.goto(new URL('/healthz', this.baseUrl).toString(),
        { waitUntil: 'load', timeout: 15_000 });
    return page;
  }

  // One HTTP request to the server: {status, headers, text, json (null unless JSON)}.
  async request(method, urlPath, { body, headers = {}, token } = {}) {
    const init = { method, headers: { ...headers } };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      if (typeof body === 'string') {
        init.body = body;
      } else {
        init.body = JSON.stringify(body);
        init.headers['Content-Type'] = init.headers['Content-Type'] || 'application/json';
      }
    }
    init.signal = AbortSignal.timeout(kHttpTimeoutMs);
    const response = await fetch(new URL(urlPath, this.baseUrl), init);
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) { /* not JSON */ }
    this.log(`http: ${method} ${urlPath} -> ${response.status} ${text.slice(0, 300)}`);
    return { status: response.status, headers: response.headers, text, json };
  }

  // A room API call with an admin token; asserts a 2xx status and returns the JSON body.
  async api(method, urlPath, body) {
    const r = await this.request(method, urlPath, { body, token: adminToken() });
    assert.ok(r.status >= 200 && r.status < 300,
        `${method} ${urlPath} answered ${r.status}: ${r.text}`);
    return r.json || {};
  }

  // A dev-mode join token: {token, room, identity}.
  async devToken(room, identity = '', name = '') {
    const query = new URLSearchParams({ room });
    if (identity) query.set('identity', identity);
    if (name) query.set('name', name);
    const r = await this.request('GET', `/dev/token?${query}`);
    assert.equal(r.status, 200, `GET /dev/token answered ${r.status}: ${r.text}`);
    assert.ok(r.json && r.json.token, `GET /dev/token gave no token: ${r.text}`);
    return r.json;
  }

  async screenshot(name) {
    if (!kArtifacts) return;
    fs.mkdirSync(kArtifacts, { recursive: true });
    for (const [who, page] of Object.entries(this.pages)) {
      if (page.isClosed()) continue;
      await withTimeout(page.screenshot({ path: path.join(kArtifacts, `${name}-${who}.png`) }),
          5_000, 'screenshot').catch((e) => this.log(`screenshot ${name}-${who} failed: ${e.message}`));
    }
  }

  // Wraps a test body so that a failure dumps the collected logs (and screenshots).
  withLogs(body) {
    return async (t) => {
      try {
        await body(t);
      } catch (e) {
        await this.screenshot('failure').catch(() => {});
        this.dumpLogs();
        throw e;
      }
    };
  }

  async stopServer() {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGTERM');
    try {
      await withTimeout(this.serverExit, 5_000, 'server exit after SIGTERM');
    } catch (e) {
      this.log(`server: ${e.message}, killing`);
      server.kill('SIGKILL');
      await withTimeout(this.serverExit, 2_000, 'server exit after SIGKILL').catch(() => {});
    }
  }

  async stop() {
    const started = Date.now();
    const browser = this.browser;
    try {
      if (browser) await withTimeout(browser.close(), 10_000, 'closing the browser');
    } catch (e) {
      this.log(`browser close failed: ${e.message}`);
    }
    if (browser && browser.process() && browser.process().exitCode === null) {
      browser.process().kill('SIGKILL');
    }
    this.log(`browser closed after ${Date.now() - started} ms`);
    await this.stopServer();
    this.log(`server stopped after ${Date.now() - started} ms`);
    if (this.userDataDir) fs.rmSync(this.userDataDir, { recursive: true, force: true });
    if (process.env.SWITCHYARD_E2E_VERBOSE) this.dumpLogs(100_000);
  }
}
