// The page's address: the URL switches it was opened with (read once, at load) and the
// addresses it puts back in the location bar and on the clipboard.
//
// URL switches: room, name (join at once); token=<jwt> (join with this token: room and name
// default to the token's); identity=<id> (the identity asked of /dev/token; default: one the
// server picks); simulcast=0 (publish one encoding); codec=vp8|vp9|h264|av1 (preferred video
// codec); video=0 (publish the microphone only); publish=0 (join as a viewer: publish nothing);
// stats=0|1 (per-tile stats badges); relay=1 (media only through the server's TURN relay, as a
// client behind a strict NAT or firewall would: RTCConfiguration.iceTransportPolicy "relay");
// relay=tls (the same through the turns: URLs only, as a client whose network lets nothing but
// TLS out would); turn=0 (ignore the server's STUN/TURN: host candidates and ICE-TCP only).

export const params = new URLSearchParams(window.location.search);

export const options = {
  simulcast: params.get('simulcast') !== '0',
  codec: (params.get('codec') || '').toLowerCase(),
  publishAudio: params.get('publish') !== '0',
  publishVideo: params.get('publish') !== '0' && params.get('video') !== '0',
  // A join token handed to the page (production); without it the page asks /dev/token.
  token: params.get('token') || '',
  identity: params.get('identity') || '',
  relayOnly: params.get('relay') === '1' || params.get('relay') === 'tls',
  relayTlsOnly: params.get('relay') === 'tls',
  noIceServers: params.get('turn') === '0',
};

// RTCConfiguration for both PeerConnections: the ICE servers `joined` handed us (the server's
// STUN/TURN with credentials for this participant).
export function rtcConfiguration(current, extra = {}) {
  let iceServers = options.noIceServers ? [] : current.iceServers || [];
  if (options.relayTlsOnly) {
    iceServers = iceServers
      .map((s) => ({ ...s, urls: [].concat(s.urls).filter((u) => u.startsWith('turns:')) }))
      .filter((s) => s.urls.length > 0);
  }
  const config = { bundlePolicy: 'max-bundle', iceServers, ...extra };
  if (options.relayOnly) config.iceTransportPolicy = 'relay';
  return config;
}

// This page's address after joining `room`: the room plus the switches a reload needs to
// join the same way (the token and identity; not the name, which the form remembers).
export function pageUrl(room) {
  const url = new URL(roomUrl(room));
  for (const key of ['token', 'identity']) {
    if (params.get(key)) url.searchParams.set(key, params.get(key));
  }
  return url.toString();
}

// The link to share: the room only (never our token).
export function roomUrl(room) {
  const url = new URL(window.location.href);
  url.search = '';
  url.hash = '';
  url.searchParams.set('room', room);
  return url.toString();
}
