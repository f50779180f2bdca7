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
//   SWITCHYARD_NAT_TOPOLOGY=rebind     the cone NAT; once media flows, the NAT gives the
//                                      client's UDP a new outside address
//                                      (SWITCHYARD_NAT_REBIND runs that): media must flow again
//                                      both ways, the server now sending to the new address;
//                                      then page A restarts ICE on both its connections (what
//                                      a page whose own network changed does) and media goes on;
//   SWITCHYARD_NAT_TOPOLOGY=udp-blocked  the firewall drops all UDP from the inside: with no
//                                      switch at all the pages connect over TCP by themselves
//                                      (ICE-TCP to the server's passive candidate or TURN over
//                                      TCP, whichever pair Chromium nominates first);
//   SWITCHYARD_NAT_TOPOLOGY=udp-blocked-ice-tcp  the same firewall with turn=0 (no STUN/TURN
//                                      servers): ICE-TCP (RFC 6544) it must be;
//   SWITCHYARD_NAT_TOPOLOGY=udp-blocked-relay  the same firewall with relay=1: TURN over TCP.
//   SWITCHYARD_NAT_TOPOLOGY=ipv6       IPv4 for the page, routed IPv6 beside it: the server's
//                                      only reachable media address is IPv6 (an extra
//                                      rtc address), so the pages must connect over IPv6.
// SWITCHYARD_NAT_PUBLIC_IP is the NAT's outside address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { Harness, hook, waitFor } from './lib.mjs';

const kMediaTimeoutMs = 40_000;
const kNames = ['A', 'B'];
const topology = process.env.SWITCHYARD_NAT_TOPOLOGY || 'cone';
const natIp = process.env.SWITCHYARD_NAT_PUBLIC_IP || '';

// A counter summed over workers: lines 'name{worker="0",...} 2' containing `filter`.
function metricSum(text, name, filter = '') {
  return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)$`, 'gm'))]
    .filter((match) => match[1].includes(filter))
    .reduce((sum, match) => sum + Number(match[2]), 0);
}

// ipv6: the server's IPv4 media address is its own loopback, unreachable from the pages, and
// its IPv6 one (SWITCHYARD_NAT_SERVER_IPV6) an extra media address.
const serverIpv6 = process.env.SWITCHYARD_NAT_SERVER_IPV6 || '';
const harness = new Harness({
  serverArgs: topology === 'ipv6'
    ? ['--rtc_address=127.0.0.1', '--announced_ip=127.0.0.1', `--rtc_extra_addresses=${serverIpv6}`]
    : [],
});
const pages = harness.pages;
const log = (line) => harness.log(line);
const withLogs = (body) => harness.withLogs(body);

before(() => harness.start(), { timeout: 40_000 });
after(() => harness.stop(), { timeout: 30_000 });

test(`two pages behind a ${topology} NAT conference through it`, { timeout: 90_000 },
  withLogs(async () => {
    const room = `nat-${topology}-${Math.random().toString(36).slice(2, 8)}`;
    const started = Date.now();
    const relayed = topology === 'symmetric' || topology === 'udp-blocked-relay';
    let query = {};
    if (relayed) query = { relay: '1' };
    if (topology === 'udp-blocked-ice-tcp') query = { turn: '0' };
    const ids = await harness.openRoom(kNames, room, query, kMediaTimeoutMs);
    await harness.waitForMutualMedia(kNames, ids, 'across the NAT', kMediaTimeoutMs);
    const connectMs = Date.now() - started;
    // Direct through the cone NAT: the pair's local side is the NAT's mapping of the page's
    // socket, which Chromium calls srflx (matched with what our STUN service told it) or prflx
    // (when our ICE response arrived first). Over ICE-TCP it is the page's active TCP
    // candidate (host, or prflx as the server saw it through the NAT) paired with our passive
    // one. Through the relay otherwise.
    const selected = [];
    for (const name of kNames) {
      const pairs = await hook(pages[name], () => window.switchyard.selectedPairs());
      log(`${name}'s selected pairs: ${JSON.stringify(pairs)}`);
      for (const pc of ['publisher', 'subscriber']) {
        const { local, remote } = pairs[pc];
        const what = `${name}'s ${pc} selected ${JSON.stringify(pairs[pc])}`;
        if (relayed) {
          assert.equal(local.type, 'relay', what);
          // Behind the symmetric NAT both TURN transports work and Chromium may pick either.
          const protocols = topology === 'udp-blocked-relay' ? ['tcp'] : ['udp', 'tcp'];
          assert.ok(protocols.includes(local.relayProtocol), what);
        } else if (topology === 'udp-blocked') {
          // Over TCP either way: ICE-TCP (local active candidate) or TURN over TCP.
          assert.ok(local.protocol === 'tcp' || local.relayProtocol === 'tcp', what);
        } else if (topology === 'ipv6') {
          assert.equal(remote.address, serverIpv6, what);
        } else if (topology === 'udp-blocked-ice-tcp') {
          assert.equal(local.protocol, 'tcp', what);
          assert.ok(['host', 'prflx'].includes(local.type), what);
          assert.equal(remote.protocol, 'tcp', what);
          assert.equal(remote.tcpType, 'passive', what);
        } else {
          assert.ok(['srflx', 'prflx'].includes(local.type), what);
          assert.equal(local.protocol, 'udp', what);
        }
        selected.push(`${local.type}/${local.relayProtocol || local.protocol}`);
      }
    }
    if (topology === 'rebind') {
      // Mid-call the client's public address changes. Both pages must decode each other again:
      // the server has to notice the new address from the pages' checks and send there.
      const rebindIp = process.env.SWITCHYARD_NAT_REBIND_IP;
      const switches = async () => metricSum(
          (await harness.request('GET', '/metrics')).text, 'switchyard_ice_path_switches_total');
      const before = await switches();
      log(`rebinding the NAT to ${rebindIp}`);
      execSync(process.env.SWITCHYARD_NAT_REBIND, { stdio: 'inherit', shell: '/bin/bash' });
      const rebound = Date.now();
      // Each page's two PeerConnections: four transports move to the new address.
      await waitFor('the server to move all four transports to the new address', async () => {
        const now = await switches();
        return { ok: now - before >= 4, switches: now - before };
      }, kMediaTimeoutMs, 100);
      const switchedMs = Date.now() - rebound;
      // Frames decoded now come over the new mapping only: the old one is gone.
      await harness.waitForMutualMedia(kNames, ids, 'after the rebinding', kMediaTimeoutMs);
      console.log(`e2e: rebind: the server sent to the new address ${switchedMs} ms after the ` +
          `NAT moved the pages to ${rebindIp}; both decoding again ${Date.now() - rebound} ms ` +
          `after (including two 1.5 s measurement windows)`);

      // What a page does when its own network changes: an ICE restart (RFC 8445 §9) on both
      // PeerConnections, new credentials on both sides, DTLS and media carrying on.
      const restarts = async (stage) => metricSum(
          (await harness.request('GET', '/metrics')).text, 'switchyard_ice_restarts_total',
          `stage="${stage}"`);
      const startedBefore = await restarts('started');
      const completedBefore = await restarts('completed');
      const ufragsBefore = await hook(pages.A, () => window.switchyard.iceTransports());
      const restartAt = Date.now();
      await hook(pages.A, () => window.switchyard.restartIce());
      // Done when the server has had a valid check under the new credentials on both of A's
      // transports (the old ufrag no longer routes), and A's transports show new ufrags.
      await waitFor('A\'s PeerConnections to pass checks under new ICE credentials', async () => {
        const completed = await restarts('completed') - completedBefore;
        const now = await hook(pages.A, () => window.switchyard.iceTransports());
        const renewed = ['publisher', 'subscriber'].every((pc) =>
          now[pc].ufrag && now[pc].ufrag !== ufragsBefore[pc].ufrag &&
          ['connected', 'completed'].includes(now[pc].state));
        return { ok: completed >= 2 && renewed, completed, now };
      }, kMediaTimeoutMs, 100);
      const restartedMs = Date.now() - restartAt;
      assert.equal(await restarts('started') - startedBefore, 2,
          'the server restarted both transports');
      await harness.waitForMutualMedia(kNames, ids, 'after A\'s ICE restart', kMediaTimeoutMs);
      console.log(`e2e: ICE restart: A's two PeerConnections connected under new credentials ` +
          `${restartedMs} ms after restartIce; media flowing both ways`);
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
