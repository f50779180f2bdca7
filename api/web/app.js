// Switchyard demo client: one publisher PeerConnection (our camera and microphone, offered by
// us) and one subscriber PeerConnection (everyone else's tracks, offered by the server).
// Signaling is protobuf canonical JSON over the WebSocket at /ws; see api/proto/signaling.proto.
//
// Video is published as three simulcast layers; for every remote video tile the page tells the
// server how large the tile is (device pixels), whether it is visible and whether it is pinned
// (updateSubscription), and the server picks the layer to forward.
//
// This is the entry module (index.html loads it with <script type="module">; no bundler): it
// wires the page's controls and starts from the URL switches (config.js). The rest, one
// responsibility per module:
//   config.js        URL switches and the page's own links
//   dom.js           the page's fixed elements
//   session.js       the current session and what outlives it
//   token.js         join tokens (token switch or GET /dev/token)
//   call.js          join, joined, leave, server errors and `disconnected`
//   signaling.js     the WebSocket and the dispatch of server messages
//   publisher.js     the publisher PeerConnection (simulcast, codec preference)
//   subscriber.js    the subscriber PeerConnection (remote tracks)
//   participants.js  the remote roster and its media
//   subscriptions.js layer preferences from tile size, visibility and pinning
//   tiles.js         the grid layout, tiles, pinning, speaker ring, muted chips
//   local.js         our own tile, the mic/camera toggles, the room header
//   view.js          connection status, banner, join form vs. call
//   data.js          application data messages
//   stats.js         WebRTC statistics and the stats poll
//   badges.js        the per-tile stats badges
//   hooks.js         window.switchyard, the test and debugging hooks

import { setStatsShown, isStatsShown } from './badges.js';
import { join, kNameStorageKey, leave, leaveOnPageHide } from './call.js';
import { options, params } from './config.js';
import { ui } from './dom.js';
import { installTestHooks } from './hooks.js';
import { copyLink, toggle } from './local.js';
import { session } from './session.js';
import { scheduleSubscription } from './subscriptions.js';
import { layoutGrid } from './tiles.js';
import { tokenClaims } from './token.js';
import { hideBanner, renderStatus } from './view.js';

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  join(ui.roomInput.value, ui.nameInput.value);
});
ui.leaveButton.addEventListener('click', leave);
ui.micButton.addEventListener('click', () => toggle('audio', ui.micButton));
ui.cameraButton.addEventListener('click', () => toggle('video', ui.cameraButton));
ui.copyLinkButton.addEventListener('click', copyLink);
ui.statsButton.addEventListener('click', () => setStatsShown(!isStatsShown()));
document.addEventListener('visibilitychange', () => {
  if (!session) return;
  for (const p of session.participants.values()) scheduleSubscription(session, p, 0);
});
ui.bannerClose.addEventListener('click', hideBanner);
// The call area changes size with the window and when the banner comes and goes.
new ResizeObserver(() => layoutGrid()).observe(ui.callView);
window.addEventListener('pagehide', leaveOnPageHide);

installTestHooks();

let savedName = '';
try {
  savedName = localStorage.getItem(kNameStorageKey) || '';
} catch (e) { /* storage may be disabled */ }
const tokenRoom = (tokenClaims && tokenClaims.video && tokenClaims.video.room) || '';
ui.roomInput.value = params.get('room') || tokenRoom;
ui.nameInput.value = params.get('name') || (tokenClaims && tokenClaims.name) || savedName;
if (options.token) ui.nameInput.required = false;  // the token names us
renderStatus();
let statsSaved = false;
try {
  statsSaved = localStorage.getItem('switchyard.stats') === '1';
} catch (e) { /* storage may be disabled */ }
setStatsShown(params.has('stats') ? params.get('stats') !== '0' : statsSaved);
if (params.get('room') && params.get('name')) {
  join(params.get('room'), params.get('name'));
} else if (options.token && ui.roomInput.value) {
  join(ui.roomInput.value, ui.nameInput.value);
} else if (ui.roomInput.value) {
  ui.nameInput.focus();
} else {
  ui.roomInput.focus();
}
