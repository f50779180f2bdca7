// WebRTC statistics: what the subscriber receives per remote participant, what the publisher
// sends per simulcast layer, and the poll that feeds the first-frame timings and the badges.

import { isStatsShown, renderBadge, renderLocalBadge } from './badges.js';
import { markFirstFrame } from './participants.js';
import { kSimulcastEncodings } from './publisher.js';
import { session } from './session.js';

// Per remote participant id: {video: {framesDecoded, frameWidth, frameHeight, freezeCount,
// totalFreezesDuration, keyFramesDecoded, ...}, audio: {packetsReceived}}. Only live
// receivers are counted; a receiver left over from a departed participant has no owner and
// is skipped.
export async function collectStats(current) {
  const result = {};
  if (!current || !current.subscriberPc) return result;
  const report = await current.subscriberPc.getStats();
  const codecs = codecNames(report);
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    const owner = (s.trackIdentifier && current.trackOwner.get(s.trackIdentifier)) ||
        (s.mid != null && current.midOwner.get(s.mid));
    if (!owner || !current.participants.has(owner)) return;
    const entry = result[owner] || (result[owner] = {});
    const kind = s.kind || s.mediaType;
    if (kind === 'video') {
      const prev = entry.video;
      if (prev && prev.framesDecoded >= (s.framesDecoded || 0)) return;
      entry.video = {
        framesDecoded: s.framesDecoded || 0,
        frameWidth: s.frameWidth || 0,
        frameHeight: s.frameHeight || 0,
        framesPerSecond: s.framesPerSecond || 0,
        freezeCount: s.freezeCount || 0,
        totalFreezesDuration: s.totalFreezesDuration || 0,
        keyFramesDecoded: s.keyFramesDecoded != null ? s.keyFramesDecoded : null,
        framesDropped: s.framesDropped || 0,
        pliCount: s.pliCount || 0,
        firCount: s.firCount || 0,
        nackCount: s.nackCount || 0,
        bytesReceived: s.bytesReceived || 0,
        packetsReceived: s.packetsReceived || 0,
        packetsLost: s.packetsLost || 0,
        codec: codecs.get(s.codecId) || '',
      };
    } else if (kind === 'audio') {
      const prev = entry.audio;
      if (prev && prev.packetsReceived >= (s.packetsReceived || 0)) return;
      entry.audio = {
        packetsReceived: s.packetsReceived || 0,
        packetsLost: s.packetsLost || 0,
      };
    }
  });
  return result;
}

function codecNames(report) {
  const names = new Map();
  report.forEach((s) => {
    if (s.type === 'codec') names.set(s.id, (s.mimeType || '').replace(/^video\//, ''));
  });
  return names;
}

// The local publisher's video encodings, lowest first: [{rid, frameWidth, frameHeight,
// bytesSent, qualityLimitationReason, ...}] (one entry without rid when not simulcasting).
export async function collectPublisherStats(current) {
  if (!current || !current.publisherPc) return [];
  const report = await current.publisherPc.getStats();
  const codecs = codecNames(report);
  const layers = [];
  report.forEach((s) => {
    if (s.type !== 'outbound-rtp' || (s.kind || s.mediaType) !== 'video') return;
    layers.push({
      rid: s.rid || '',
      ssrc: s.ssrc,
      active: s.active !== false,
      frameWidth: s.frameWidth || 0,
      frameHeight: s.frameHeight || 0,
      framesPerSecond: s.framesPerSecond || 0,
      framesEncoded: s.framesEncoded || 0,
      keyFramesEncoded: s.keyFramesEncoded || 0,
      bytesSent: s.bytesSent || 0,
      targetBitrate: s.targetBitrate || 0,
      qualityLimitationReason: s.qualityLimitationReason || 'none',
      scalabilityMode: s.scalabilityMode || '',
      encoderImplementation: s.encoderImplementation || '',
      pliCount: s.pliCount || 0,
      firCount: s.firCount || 0,
      nackCount: s.nackCount || 0,
      codec: codecs.get(s.codecId) || '',
    });
  });
  const order = (l) => (l.rid ? kSimulcastEncodings.findIndex((e) => e.rid === l.rid) : -1);
  layers.sort((a, b) => order(a) - order(b));
  current.publisherStats = layers;
  return layers;
}

// The publisher's send-side bandwidth estimate, from the selected candidate pair.
export async function collectPublisherBandwidth(current) {
  if (!current || !current.publisherPc) return null;
  const report = await current.publisherPc.getStats();
  let result = null;
  report.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      result = {
        availableOutgoingBitrate: s.availableOutgoingBitrate || 0,
        currentRoundTripTime: s.currentRoundTripTime || 0,
        bytesSent: s.bytesSent || 0,
      };
    }
  });
  return result;
}

// Every 250 ms while `current` is the session: records first frames the page did not see
// presented and refreshes the badges when they are shown.
let statsTick = 0;
export function startStatsPoll(current) {
  current.statsTimer = setInterval(async () => {
    if (session !== current) return;
    const stats = await collectStats(current);
    if (session !== current) return;
    for (const [id, entry] of Object.entries(stats)) {
      const p = current.participants.get(id);
      if (!p) continue;
      p.decoded = entry.video || null;
      if (entry.video && entry.video.framesDecoded > 0) markFirstFrame(current, p);
    }
    if (!isStatsShown()) return;
    for (const p of current.participants.values()) renderBadge(current, p);
    // The publisher's layers change slowly; once a second is plenty.
    if (statsTick++ % 4 === 0) {
      await collectPublisherStats(current);
      if (session === current) renderLocalBadge(current);
    }
  }, 250);
}
