// Test and debugging hooks on window.switchyard (used by tests/e2e).

import { join, leave } from './call.js';
import { dataMessagesSnapshot, sendData } from './data.js';
import { restartPublisherIce, restartSubscriberIce } from './ice_restart.js';
import { session, sessionRecord } from './session.js';
import { collectPublisherBandwidth, collectPublisherStats, collectStats } from './stats.js';
import { clearPreference, ownerOfTrack, setPreference } from './subscriptions.js';
import { setPinned } from './tiles.js';
import { bannerText, getState } from './view.js';

// The local candidate type ('host', 'srflx', 'relay') of `pc`'s selected pair, or ''; with
// `field`, that field of the candidate instead (e.g. 'relayProtocol': how we reach TURN).
async function selectedLocalCandidateType(pc, field = 'candidateType') {
  if (!pc) return '';
  const report = await pc.getStats();
  let pairId = '';
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  const pair = pairId ? report.get(pairId) : null;
  const local = pair ? report.get(pair.localCandidateId) : null;
  return local ? local[field] || '' : '';
}

// The selected pair of `pc` as {local, remote}: each {type, protocol, relayProtocol, tcpType,
// address, port} from getStats, or null before a pair is selected.
async function selectedPair(pc) {
  if (!pc) return null;
  const report = await pc.getStats();
  let pairId = '';
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  const pair = pairId ? report.get(pairId) : null;
  if (!pair) return null;
  const describe = (c) => (c ? {
    type: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol || '',
    tcpType: c.tcpType || '', address: c.address, port: c.port,
  } : null);
  return { local: describe(report.get(pair.localCandidateId)),
    remote: describe(report.get(pair.remoteCandidateId)) };
}

export function installTestHooks() {
  window.switchyard = {
    // How each PeerConnection reaches the server: {publisher, subscriber} local candidate types.
    candidateTypes: async () => ({
      publisher: await selectedLocalCandidateType(session && session.publisherPc),
      subscriber: await selectedLocalCandidateType(session && session.subscriberPc),
    }),
    // For relayed pairs: how each PeerConnection reaches the TURN server ('udp', 'tcp', 'tls').
    relayProtocols: async () => ({
      publisher: await selectedLocalCandidateType(session && session.publisherPc, 'relayProtocol'),
      subscriber: await selectedLocalCandidateType(session && session.subscriberPc, 'relayProtocol'),
    }),
    // Restarts ICE on both PeerConnections now, as a lost path would (ice_restart.js).
    restartIce: async () => {
      await restartPublisherIce(session);
      restartSubscriberIce(session);
    },
    // Each PeerConnection's ICE state and local ufrag (RTCTransportStats), which an ICE
    // restart changes: {publisher: {state, ufrag}, subscriber: ...}.
    iceTransports: async () => {
      const describe = async (pc) => {
        if (!pc) return null;
        let ufrag = '';
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'transport') ufrag = s.iceLocalUsernameFragment || '';
        });
        return { state: pc.iceConnectionState, ufrag };
      };
      return { publisher: await describe(session && session.publisherPc),
        subscriber: await describe(session && session.subscriberPc) };
    },
    // ICE restarts this page started (both PeerConnections).
    iceRestarts: () => (session ? session.iceRestarts || 0 : 0),
    // Both PeerConnections' selected pairs (see selectedPair).
    selectedPairs: async () => ({
      publisher: await selectedPair(session && session.publisherPc),
      subscriber: await selectedPair(session && session.subscriberPc),
    }),
    iceServerUrls: () => (session ? session.iceServers.flatMap((s) => s.urls) : []),
    // The publisher PeerConnection's gathered candidates: [{type, address, port, protocol}].
    localCandidates: async () => {
      const pc = session && session.publisherPc;
      if (!pc) return [];
      const out = [];
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'local-candidate') {
          out.push({ type: s.candidateType, address: s.address, port: s.port, protocol: s.protocol });
        }
      });
      return out;
    },
    state: () => getState(),
    localParticipantId: () => (session ? session.participantId : ''),
    // The identity we joined as (from the token, confirmed by `joined.local`).
    identity: () => (session ? session.identity : sessionRecord.lastIdentity),
    // `joined.local` as updated since (identity, permission, metadata, our tracks).
    localInfo: () => (session && session.local ? JSON.parse(JSON.stringify(session.local)) : null),
    roomInfo: () => (session && session.roomInfo ? { ...session.roomInfo } : null),
    // The server's reason when it ended the last session ('removed', 'room_deleted', ...), or
    // '' (also after leaving by ourselves); cleared by the next join.
    disconnectReason: () => (sessionRecord.lastDisconnect ? sessionRecord.lastDisconnect.reason : ''),
    // 'needs_token' when the server has no /dev/token and no token switch was given, another
    // text when getting a token failed otherwise, else ''.
    tokenProblem: () => sessionRecord.tokenProblem,
    // The latest data messages: [{participantId, topic, payload (base64), text, receivedAt}].
    dataMessages: () => dataMessagesSnapshot(),
    // Sends `text` on `topic` to the given participant ids (or everyone else).
    sendData: (topic, text, destinationParticipantIds = []) =>
      sendData(topic, text, destinationParticipantIds),
    // The banner's text while it is shown, else ''.
    banner: () => bannerText(),
    participants: () => (session ? [...session.participants.values()] : []).map((p) => ({
      participantId: p.id,
      name: p.name,
      identity: p.identity || '',
      metadata: p.metadata || '',
      tracks: [...p.tracks.values()].map((t) => ({ ...t })),
      receiving: p.stream.getTracks().map((t) => t.kind),
      hasTile: p.tile.isConnected,
      videoMuted: p.tile.classList.contains('video-muted'),
      audioMuted: p.tile.classList.contains('audio-muted'),
    })),
    stats: () => collectStats(session),
    publisherStats: () => collectPublisherStats(session),
    publisherBandwidth: () => collectPublisherBandwidth(session),
    // Asks for `participantId`'s video as given ({width, height, maxSpatialLayer,
    // maxTemporalLayer, paused}; sizes in device pixels) and stops the automatic size and
    // visibility updates for it, so a test controls the subscription. Returns the message sent
    // (null while the track id is unknown: it is sent once known).
    setPreference: (participantId, preference = {}) =>
      setPreference(session, participantId, preference),
    // Back to automatic (tile size and visibility) updates.
    clearPreference: (participantId) => clearPreference(session, participantId),
    pin: (participantId) => session && setPinned(session, participantId || ''),
    // Latest subscriptionState per remote participant id (by server track id when the owner
    // is unknown).
    subscriptionStates: () => {
      const result = {};
      if (!session) return result;
      for (const [trackId, state] of session.subscriptionStates) {
        const p = ownerOfTrack(session, trackId);
        result[p ? p.id : `track:${trackId}`] = { ...state };
      }
      return result;
    },
    activeSpeakers: () => (session ? [...session.activeSpeakers] : []),
    // performance.now() based milestones; firstFrameAt per remote participant id.
    timings: () => {
      if (!session) return null;
      const perParticipant = {};
      for (const p of session.participants.values()) {
        perParticipant[p.id] = { name: p.name, seenAt: p.seenAt, firstFrameAt: p.firstFrameAt };
      }
      return {
        joinStartedAt: session.joinStartedAt,
        joinedAt: session.joinedAt,
        firstRemoteFrameAt: session.firstRemoteFrameAt,
        participants: perParticipant,
      };
    },
    connection: () => ({
      ws: session && session.ws ? session.ws.readyState : null,
      publisher: session && session.publisherPc ? session.publisherPc.connectionState : null,
      subscriber: session && session.subscriberPc ? session.subscriberPc.connectionState : null,
    }),
    join,
    leave,
  };
}
