// The page's fixed elements (index.html), looked up once. Module scripts run after the
// document is parsed, so they all exist by now.

const $ = (id) => document.getElementById(id);

export const ui = {
  joinView: $('join-view'),
  joinForm: $('join-form'),
  roomInput: $('room-input'),
  nameInput: $('name-input'),
  joinButton: $('join-button'),
  callView: $('call-view'),
  grid: $('grid'),
  aloneHint: $('alone-hint'),
  localTile: $('local-tile'),
  localVideo: $('local-video'),
  localName: $('local-name'),
  controls: $('controls'),
  micButton: $('mic-button'),
  cameraButton: $('camera-button'),
  statsButton: $('stats-button'),
  localBadge: $('local-badge'),
  leaveButton: $('leave-button'),
  roomInfo: $('room-info'),
  roomName: $('room-name'),
  roomMetadata: $('room-metadata'),
  copyLinkButton: $('copy-link-button'),
  status: $('status'),
  statusText: $('status-text'),
  banner: $('banner'),
  bannerText: $('banner-text'),
  bannerClose: $('banner-close'),
  tileTemplate: $('tile-template'),
};
