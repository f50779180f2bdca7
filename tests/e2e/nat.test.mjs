// Browser end-to-end test across a NAT, run by nat_test.sh inside the client network namespace
// it builds (this process and Chromium live behind the NAT; the server runs in the "public"
// namespace through SWITCHYARD_SERVER_NETNS). Two demo pages join one room and must decode each
// other's video and receive its audio through the NAT:
//   SWITCHYARD_NAT_TOPOLOGY=cone       endpoint-independent mapping (masquerade, persistent):
//                                      the pages connect directly on a server-reflexive path:
//                                      our STUN service shows them their public address (a
//                                      srflx candidate at the NAT's address) and that is the
//                                      selected pair's local side;
//   SWITCHYARD_NAT_TOPOLOGY=symmetric  a new random port per destination (masquerade random):
//                                      the pages use only relay candidates (relay=1), i.e.
//                                      they reach the SFU through the embedded TURN server;
//   SWITCHYARD_NAT_TOPOLOGY=udp-blocked  the firewall drops all UDP from the inside: with no
//                                      switch at all the pages end up on TURN over TCP.
// SWITCHYARD_NAT_PUBLIC_IP is the NAT's outside address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hook, mediaFlows, waitFor, waitForRoster } from './lib.mjs';

const kMediaTimeoutMs = 40_000;
const kNames = ['A', 'B'];
const topology = process.env.SWITCHYARD_NAT_TOPOLOGY || 'cone';
const natIp = process.env.SWITCHYARD_NAT_PUBLIC_IP || '';

const harness = new Harness();
const pages = harness.pages;
const log = (line) => harness.log(line);
const withLogs = (body) => harness.withLogs(body);

before(() => harness.start(), { timeout: 40_000 });
after(() => harness.stop(), { timeout: 30_000 });

test(`two pages behind a ${topology} NAT conference through it`, { timeout: 90_000 },
  withLogs(async () => {
    const room = `nat-${topology}-${Math.random().toString(36).slice(2, 8)}`;
    const started = Date.now();
    const query = topology === 'symmetric' ? { relay: '1' } : {};
    for (const name of kNames) await harness.openPage(name, room, query);
    const ids = {};
    for (const name of kNames) {
      const seen = await waitForRoster(pages[name], name, kNames.filter((n) => n !== name),
          kMediaTimeoutMs);
      ids[name] = seen[name];
    }
    for (const name of kNames) {
      const other = kNames.find((n) => n !== name);
      const result = await waitFor(`${name} to decode ${other} across the NAT`,
          () => mediaFlows(pages[name], { [other]: ids[other] }), kMediaTimeoutMs);
      log(`${name} receives: ${JSON.stringify(result.detail)}`);
    }
    const connectMs = Date.now() - started;
    // Direct through the cone NAT: the pair's local side is the NAT's mapping of the page's
    // socket, which Chromium calls srflx (matched with what our STUN service told it) or prflx
    // (when our ICE response arrived first); through the relay otherwise.
    const expected = topology === 'cone' ? ['srflx', 'prflx'] : ['relay'];
    const selected = [];
    for (const name of kNames) {
      const types = await hook(pages[name], () => window.switchyard.candidateTypes());
      for (const pc of ['publisher', 'subscriber']) {
        assert.ok(expected.includes(types[pc]), `${name}'s ${pc} selected ${types[pc]}`);
        selected.push(types[pc]);
      }
    }
    if (topology === 'udp-blocked') {
      for (const name of kNames) {
        const protocols = await hook(pages[name], () => window.switchyard.relayProtocols());
        assert.deepEqual(protocols, { publisher: 'tcp', subscriber: 'tcp' },
            `${name} reaches TURN over TCP`);
      }
    }
    if (topology === 'cone') {
      const candidates = await hook(pages.A, () => window.switchyard.localCandidates());
      log(`A's candidates: ${JSON.stringify(candidates)}`);
      assert.ok(candidates.some((c) => c.type === 'srflx' && c.address === natIp),
          `a server-reflexive candidate at the NAT's address ${natIp} from our STUN service`);
    }
    console.log(`e2e: ${topology} NAT: both pages decoding ${connectMs} ms after opening ` +
        `(selected local candidates: ${selected.join(', ')})`);
  }));
