// Browser end-to-end test of the embedded TURN server: two headless Chromium pages join one
// room with `relay=1` (RTCConfiguration.iceTransportPolicy "relay"), so the only candidates
// they may use are relay candidates from the ICE servers `joined` handed them: the server's own
// STUN/TURN port with REST credentials. Each must decode the other's video and receive its
// audio, both PeerConnections of each page must have selected a relay pair, and the server's
// metrics must show the allocations and relayed packets. Then the same with `relay=tls`: only
// the turns: URL (TURN over TLS, a self-signed certificate made here), and every selected pair
// relayed over TLS. (Loopback peers are allowed in dev mode, which the harness runs; nothing
// leaves 127.0.0.1.)
//
// Chromium checks a turns: server's certificate as it checks a web server's (chain and host
// name; a self-signed one fails the TLS handshake with net_error -202 and yields no relay
// candidate), so the browser is told to accept this test certificate's key and no other
// (--ignore-certificate-errors-spki-list, honoured with a custom --user-data-dir).
//
// Environment: see lib.mjs (SWITCHYARD_BIN is required).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, hook, makeSelfSignedCertificate } from './lib.mjs';

const kMediaTimeoutMs = 40_000;
const kNames = ['A', 'B'];

const tls = makeSelfSignedCertificate();
const harness = new Harness({
  serverArgs: [`--turn_tls_cert_file=${tls.certFile}`, `--turn_tls_key_file=${tls.keyFile}`],
  browserArgs: [`--ignore-certificate-errors-spki-list=${tls.spki}`],
});
const pages = harness.pages;
const log = (line) => harness.log(line);
const withLogs = (body) => harness.withLogs(body);

before(() => harness.start(), { timeout: 40_000 });
after(async () => {
  await harness.stop();
  fs.rmSync(tls.dir, { recursive: true, force: true });
}, { timeout: 30_000 });

// Sums a Prometheus counter or gauge over the label sets that match `labelFilter`.
function metric(text, name, labelFilter = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.trim().split(/\s+/).pop());
  }
  return sum;
}

test('relay-only browsers conference through the embedded TURN server', { timeout: 90_000 },
  withLogs(async () => {
    const room = `turn-${Math.random().toString(36).slice(2, 10)}`;
    const started = Date.now();
    const ids = await harness.openRoom(kNames, room, { relay: '1' }, kMediaTimeoutMs);
    const urls = await hook(pages.A, () => window.switchyard.iceServerUrls());
    log(`A's ICE servers: ${JSON.stringify(urls)}`);
    assert.ok(urls.some((u) => /^turn:127\.0\.0\.1:\d+\?transport=udp$/.test(u)), `turn URL in ${urls}`);
    assert.ok(urls.some((u) => /^stun:127\.0\.0\.1:\d+$/.test(u)), `stun URL in ${urls}`);

    await harness.waitForMutualMedia(kNames, ids, 'through the relay', kMediaTimeoutMs);
    const decodedMs = Date.now() - started;
    for (const name of kNames) {
      const types = await hook(pages[name], () => window.switchyard.candidateTypes());
      assert.deepEqual(types, { publisher: 'relay', subscriber: 'relay' },
          `${name}'s PeerConnections go through TURN`);
    }
    const metrics = (await harness.request('GET', '/metrics')).text;
    const allocations = metric(metrics, 'switchyard_turn_allocations');
    const toPeer = metric(metrics, 'switchyard_turn_relayed_packets_total', 'to_peer');
    const toClient = metric(metrics, 'switchyard_turn_relayed_packets_total', 'to_client');
    assert.ok(allocations >= 4, `two PeerConnections per page hold allocations: ${allocations}`);
    assert.ok(toPeer > 100 && toClient > 100, `relayed ${toPeer} to peers, ${toClient} to clients`);
    // The relays' peer is the SFU itself: that media skips the kernel (in-process queues).
    const toSfu = metric(metrics, 'switchyard_turn_in_process_packets_total', 'to_sfu');
    const fromSfu = metric(metrics, 'switchyard_turn_in_process_packets_total', 'from_sfu');
    const queueDrops = metric(metrics, 'switchyard_turn_drops_total', 'in_process_queue_full');
    assert.ok(toSfu >= toPeer * 0.9 && fromSfu > 100,
        `in process: ${toSfu} of ${toPeer} to the SFU, ${fromSfu} from it`);
    assert.equal(queueDrops, 0);
    console.log(`e2e: relay-only pages decoded each other ${decodedMs} ms after opening; ` +
        `${allocations} TURN allocations, ${toPeer} packets relayed to the SFU (${toSfu} in ` +
        `process), ${toClient} back (${fromSfu} from the SFU in process)`);
  }));

test('browsers limited to the turns: URL conference through TURN over TLS', { timeout: 90_000 },
  withLogs(async () => {
    // The first test's pages would compete with these for the two cores.
    for (const page of Object.values(pages)) if (!page.isClosed()) await page.close();
    const room = `turns-${Math.random().toString(36).slice(2, 10)}`;
    const started = Date.now();
    const ids = await harness.openRoom(kNames, room, { relay: 'tls' }, kMediaTimeoutMs);
    const urls = await hook(pages.A, () => window.switchyard.iceServerUrls());
    const turns = urls.filter((u) => u.startsWith('turns:'));
    assert.equal(turns.length, 1, `one turns: URL in ${urls}`);
    assert.match(turns[0], /^turns:127\.0\.0\.1:\d+\?transport=tcp$/);

    await harness.waitForMutualMedia(kNames, ids, 'through TURN over TLS', kMediaTimeoutMs);
    const decodedMs = Date.now() - started;
    for (const name of kNames) {
      const types = await hook(pages[name], () => window.switchyard.candidateTypes());
      assert.deepEqual(types, { publisher: 'relay', subscriber: 'relay' },
          `${name}'s PeerConnections go through TURN`);
      const protocols = await hook(pages[name], () => window.switchyard.relayProtocols());
      assert.deepEqual(protocols, { publisher: 'tls', subscriber: 'tls' },
          `${name}'s PeerConnections reach TURN over TLS`);
    }
    console.log(`e2e: turns:-only pages decoded each other ${decodedMs} ms after opening, ` +
        `both PeerConnections of each relayed over TLS (${turns[0]})`);
  }));
