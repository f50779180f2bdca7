// The call grid: one tile per remote participant (plus ours), the layout that sizes them,
// pinning one tile large, the dominant speaker's ring and the "muted" chips.

import { ui } from './dom.js';
import { session } from './session.js';
import { sendSubscription, tileObservers } from './subscriptions.js';

// Picks the column count whose tiles come out largest while all rows fit the call area;
// below kMinTileWidth the tiles go full width in one column and the area scrolls. With a
// pinned tile, that tile takes what the row of small ones below it leaves.
const kMinTileWidth = 240;
const kThumbWidth = { min: 120, max: 220 };
export function layoutGrid() {
  const count = ui.grid.children.length;
  ui.grid.dataset.count = String(count);
  ui.aloneHint.hidden = !session || session.participants.size > 0;
  if (ui.callView.hidden) return;
  const style = getComputedStyle(ui.callView);
  const gap = parseFloat(getComputedStyle(ui.grid).columnGap) || 12;
  const width = ui.callView.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  let height = ui.callView.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  if (!ui.aloneHint.hidden) height -= ui.aloneHint.offsetHeight + gap;
  if (session && session.pinnedId) {
    const thumbs = Math.max(1, count - 1);
    const perRow = Math.max(1, Math.floor((width + gap) / (kThumbWidth.min + gap)));
    const cols = Math.min(thumbs, perRow);
    const thumbWidth = Math.floor(Math.min(kThumbWidth.max, (width - gap * (cols - 1)) / cols));
    const thumbHeight = thumbWidth * 9 / 16;
    const spotWidth = Math.floor(Math.min(width, (height - thumbHeight - gap) * 16 / 9));
    ui.grid.style.setProperty('--cols', String(cols));
    ui.grid.style.setProperty('--tile-width', `${thumbWidth}px`);
    ui.grid.style.setProperty('--spot-width', `${Math.max(spotWidth, kMinTileWidth)}px`);
    return;
  }
  let best = { cols: 1, tileWidth: 0 };
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const byWidth = (width - gap * (cols - 1)) / cols;
    const byHeight = ((height - gap * (rows - 1)) / rows) * 16 / 9;
    const tileWidth = Math.floor(Math.min(byWidth, byHeight));
    if (tileWidth > best.tileWidth) best = { cols, tileWidth };
  }
  if (best.tileWidth < kMinTileWidth) best = { cols: 1, tileWidth: Math.floor(width) };
  ui.grid.style.setProperty('--cols', String(best.cols));
  ui.grid.style.setProperty('--tile-width', `${Math.max(best.tileWidth, 160)}px`);
}

export function initialOf(name) {
  const trimmed = (name || '?').trim();
  return (trimmed[0] || '?').toUpperCase();
}

// A remote participant's tile, from the template, added to the grid and watched for its size
// and visibility (subscriptions.js turns those into layer preferences).
export function createTile(current, p) {
  const tile = ui.tileTemplate.content.firstElementChild.cloneNode(true);
  tile.dataset.participantId = p.id;
  tile.querySelector('.label-name').textContent = p.name || 'Guest';
  tile.querySelector('.avatar').textContent = initialOf(p.name);
  p.tile = tile;
  p.video = tile.querySelector('video');
  p.audio = tile.querySelector('audio');
  // The video element stays muted so it may autoplay without a user gesture; sound goes
  // through the separate audio element, which autoplay policy may block (see playAudio).
  p.video.srcObject = p.stream;
  p.audio.srcObject = p.stream;
  p.video.addEventListener('playing', () => tile.classList.add('has-video'));
  p.pinButton = tile.querySelector('.pin');
  p.pinButton.addEventListener('click', () => togglePin(current, p.id));
  p.badge = tile.querySelector('.badge');
  ui.grid.appendChild(tile);
  tileObservers.resize.observe(p.video);
  tileObservers.intersection.observe(tile);
  layoutGrid();
}

export function setMutedIndicator(tile, video, audio, other = false) {
  tile.classList.toggle('video-muted', video);
  tile.classList.toggle('audio-muted', audio);
  const chip = tile.querySelector('.muted-indicator');
  const parts = [];
  if (video) parts.push('video');
  if (audio) parts.push('audio');
  if (other && parts.length === 0) parts.push('a track');
  chip.hidden = parts.length === 0;
  chip.textContent = parts.length ? `${parts.join(' and ')} muted` : '';
  chip.title = parts.length ? 'Muted by the room\'s administrator: nothing is forwarded' : '';
}

function togglePin(current, id) {
  setPinned(current, current.pinnedId === id ? '' : id);
}

// Shows `id`'s tile large (or none, for ''). Pinned tracks get bandwidth first on the server.
export function setPinned(current, id) {
  const previous = current.pinnedId;
  if (previous === id) return;
  current.pinnedId = id;
  for (const p of current.participants.values()) {
    const on = p.id === id;
    p.tile.classList.toggle('pinned', on);
    p.pinButton.setAttribute('aria-pressed', String(on));
    p.pinButton.title = on ? 'Unpin' : 'Pin: show this tile large';
    p.pinButton.querySelector('.pin-text').textContent = on ? 'Unpin' : 'Pin';
  }
  ui.grid.classList.toggle('spotlight', Boolean(id));
  layoutGrid();
  // The new sizes follow through the ResizeObserver once the layout has settled.
  for (const changed of [previous, id]) {
    const p = current.participants.get(changed);
    if (p) sendSubscription(current, p);
  }
}

export function onActiveSpeakers(current, msg) {
  current.activeSpeakers = msg.participantIds || [];
  renderSpeakers(current);
}

// Rings the dominant speaker's tile (ours too, so one can tell that the server hears us).
export function renderSpeakers(current) {
  const dominant = current.activeSpeakers[0] || '';
  for (const p of current.participants.values()) {
    p.tile.classList.toggle('speaking', p.id === dominant);
  }
  ui.localTile.classList.toggle('speaking', dominant !== '' && dominant === current.participantId);
}
