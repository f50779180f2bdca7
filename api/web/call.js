// The call's lifecycle: joining (token, camera and microphone, the socket), `joined`, leaving,
// and the two ways the server ends a call: an error before we joined, and `disconnected`
// (removed through the room API, room deleted, the same identity joined elsewhere, media
// lost, shutdown). After `disconnected` the page shows why and goes back to the join form
// without rejoining by itself.

import { options, pageUrl } from './config.js';
import { clearDataMessages } from './data.js';
import { ui } from './dom.js';
import { applyLocalInfo, applyRoomInfo, resetToggles } from './local.js';
import { removeParticipant, upsertParticipant } from './participants.js';
import { publish } from './publisher.js';
import { newSession, session, sessionRecord, setSession } from './session.js';
import { openSocket, send } from './signaling.js';
import { startStatsPoll } from './stats.js';
import { createSubscriber } from './subscriber.js';
import { initialOf, layoutGrid, setMutedIndicator } from './tiles.js';
import { obtainToken, tokenClaims } from './token.js';
import { hideBanner, setState, showBanner, showCall } from './view.js';

export const kNameStorageKey = 'switchyard.name';
const kRoomPattern = /^[A-Za-z0-9_.-]{1,64}$/;

// The banner for each `disconnected` reason the server gives.
const kDisconnectTexts = {
  removed: 'You were removed from the room.',
  room_deleted: 'The room was closed.',
  duplicate_identity: 'You joined this room from another tab or device, so this one was disconnected.',
  transport_closed: 'The media connection to the server was lost.',
  server_shutdown: 'The server is shutting down.',
};

async function getMedia() {
  // 1280x720 so that the top simulcast layer is HD; the others are scaled down from it.
  const video = options.publishVideo ? { width: 1280, height: 720 } : false;
  const attempts = [
    { audio: options.publishAudio, video },
    { audio: false, video },
    { audio: options.publishAudio, video: false },
  ].filter((c) => c.audio || c.video);
  let lastError = null;
  for (const constraints of attempts) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (e) {
      lastError = e;
      // Permission refusal applies to all attempts; don't prompt three times.
      if (e && e.name === 'NotAllowedError') break;
    }
  }
  console.warn('switchyard: no local media:', lastError);
  showBanner('No camera or microphone available: you joined to watch and listen only.', 'info');
  return null;
}

export async function join(room, name) {
  room = (room || '').trim();
  name = (name || '').trim();
  if (!kRoomPattern.test(room)) {
    showBanner("Room names use letters, digits, '-', '_' and '.' (at most 64).");
    return;
  }
  // With a token the server takes the display name from it when none is given.
  const tokenName = (tokenClaims && (tokenClaims.name || tokenClaims.sub)) || '';
  if (!name && !options.token) {
    showBanner('Please enter your name.');
    return;
  }
  if (session) teardown(session);
  hideBanner();
  if (name) {
    try {
      localStorage.setItem(kNameStorageKey, name);
    } catch (e) { /* storage may be disabled */ }
  }
  const current = newSession(room, name);
  setSession(current);
  sessionRecord.lastDisconnect = null;
  clearDataMessages();
  sessionRecord.tokenProblem = '';
  setState('connecting');
  ui.joinButton.disabled = true;
  let token;
  try {
    token = await obtainToken(room, name);
  } catch (e) {
    if (session !== current) return;
    console.warn('switchyard: no join token:', e.message || e);
    sessionRecord.tokenProblem = e.needsToken ? 'needs_token' : (e.message || String(e));
    setSession(null);
    setState('error');
    showBanner(e.message || String(e));
    return;
  } finally {
    ui.joinButton.disabled = false;
  }
  if (session !== current) return;
  current.token = token.token;
  current.identity = token.identity;
  sessionRecord.lastIdentity = token.identity;
  const shownName = name || tokenName || 'you';
  ui.roomName.textContent = room;
  ui.roomName.title = '';
  ui.roomMetadata.hidden = true;
  ui.localName.textContent = `${shownName} (you)`;
  ui.localTile.querySelector('.avatar').textContent = initialOf(shownName);
  ui.localTile.classList.remove('has-video');
  setMutedIndicator(ui.localTile, false, false);
  resetToggles();
  showCall(true);
  layoutGrid();
  history.replaceState(null, '', pageUrl(room));

  const wantsMedia = options.publishAudio || options.publishVideo;
  const stream = navigator.mediaDevices && wantsMedia ? await getMedia() : null;
  if (session !== current) {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    return;
  }
  current.localStream = stream;
  if (stream && stream.getVideoTracks().length > 0) {
    ui.localVideo.srcObject = stream;
    ui.localTile.classList.add('has-video');
  }
  ui.micButton.disabled = !stream || stream.getAudioTracks().length === 0;
  ui.cameraButton.disabled = !stream || stream.getVideoTracks().length === 0;
  startStatsPoll(current);
  openSocket(current);
}

export async function onJoined(current, joined) {
  current.participantId = joined.participantId || '';
  current.joinedAt = performance.now();
  current.iceServers = joined.iceServers || [];
  if (joined.local) applyLocalInfo(current, joined.local);
  if (joined.roomInfo) applyRoomInfo(current, joined.roomInfo);
  for (const info of joined.participants || []) upsertParticipant(current, info);
  setState('joined');
  current.subscriberPc = createSubscriber(current);
  await publish(current);
  layoutGrid();
}

export function onError(current, error) {
  const code = error.code || 'error';
  const text = error.message || 'The server reported an error.';
  // A server that predates layer selection rejects updateSubscription; the call works on
  // without it, so this is no reason to alarm the user.
  if (/updateSubscription|update_subscription|subscription/i.test(`${code} ${text}`)) {
    console.warn(`switchyard: server refused a subscription update (${code}): ${text}`);
    if (code === 'bad_message') current.subscriptionUnsupported = true;
    return;
  }
  console.error(`switchyard: server error ${code}: ${text}`);
  if (!current.participantId && (code === 'unauthenticated' || code === 'permission_denied')) {
    showBanner(`The server refused the join token: ${text}`);
  } else {
    showBanner(`Server error (${code}): ${text}`);
  }
  // A failed join leaves nothing to show: go back to the form.
  if (!current.participantId) {
    current.leaving = true;
    teardown(current);
    setState('error');
    showCall(false);
  }
}

// The server ended the session; the socket closes next. No automatic rejoin: being removed
// or replaced by another tab must stick, and the user can join again from the form.
export function onDisconnected(current, msg) {
  const reason = msg.reason || '';
  sessionRecord.lastDisconnect = { reason, at: performance.now() };
  console.warn(`switchyard: disconnected by the server (${reason || 'no reason given'})`);
  // "transport_closed: <detail>" carries what failed after the code.
  const code = reason.split(':')[0].trim();
  const text = kDisconnectTexts[code] || `The server ended the session (${reason || 'no reason given'}).`;
  current.leaving = true;
  teardown(current);
  setState('disconnected');
  showCall(false);
  ui.roomInput.value = current.room;
  ui.nameInput.value = current.name;
  showBanner(code === 'removed' || code === 'room_deleted' || code === 'duplicate_identity'
    ? text : `${text} You can join again.`, code === 'server_shutdown' ? 'info' : 'error');
}

export function teardown(current) {
  if (current.statsTimer) clearInterval(current.statsTimer);
  current.statsTimer = null;
  if (current.ws) {
    current.ws.onclose = null;
    current.ws.onmessage = null;
    if (current.ws.readyState <= WebSocket.OPEN) current.ws.close(1000, 'leave');
  }
  for (const pc of [current.publisherPc, current.subscriberPc]) {
    if (pc) pc.close();
  }
  if (current.localStream) current.localStream.getTracks().forEach((t) => t.stop());
  for (const id of [...current.participants.keys()]) removeParticipant(current, id);
  ui.grid.classList.remove('spotlight');
  ui.localTile.classList.remove('speaking');
  ui.localVideo.srcObject = null;
  if (session === current) setSession(null);
}

export function leave() {
  const current = session;
  if (!current) return;
  current.leaving = true;
  send({ leave: {} });
  teardown(current);
  hideBanner();
  setState('idle');
  showCall(false);
  ui.roomInput.value = current.room;
  ui.nameInput.value = current.name;
}

// The page goes away (closed, reloaded, navigated): say goodbye so the server need not wait
// for the connection to time out.
export function leaveOnPageHide() {
  if (session) {
    session.leaving = true;
    send({ leave: {} });
    teardown(session);
  }
}
