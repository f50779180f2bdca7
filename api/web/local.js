// Ourselves and the room as the page shows them: the local tile's name and "muted" chip, the
// microphone and camera toggles, and the room header with its copy-link button.

import { roomUrl } from './config.js';
import { ui } from './dom.js';
import { isAudioKind, isVideoKind } from './participants.js';
import { session, sessionRecord } from './session.js';
import { initialOf, setMutedIndicator } from './tiles.js';

export function applyLocalInfo(current, info) {
  current.local = info;
  current.identity = info.identity || current.identity;
  sessionRecord.lastIdentity = current.identity;
  if (info.name && info.name !== current.name) {
    current.name = info.name;
    ui.localName.textContent = `${info.name} (you)`;
    ui.localTile.querySelector('.avatar').textContent = initialOf(info.name);
  }
  renderLocalMuted(current);
}

// Our own tracks muted by the room's administrator: we still send, nobody receives.
export function renderLocalMuted(current) {
  let video = false;
  let audio = false;
  let other = false;
  for (const t of (current.local && current.local.tracks) || []) {
    if (!t.muted) continue;
    if (isVideoKind(t.kind)) video = true;
    else if (isAudioKind(t.kind)) audio = true;
    else other = true;
  }
  setMutedIndicator(ui.localTile, video, audio, other);
}

export function applyRoomInfo(current, room) {
  current.roomInfo = room;
  const metadata = room.metadata || '';
  ui.roomName.textContent = current.room;
  ui.roomName.title = metadata ? `Room metadata: ${metadata}` : '';
  ui.roomMetadata.textContent = metadata;
  ui.roomMetadata.hidden = !metadata;
}

export function onRoomUpdated(current, room) {
  console.info('switchyard: room updated', room);
  applyRoomInfo(current, room);
}

export function resetToggles() {
  for (const button of [ui.micButton, ui.cameraButton]) {
    button.setAttribute('aria-pressed', 'false');
    button.classList.remove('off');
  }
  ui.localTile.classList.remove('camera-off');
}

export function toggle(kind, button) {
  if (!session || !session.localStream) return;
  const tracks = kind === 'audio' ? session.localStream.getAudioTracks()
                                  : session.localStream.getVideoTracks();
  if (tracks.length === 0) return;
  const enabled = !tracks[0].enabled;
  tracks.forEach((t) => { t.enabled = enabled; });
  button.setAttribute('aria-pressed', String(!enabled));
  button.classList.toggle('off', !enabled);
  if (kind === 'audio') {
    button.title = enabled ? 'Mute microphone' : 'Unmute microphone';
  } else {
    button.title = enabled ? 'Turn camera off' : 'Turn camera on';
    ui.localTile.classList.toggle('camera-off', !enabled);
  }
}

export async function copyLink() {
  if (!session) return;
  const link = roomUrl(session.room);
  try {
    await navigator.clipboard.writeText(link);
    ui.copyLinkButton.textContent = 'Copied!';
  } catch (e) {
    // Clipboard needs a secure context; fall back to showing the link.
    window.prompt('Copy this link:', link);
  }
  setTimeout(() => { ui.copyLinkButton.textContent = 'Copy link'; }, 1500);
}
