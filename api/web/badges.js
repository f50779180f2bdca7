// The stats badges (the Stats button, stats=0|1): on each remote tile the received resolution,
// the forwarded layer and the bandwidth estimate; on ours what we send.

import { ui } from './dom.js';
import { session } from './session.js';
import { videoTrackIdOf } from './subscriptions.js';

let statsShown = false;

export function isStatsShown() {
  return statsShown;
}

export function formatBps(bps) {
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbps`;
  return `${Math.round(bps / 1e3)} kbps`;
}

function setBadge(badge, main, detail, kind) {
  badge.querySelector('.badge-main').textContent = main;
  badge.querySelector('.badge-detail').textContent = detail;
  badge.dataset.kind = kind;
}

// "720p" from what is decoded, the forwarded layer and the bandwidth estimate from the
// server's subscriptionState; "paused" when the server sends nothing for the tile.
export function renderBadge(current, p) {
  if (!statsShown) return;
  const trackId = videoTrackIdOf(p);
  if (!trackId) {
    setBadge(p.badge, '', '', 'none');  // audio only or a viewer: the avatar says enough
    return;
  }
  const state = current.subscriptionStates.get(trackId);
  const v = p.decoded;
  if (state && state.spatialLayer < 0) {
    setBadge(p.badge, 'paused', state.bandwidthEstimateBps ? formatBps(state.bandwidthEstimateBps) : '',
        'paused');
    return;
  }
  const details = [];
  if (state) details.push(`S${state.spatialLayer} T${state.temporalLayer}`);
  if (v && v.framesPerSecond) details.push(`${Math.round(v.framesPerSecond)} fps`);
  if (state && state.bandwidthEstimateBps) details.push(formatBps(state.bandwidthEstimateBps));
  const main = v && v.frameHeight ? `${v.frameHeight}p` : (state ? 'waiting' : 'no video');
  setBadge(p.badge, main, details.join(' · '), v && v.frameHeight ? 'ok' : 'idle');
}

// What we send: the top active layer, and every layer's size.
export function renderLocalBadge(current) {
  if (!statsShown) return;
  const layers = current.publisherStats.filter((l) => l.frameHeight > 0);
  if (layers.length === 0) {
    setBadge(ui.localBadge, current.publisherPc ? 'starting' : 'not sending', '', 'idle');
    return;
  }
  const top = layers.reduce((a, b) => (b.frameHeight > a.frameHeight ? b : a));
  const sizes = layers.map((l) => `${l.rid ? `${l.rid} ` : ''}${l.frameHeight}p`).join(' · ');
  const limited = layers.find((l) => l.qualityLimitationReason && l.qualityLimitationReason !== 'none');
  const detail = limited ? `${sizes} · ${limited.qualityLimitationReason}-limited` : sizes;
  setBadge(ui.localBadge, `↑ ${top.frameHeight}p`, detail, limited ? 'warn' : 'ok');
}

export function setStatsShown(on) {
  statsShown = on;
  document.body.classList.toggle('show-stats', on);
  ui.statsButton.setAttribute('aria-pressed', String(on));
  ui.statsButton.classList.toggle('active', on);
  try {
    localStorage.setItem('switchyard.stats', on ? '1' : '0');
  } catch (e) { /* storage may be disabled */ }
  if (on && session) {
    for (const p of session.participants.values()) renderBadge(session, p);
    renderLocalBadge(session);
  }
}
