// The page's chrome: the connection status in the top bar, the banner, and switching between
// the join form and the call.

import { ui } from './dom.js';
import { session } from './session.js';
import { layoutGrid } from './tiles.js';

// 'idle' | 'connecting' | 'joined' | 'error' | 'disconnected' (the server ended the session)
let state = 'idle';

export function getState() {
  return state;
}

export function setState(next) {
  state = next;
  renderStatus();
}

export function renderStatus() {
  let kind = 'idle';
  let text = 'Not connected';
  if (state === 'connecting') {
    kind = 'connecting';
    text = 'Connecting…';
  } else if (state === 'disconnected') {
    kind = 'error';
    text = 'Disconnected';
  } else if (state === 'error') {
    kind = 'error';
    text = 'Disconnected';
  } else if (state === 'joined' && session) {
    const pcs = [session.publisherPc, session.subscriberPc].filter(Boolean);
    const states = pcs.map((pc) => pc.connectionState);
    if (states.some((s) => s === 'failed')) {
      kind = 'error';
      text = 'Media failed';
    } else if (states.some((s) => s === 'disconnected')) {
      kind = 'connecting';
      text = 'Reconnecting…';
    } else if (session.publisherPc && session.publisherPc.connectionState !== 'connected') {
      kind = 'connecting';
      text = 'Connecting media…';
    } else {
      kind = 'ok';
      text = 'Connected';
    }
  }
  ui.status.dataset.state = kind;
  ui.statusText.textContent = text;
}

export function showBanner(text, kind = 'error') {
  ui.bannerText.textContent = text;
  ui.banner.dataset.kind = kind;
  ui.banner.hidden = false;
}

export function hideBanner() {
  ui.banner.hidden = true;
}

// The banner's text while it is shown, else ''.
export function bannerText() {
  return ui.banner.hidden ? '' : ui.bannerText.textContent;
}

export function showCall(on) {
  ui.joinView.hidden = on;
  ui.callView.hidden = !on;
  ui.controls.hidden = !on;
  ui.roomInfo.hidden = !on;
  layoutGrid();
}
