// Layer selection: for every remote video tile the page tells the server how large the tile is
// (device pixels), whether it is visible and whether it is pinned (updateSubscription), and
// the server picks the simulcast layer to forward; subscriptionState reports its choice.

import { renderBadge, formatBps } from './badges.js';
import { isVideoKind } from './participants.js';
import { session } from './session.js';
import { send } from './signaling.js';

// Tile size changes settle (window drags, layout transitions) before the server hears of them.
const kResizeDebounceMs = 300;

// The server's id for a participant's video track (TrackInfo), else the receiver's track id,
// which Chromium takes from the msid.
export function videoTrackIdOf(p) {
  for (const t of p.tracks.values()) {
    if (isVideoKind(t.kind)) return t.trackId;
  }
  const track = p.stream.getVideoTracks()[0];
  return track ? track.id : '';
}

function participantOfElement(element) {
  const tile = element.closest('.tile');
  return session && tile ? session.participants.get(tile.dataset.participantId) : null;
}

// One observer of each kind for all tiles. Sizes are in device pixels, as the server compares
// them with the layers' resolutions.
export const tileObservers = {
  resize: new ResizeObserver((entries) => {
    for (const entry of entries) {
      const p = participantOfElement(entry.target);
      if (!p) continue;
      const box = entry.devicePixelContentBoxSize && entry.devicePixelContentBoxSize[0];
      const width = box ? box.inlineSize : Math.round(entry.contentRect.width * devicePixelRatio);
      const height = box ? box.blockSize : Math.round(entry.contentRect.height * devicePixelRatio);
      if (width === p.sub.width && height === p.sub.height) continue;
      p.sub.width = width;
      p.sub.height = height;
      scheduleSubscription(session, p, kResizeDebounceMs);
    }
  }),
  intersection: new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const p = participantOfElement(entry.target);
      if (!p || p.sub.visible === entry.isIntersecting) continue;
      p.sub.visible = entry.isIntersecting;
      scheduleSubscription(session, p, 0);
    }
  }),
};

export function scheduleSubscription(current, p, delayMs) {
  if (!current || session !== current) return;
  clearTimeout(p.sub.timer);
  p.sub.timer = setTimeout(() => {
    p.sub.timer = null;
    sendSubscription(current, p);
  }, delayMs);
}

// The updateSubscription body for `p` now, or null when there is nothing to ask for yet (no
// video track, or a visible tile that has not been measured).
function subscriptionBody(current, p) {
  const trackId = videoTrackIdOf(p);
  if (!trackId) return null;
  const pinned = current.pinnedId === p.id;
  const manual = p.sub.manual;
  if (manual) {
    const body = {
      trackId,
      width: manual.width,
      height: manual.height,
      paused: manual.paused,
      pinned,
    };
    if (manual.maxSpatialLayer != null) body.maxSpatialLayer = manual.maxSpatialLayer;
    if (manual.maxTemporalLayer != null) body.maxTemporalLayer = manual.maxTemporalLayer;
    return body;
  }
  if (p.stream.getVideoTracks().length === 0) return null;
  // A hidden tab or a tile scrolled out of view needs no video at all.
  const paused = document.visibilityState === 'hidden' || !p.sub.visible;
  if (!paused && (p.sub.width === 0 || p.sub.height === 0)) return null;
  return { trackId, width: p.sub.width, height: p.sub.height, paused, pinned };
}

// Sends `p`'s subscription if it changed since the last one sent (or always, with `force`).
export function sendSubscription(current, p, force = false) {
  if (session !== current || (current.subscriptionUnsupported && !force)) return null;
  const body = subscriptionBody(current, p);
  if (!body) return null;
  const text = JSON.stringify(body);
  if (!force && text === p.sub.lastSent) return null;
  p.sub.lastSent = text;
  send({ updateSubscription: body });
  console.info(`switchyard: updateSubscription ${text}`);
  return body;
}

// Asks for `participantId`'s video as given ({width, height, maxSpatialLayer,
// maxTemporalLayer, paused}; sizes in device pixels) and stops the automatic size and
// visibility updates for it, so a test controls the subscription. Returns the message sent
// (null while the track id is unknown: it is sent once known).
export function setPreference(current, participantId, preference = {}) {
  const p = current && current.participants.get(participantId);
  if (!p) throw new Error(`unknown participant ${participantId}`);
  p.sub.manual = {
    width: Math.max(0, Math.round(preference.width || 0)),
    height: Math.max(0, Math.round(preference.height || 0)),
    maxSpatialLayer: preference.maxSpatialLayer != null ? preference.maxSpatialLayer : null,
    maxTemporalLayer: preference.maxTemporalLayer != null ? preference.maxTemporalLayer : null,
    paused: Boolean(preference.paused),
  };
  clearTimeout(p.sub.timer);
  return sendSubscription(current, p, true);
}

// Back to automatic (tile size and visibility) updates.
export function clearPreference(current, participantId) {
  const p = current && current.participants.get(participantId);
  if (!p) return;
  p.sub.manual = null;
  sendSubscription(current, p, true);
}

export function onSubscriptionState(current, msg) {
  const trackId = msg.trackId || '';
  const before = current.subscriptionStates.get(trackId);
  if (!before || before.spatialLayer !== (msg.spatialLayer || 0) ||
      before.temporalLayer !== (msg.temporalLayer || 0)) {
    console.info(`switchyard: server forwards ${trackId} at spatial layer ` +
        `${msg.spatialLayer || 0}, temporal layer ${msg.temporalLayer || 0} ` +
        `(estimate ${formatBps(Number(msg.bandwidthEstimateBps || 0))})`);
  }
  current.subscriptionStates.set(trackId, {
    trackId,
    // Canonical JSON may leave out zero values; uint64 arrives as a string.
    spatialLayer: msg.spatialLayer || 0,
    temporalLayer: msg.temporalLayer || 0,
    bandwidthEstimateBps: Number(msg.bandwidthEstimateBps || 0),
    receivedAt: performance.now(),
  });
  const p = ownerOfTrack(current, trackId);
  if (p) renderBadge(current, p);
}

export function ownerOfTrack(current, trackId) {
  for (const p of current.participants.values()) {
    if (p.tracks.has(trackId)) return p;
  }
  const id = current.trackOwner.get(trackId);
  return id ? current.participants.get(id) || null : null;
}
