// Remote participants: the roster as the server announces it (participantJoined/Left,
// trackPublished/Unpublished, trackMuted, participantUpdated) and the media the subscriber
// PeerConnection receives for each of them.

import { applyLocalInfo, renderLocalMuted } from './local.js';
import { session } from './session.js';
import { scheduleSubscription, tileObservers } from './subscriptions.js';
import { midOfTrack } from './subscriber.js';
import { createTile, initialOf, layoutGrid, renderSpeakers, setMutedIndicator, setPinned }
  from './tiles.js';
import { hideBanner, showBanner } from './view.js';

// Canonical JSON names enum values; accept numbers too.
export function isVideoKind(kind) {
  return kind === 'TRACK_KIND_VIDEO' || kind === 2;
}

export function isAudioKind(kind) {
  return kind === 'TRACK_KIND_AUDIO' || kind === 1;
}

export function upsertParticipant(current, info) {
  const id = info.participantId || '';
  let p = current.participants.get(id);
  if (!p) {
    p = {
      id,
      name: '',
      tracks: new Map(),
      stream: new MediaStream(),
      tile: null,
      video: null,
      audio: null,
      seenAt: performance.now(),
      firstFrameAt: null,
      // What we ask the server for this participant's video (see sendSubscription).
      sub: {
        width: 0,          // tile size in device pixels, from the ResizeObserver
        height: 0,
        visible: true,     // tile intersects the viewport (IntersectionObserver)
        manual: null,      // preference set through window.switchyard.setPreference
        lastSent: '',      // the last updateSubscription body, to send only changes
        timer: null,
      },
      decoded: null,       // latest inbound video stats, for the layer badge
    };
    current.participants.set(id, p);
    createTile(current, p);
    renderSpeakers(current);
  }
  if (info.identity) p.identity = info.identity;
  if (info.metadata) p.metadata = info.metadata;
  if (info.name) {
    p.name = info.name;
    p.tile.querySelector('.label-name').textContent = info.name;
    p.tile.querySelector('.avatar').textContent = initialOf(info.name);
  }
  let newTrack = false;
  for (const t of info.tracks || []) {
    if (t.trackId && !p.tracks.has(t.trackId)) newTrack = true;
    if (t.trackId) p.tracks.set(t.trackId, t);
  }
  if (newTrack) scheduleSubscription(current, p, 0);
  if ((info.tracks || []).length) renderMuted(p);
  return p;
}

export function attachTrack(current, p, track) {
  if (!p.stream.getTracks().includes(track)) p.stream.addTrack(track);
  if (track.kind === 'video') {
    watchFirstFrame(current, p);
    p.video.play().catch(() => {});
    scheduleSubscription(current, p, 0);
  } else {
    playAudio(p.audio);
  }
}

export function detachTrack(current, p, track) {
  if (!p.stream.getTracks().includes(track)) return;
  p.stream.removeTrack(track);
  current.trackOwner.delete(track.id);
  if (track.kind === 'video' && p.stream.getVideoTracks().length === 0) {
    p.tile.classList.remove('has-video');
    // A republished track starts from scratch: the server forgets the old one's settings.
    p.sub.lastSent = '';
  }
}

export function removeParticipant(current, id) {
  const p = current.participants.get(id);
  if (!p) return;
  current.participants.delete(id);
  for (const [trackId, owner] of current.trackOwner) {
    if (owner === id) current.trackOwner.delete(trackId);
  }
  for (const [mid, owner] of current.midOwner) {
    if (owner === id) current.midOwner.delete(mid);
  }
  clearTimeout(p.sub.timer);
  tileObservers.resize.unobserve(p.video);
  tileObservers.intersection.unobserve(p.tile);
  if (current.pinnedId === id) setPinned(current, '');
  p.video.srcObject = null;
  p.audio.srcObject = null;
  p.tile.remove();
  layoutGrid();
}

let audioBlocked = false;
function playAudio(audio) {
  audio.play().catch((e) => {
    if (e && e.name === 'NotAllowedError' && !audioBlocked) {
      audioBlocked = true;
      showBanner('Your browser blocked sound. Click anywhere to enable it.', 'info');
      document.addEventListener('click', () => {
        audioBlocked = false;
        hideBanner();
        for (const el of document.querySelectorAll('audio')) el.play().catch(() => {});
      }, { once: true });
    }
  });
}

// Records when a participant's first video frame is decoded. requestVideoFrameCallback
// fires on presentation; the stats poll is the fallback where frames are not presented
// (e.g. a hidden tab).
function watchFirstFrame(current, p) {
  if (p.firstFrameAt != null || !('requestVideoFrameCallback' in HTMLVideoElement.prototype)) return;
  p.video.requestVideoFrameCallback(() => markFirstFrame(current, p));
}

export function markFirstFrame(current, p) {
  if (session !== current || p.firstFrameAt != null) return;
  p.firstFrameAt = performance.now();
  if (current.firstRemoteFrameAt == null) current.firstRemoteFrameAt = p.firstFrameAt;
  console.info(`switchyard: first frame from ${p.name || p.id} after ` +
      `${Math.round(p.firstFrameAt - current.joinStartedAt)} ms`);
}

export function onParticipantJoined(current, msg) {
  if (!msg.participant) return;
  upsertParticipant(current, msg.participant);
  layoutGrid();
}

export function onParticipantLeft(current, msg) {
  removeParticipant(current, msg.participantId || '');
}

export function onTrackPublished(current, msg) {
  upsertParticipant(current, {
    participantId: msg.participantId || '',
    tracks: msg.track ? [msg.track] : [],
  });
}

export function onTrackUnpublished(current, msg) {
  const p = current.participants.get(msg.participantId || '');
  if (!p) return;
  const info = p.tracks.get(msg.trackId || '');
  p.tracks.delete(msg.trackId || '');
  // The receiver's track id is the msid track id in Chrome; the mid is the fallback.
  for (const track of p.stream.getTracks()) {
    const byMid = info && info.mid != null && midOfTrack(current, track) === info.mid;
    if (track.id === msg.trackId || byMid) detachTrack(current, p, track);
  }
}

export function onTrackMuted(current, msg) {
  const participantId = msg.participantId || '';
  const trackId = msg.trackId || '';
  const muted = Boolean(msg.muted);
  console.info(`switchyard: track ${trackId} of ${participantId} ${muted ? 'muted' : 'unmuted'}`);
  if (participantId === current.participantId) {
    // joined.local predates our tracks; one not listed yet is kept with its kind unknown.
    const local = current.local || (current.local = { tracks: [] });
    local.tracks = local.tracks || [];
    const info = local.tracks.find((t) => t.trackId === trackId);
    if (info) info.muted = muted;
    else local.tracks.push({ trackId, muted });
    renderLocalMuted(current);
    return;
  }
  const p = current.participants.get(participantId);
  if (!p) return;
  const info = p.tracks.get(trackId);
  // A track not announced yet arrives with its muted flag in trackPublished.
  if (info) info.muted = muted;
  renderMuted(p);
}

export function onParticipantUpdated(current, info) {
  console.info('switchyard: participant updated', info);
  if (info.participantId && info.participantId === current.participantId) {
    applyLocalInfo(current, info);
    return;
  }
  if (!current.participants.has(info.participantId || '')) return;
  const p = upsertParticipant(current, info);
  p.identity = info.identity || p.identity;
  p.metadata = info.metadata || '';
  renderMuted(p);
}

// A track muted through the room API is not forwarded: its tile shows the avatar and a
// "muted" chip instead of a frozen picture.
function renderMuted(p) {
  let video = false;
  let audio = false;
  for (const t of p.tracks.values()) {
    if (!t.muted) continue;
    if (isVideoKind(t.kind)) video = true;
    if (isAudioKind(t.kind)) audio = true;
  }
  setMutedIndicator(p.tile, video, audio);
}
