// Switchyard demo client: one publisher PeerConnection (our camera and microphone, offered by
// us) and one subscriber PeerConnection (everyone else's tracks, offered by the server).
// Signaling is protobuf canonical JSON over the WebSocket at /ws; see api/proto/signaling.proto.
//
// Video is published as three simulcast layers; for every remote video tile the page tells the
// server how large the tile is (device pixels), whether it is visible and whether it is pinned
// (updateSubscription), and the server picks the layer to forward.
//
// Joining needs a join token (a JWT naming the room and our identity). The page takes it from
// the `token` URL switch, else asks GET /dev/token, which only a server in dev mode answers.
// The server may end the session (`disconnected`: removed through the room API, room deleted,
// the same identity joined elsewhere, media lost, shutdown): the page then shows why and goes
// back to the join form without rejoining by itself.
//
// URL switches: room, name (join at once); token=<jwt> (join with this token: room and name
// default to the token's); identity=<id> (the identity asked of /dev/token; default: one the
// server picks); simulcast=0 (publish one encoding); codec=vp8|vp9|h264|av1 (preferred video
// codec); video=0 (publish the microphone only); publish=0 (join as a viewer: publish nothing);
// stats=0|1 (per-tile stats badges).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
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

  const kNameStorageKey = 'switchyard.name';
  const kRoomPattern = /^[A-Za-z0-9_.-]{1,64}$/;

  const params = new URLSearchParams(window.location.search);
  const options = {
    simulcast: params.get('simulcast') !== '0',
    codec: (params.get('codec') || '').toLowerCase(),
    publishAudio: params.get('publish') !== '0',
    publishVideo: params.get('publish') !== '0' && params.get('video') !== '0',
    // A join token handed to the page (production); without it the page asks /dev/token.
    token: params.get('token') || '',
    identity: params.get('identity') || '',
  };
  // The claims of options.token (unverified: only to prefill the form), or null.
  const tokenClaims = decodeTokenClaims(options.token);

  // What the server said when it ended the last session, for the banner and the test hooks;
  // reset on every join.
  const kDisconnectTexts = {
    removed: 'You were removed from the room.',
    room_deleted: 'The room was closed.',
    duplicate_identity: 'You joined this room from another tab or device, so this one was disconnected.',
    transport_closed: 'The media connection to the server was lost.',
    server_shutdown: 'The server is shutting down.',
  };
  let lastDisconnect = null;  // {reason, at}
  // Why the last join could not get a token: '' | 'needs_token' | the banner text.
  let tokenProblem = '';
  // The identity of the current or last session (kept after a disconnect for the hooks).
  let lastIdentity = '';
  // The latest application data messages (from other participants or the room API), oldest
  // first, at most kDataMessagesKept.
  const kDataMessagesKept = 20;
  let dataMessages = [];

  // Lowest layer first: the rids name the layers in the SDP (RFC 8853) and the server orders
  // them by resolution. The top layer's bitrate lets 1280x720 be sent once the estimate allows.
  const kSimulcastEncodings = [
    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: 'f', maxBitrate: 2_500_000 },
  ];
  // Tile size changes settle (window drags, layout transitions) before the server hears of them.
  const kResizeDebounceMs = 300;

  // The whole call's state. `session` is null while no call is up; a new object per join so
  // that late callbacks of a previous call (closed sockets, stale promises) can tell they are
  // stale by comparing against the current session.
  let session = null;
  // 'idle' | 'connecting' | 'joined' | 'error' | 'disconnected' (the server ended the session)
  let state = 'idle';

  function newSession(room, name) {
    return {
      room,
      name,
      ws: null,
      localStream: null,
      publisherPc: null,
      subscriberPc: null,
      participantId: '',
      // From `joined.local` (and participantUpdated for ourselves): identity, permission,
      // metadata as the room API shows them.
      identity: '',
      local: null,
      // The room as of `joined.roomInfo` / roomUpdated (name, sid, metadata, ...).
      roomInfo: null,
      // Remote participants by id: {id, name, tracks: Map(trackId -> TrackInfo), stream,
      // tile, video, audio, seenAt, firstFrameAt}.
      participants: new Map(),
      // Receiver track id / mid -> participant id, filled in ontrack; used to attribute
      // inbound-rtp stats to participants.
      trackOwner: new Map(),
      midOwner: new Map(),
      // Server messages are handled strictly in order; SDP handling is async.
      queue: Promise.resolve(),
      leaving: false,
      joinStartedAt: performance.now(),
      joinedAt: null,
      firstRemoteFrameAt: null,
      statsTimer: null,
      // Latest subscriptionState per server track id, and the latest activeSpeakers list.
      subscriptionStates: new Map(),
      activeSpeakers: [],
      // The participant whose tile is shown large, or ''.
      pinnedId: '',
      // Set once the server rejects updateSubscription (a server without simulcast support).
      subscriptionUnsupported: false,
      publisherStats: [],
    };
  }

  // ---------------------------------------------------------------- UI helpers

  function setState(next) {
    state = next;
    renderStatus();
  }

  function renderStatus() {
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

  function showBanner(text, kind = 'error') {
    ui.bannerText.textContent = text;
    ui.banner.dataset.kind = kind;
    ui.banner.hidden = false;
  }

  function hideBanner() {
    ui.banner.hidden = true;
  }

  function showCall(on) {
    ui.joinView.hidden = on;
    ui.callView.hidden = !on;
    ui.controls.hidden = !on;
    ui.roomInfo.hidden = !on;
    layoutGrid();
  }

  // Picks the column count whose tiles come out largest while all rows fit the call area;
  // below kMinTileWidth the tiles go full width in one column and the area scrolls. With a
  // pinned tile, that tile takes what the row of small ones below it leaves.
  const kMinTileWidth = 240;
  const kThumbWidth = { min: 120, max: 220 };
  function layoutGrid() {
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

  // The payload of a JWT, or null. Not verified (the server does that): it only fills in the
  // room and name the token is for.
  function decodeTokenClaims(token) {
    const part = (token || '').split('.')[1];
    if (!part) return null;
    try {
      const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
      const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
      const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === 'object' ? claims : null;
    } catch (e) {
      console.warn('switchyard: the token URL switch is not a JWT:', e);
      return null;
    }
  }

  function initialOf(name) {
    const trimmed = (name || '?').trim();
    return (trimmed[0] || '?').toUpperCase();
  }

  // This page's address after joining `room`: the room plus the switches a reload needs to
  // join the same way (the token and identity; not the name, which the form remembers).
  function pageUrl(room) {
    const url = new URL(roomUrl(room));
    for (const key of ['token', 'identity']) {
      if (params.get(key)) url.searchParams.set(key, params.get(key));
    }
    return url.toString();
  }

  // The link to share: the room only (never our token).
  function roomUrl(room) {
    const url = new URL(window.location.href);
    url.search = '';
    url.hash = '';
    url.searchParams.set('room', room);
    return url.toString();
  }

  // ---------------------------------------------------------------- signaling

  function send(message) {
    if (session && session.ws && session.ws.readyState === WebSocket.OPEN) {
      session.ws.send(JSON.stringify(message));
    }
  }

  function openSocket(current) {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${window.location.host}/ws`);
    current.ws = ws;
    ws.onopen = () => {
      if (session !== current) return;
      send({ join: { room: current.room, name: current.name, token: current.token } });
    };
    ws.onmessage = (event) => {
      if (session !== current) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        console.warn('switchyard: unparsable server message', event.data);
        return;
      }
      // Handled at once, not behind pending SDP work: the close that follows must not be
      // taken for a lost connection.
      if (message.disconnected) {
        onDisconnected(current, message.disconnected);
        return;
      }
      current.queue = current.queue
        .then(() => handleServerMessage(current, message))
        .catch((e) => {
          console.error('switchyard: handling', Object.keys(message)[0], 'failed:', e);
          showBanner(`Something went wrong: ${e.message || e}`);
        });
    };
    ws.onclose = (event) => {
      if (session !== current || current.leaving) return;
      const reason = event.reason ? `: ${event.reason}` : '';
      console.warn(`switchyard: WebSocket closed (code ${event.code}${reason})`);
      teardown(current);
      setState('error');
      showCall(false);
      showBanner(`Lost the connection to the server (code ${event.code}${reason}).`);
    };
    ws.onerror = () => {
      // A close event always follows; it reports the failure.
    };
  }

  async function handleServerMessage(current, message) {
    if (session !== current) return;
    if (message.joined) return onJoined(current, message.joined);
    if (message.publishAnswer) return onPublishAnswer(current, message.publishAnswer);
    if (message.subscribeOffer) return onSubscribeOffer(current, message.subscribeOffer);
    if (message.participantJoined) return onParticipantJoined(current, message.participantJoined);
    if (message.participantLeft) return onParticipantLeft(current, message.participantLeft);
    if (message.trackPublished) return onTrackPublished(current, message.trackPublished);
    if (message.trackUnpublished) return onTrackUnpublished(current, message.trackUnpublished);
    if (message.error) return onError(current, message.error);
    if (message.activeSpeakers) return onActiveSpeakers(current, message.activeSpeakers);
    if (message.subscriptionState) return onSubscriptionState(current, message.subscriptionState);
    if (message.trackMuted) return onTrackMuted(current, message.trackMuted);
    if (message.participantUpdated) return onParticipantUpdated(current, message.participantUpdated);
    if (message.roomUpdated) return onRoomUpdated(current, message.roomUpdated);
    if (message.data) return onData(current, message.data);
    console.warn('switchyard: unknown server message', message);
  }

  async function onJoined(current, joined) {
    current.participantId = joined.participantId || '';
    current.joinedAt = performance.now();
    if (joined.local) applyLocalInfo(current, joined.local);
    if (joined.roomInfo) applyRoomInfo(current, joined.roomInfo);
    for (const info of joined.participants || []) upsertParticipant(current, info);
    setState('joined');
    current.subscriberPc = createSubscriber(current);
    await publish(current);
    layoutGrid();
  }

  async function publish(current) {
    const tracks = current.localStream ? current.localStream.getTracks() : [];
    if (tracks.length === 0) return;  // Nothing to send: receive-only participant.
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    current.publisherPc = pc;
    pc.onconnectionstatechange = () => {
      if (session !== current) return;
      console.info('switchyard: publisher', pc.connectionState);
      renderStatus();
    };
    // Audio first so the m-line order is stable (mid 0 audio, mid 1 video).
    const ordered = [...tracks].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'audio' ? -1 : 1));
    for (const track of ordered) {
      const init = { direction: 'sendonly', streams: [current.localStream] };
      if (track.kind === 'video' && options.simulcast) {
        init.sendEncodings = kSimulcastEncodings.map((e) => ({ ...e }));
      }
      const transceiver = pc.addTransceiver(track, init);
      if (track.kind === 'video' && options.codec) preferCodec(transceiver, options.codec);
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    // The server is ICE-lite and the browser starts the connectivity checks towards the
    // server's candidates, so our own candidates need not be gathered before sending.
    send({ publishOffer: { sdp: pc.localDescription.sdp } });
  }

  // Puts `name`'s payload types first in the offer; the rest stay as fallbacks (and RTX/RED/FEC
  // keep working). Without it the browser's default order applies (VP8 first in Chromium).
  function preferCodec(transceiver, name) {
    if (!transceiver.setCodecPreferences) return;
    const mime = `video/${name}`;
    for (const caps of [RTCRtpSender.getCapabilities, RTCRtpReceiver.getCapabilities]) {
      const codecs = (caps && caps('video') || {}).codecs || [];
      const wanted = codecs.filter((c) => c.mimeType.toLowerCase() === mime);
      if (wanted.length === 0) continue;
      try {
        transceiver.setCodecPreferences(
            [...wanted, ...codecs.filter((c) => c.mimeType.toLowerCase() !== mime)]);
        return;
      } catch (e) {
        console.warn(`switchyard: cannot prefer ${name}:`, e);
      }
    }
    console.warn(`switchyard: codec ${name} is not available; using the default`);
  }

  async function onPublishAnswer(current, answer) {
    if (!current.publisherPc) return;
    await current.publisherPc.setRemoteDescription({ type: 'answer', sdp: answer.sdp || '' });
  }

  function createSubscriber(current) {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.onconnectionstatechange = () => {
      if (session !== current) return;
      console.info('switchyard: subscriber', pc.connectionState);
      renderStatus();
    };
    pc.ontrack = (event) => {
      if (session !== current) return;
      const stream = event.streams[0];
      const participantId = stream ? stream.id : '';
      if (!participantId) {
        console.warn('switchyard: remote track without a stream id, ignored');
        return;
      }
      const track = event.track;
      current.trackOwner.set(track.id, participantId);
      const mid = event.transceiver && event.transceiver.mid;
      if (mid != null) current.midOwner.set(mid, participantId);
      const p = upsertParticipant(current, { participantId });
      attachTrack(current, p, track);
      track.addEventListener('ended', () => detachTrack(current, p, track));
      if (stream) {
        // Fires when the server's renegotiation stops sending this track (m-line inactive).
        stream.addEventListener('removetrack', (e) => {
          if (e.track === track) detachTrack(current, p, track);
        });
      }
    };
    return pc;
  }

  async function onSubscribeOffer(current, offer) {
    const pc = current.subscriberPc || (current.subscriberPc = createSubscriber(current));
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp || '' });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ subscribeAnswer: { sdp: pc.localDescription.sdp } });
    // Mids are assigned now; refresh the mid map for transceivers that already had tracks.
    for (const t of pc.getTransceivers()) {
      const owner = t.receiver.track && current.trackOwner.get(t.receiver.track.id);
      if (owner && t.mid != null) current.midOwner.set(t.mid, owner);
    }
  }

  function onParticipantJoined(current, msg) {
    if (!msg.participant) return;
    upsertParticipant(current, msg.participant);
    layoutGrid();
  }

  function onParticipantLeft(current, msg) {
    removeParticipant(current, msg.participantId || '');
  }

  function onTrackPublished(current, msg) {
    upsertParticipant(current, {
      participantId: msg.participantId || '',
      tracks: msg.track ? [msg.track] : [],
    });
  }

  function onTrackUnpublished(current, msg) {
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

  function onError(current, error) {
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
  function onDisconnected(current, msg) {
    const reason = msg.reason || '';
    lastDisconnect = { reason, at: performance.now() };
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

  function onTrackMuted(current, msg) {
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

  function onParticipantUpdated(current, info) {
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

  function onRoomUpdated(current, room) {
    console.info('switchyard: room updated', room);
    applyRoomInfo(current, room);
  }

  function onData(current, msg) {
    const entry = {
      participantId: msg.participantId || '',
      topic: msg.topic || '',
      payload: msg.payload || '',  // base64, as canonical JSON carries bytes
      text: decodeBase64Text(msg.payload || ''),
      receivedAt: performance.now(),
    };
    const from = entry.participantId
      ? (current.participants.get(entry.participantId) || {}).name || entry.participantId
      : 'the server';
    console.info(`switchyard: data from ${from}${entry.topic ? ` on "${entry.topic}"` : ''}: ` +
        entry.text.slice(0, 200));
    dataMessages.push(entry);
    if (dataMessages.length > kDataMessagesKept) dataMessages = dataMessages.slice(-kDataMessagesKept);
  }

  // Payloads are usually text; anything else shows as null.
  function decodeBase64Text(base64) {
    try {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (e) {
      return null;
    }
  }

  function applyLocalInfo(current, info) {
    current.local = info;
    current.identity = info.identity || current.identity;
    lastIdentity = current.identity;
    if (info.name && info.name !== current.name) {
      current.name = info.name;
      ui.localName.textContent = `${info.name} (you)`;
      ui.localTile.querySelector('.avatar').textContent = initialOf(info.name);
    }
    renderLocalMuted(current);
  }

  function applyRoomInfo(current, room) {
    current.roomInfo = room;
    const metadata = room.metadata || '';
    ui.roomName.textContent = current.room;
    ui.roomName.title = metadata ? `Room metadata: ${metadata}` : '';
    ui.roomMetadata.textContent = metadata;
    ui.roomMetadata.hidden = !metadata;
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

  // Our own tracks muted by the room's administrator: we still send, nobody receives.
  function renderLocalMuted(current) {
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

  function setMutedIndicator(tile, video, audio, other = false) {
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

  // Canonical JSON names enum values; accept numbers too.
  function isVideoKind(kind) {
    return kind === 'TRACK_KIND_VIDEO' || kind === 2;
  }

  function isAudioKind(kind) {
    return kind === 'TRACK_KIND_AUDIO' || kind === 1;
  }

  function midOfTrack(current, track) {
    if (!current.subscriberPc) return null;
    for (const t of current.subscriberPc.getTransceivers()) {
      if (t.receiver.track === track) return t.mid;
    }
    return null;
  }

  // ---------------------------------------------------------------- participants and tiles

  function upsertParticipant(current, info) {
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

  function createTile(current, p) {
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

  function attachTrack(current, p, track) {
    if (!p.stream.getTracks().includes(track)) p.stream.addTrack(track);
    if (track.kind === 'video') {
      watchFirstFrame(current, p);
      p.video.play().catch(() => {});
      scheduleSubscription(current, p, 0);
    } else {
      playAudio(p.audio);
    }
  }

  function detachTrack(current, p, track) {
    if (!p.stream.getTracks().includes(track)) return;
    p.stream.removeTrack(track);
    current.trackOwner.delete(track.id);
    if (track.kind === 'video' && p.stream.getVideoTracks().length === 0) {
      p.tile.classList.remove('has-video');
      // A republished track starts from scratch: the server forgets the old one's settings.
      p.sub.lastSent = '';
    }
  }

  function removeParticipant(current, id) {
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

  function markFirstFrame(current, p) {
    if (session !== current || p.firstFrameAt != null) return;
    p.firstFrameAt = performance.now();
    if (current.firstRemoteFrameAt == null) current.firstRemoteFrameAt = p.firstFrameAt;
    console.info(`switchyard: first frame from ${p.name || p.id} after ` +
        `${Math.round(p.firstFrameAt - current.joinStartedAt)} ms`);
  }

  // ---------------------------------------------------------------- layer selection

  // The server's id for a participant's video track (TrackInfo), else the receiver's track id,
  // which Chromium takes from the msid.
  function videoTrackIdOf(p) {
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
  const tileObservers = {
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

  function scheduleSubscription(current, p, delayMs) {
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
  function sendSubscription(current, p, force = false) {
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

  function togglePin(current, id) {
    setPinned(current, current.pinnedId === id ? '' : id);
  }

  // Shows `id`'s tile large (or none, for ''). Pinned tracks get bandwidth first on the server.
  function setPinned(current, id) {
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

  function onActiveSpeakers(current, msg) {
    current.activeSpeakers = msg.participantIds || [];
    renderSpeakers(current);
  }

  // Rings the dominant speaker's tile (ours too, so one can tell that the server hears us).
  function renderSpeakers(current) {
    const dominant = current.activeSpeakers[0] || '';
    for (const p of current.participants.values()) {
      p.tile.classList.toggle('speaking', p.id === dominant);
    }
    ui.localTile.classList.toggle('speaking', dominant !== '' && dominant === current.participantId);
  }

  function onSubscriptionState(current, msg) {
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

  function ownerOfTrack(current, trackId) {
    for (const p of current.participants.values()) {
      if (p.tracks.has(trackId)) return p;
    }
    const id = current.trackOwner.get(trackId);
    return id ? current.participants.get(id) || null : null;
  }

  // ---------------------------------------------------------------- stats badges

  let statsShown = false;

  function formatBps(bps) {
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
  function renderBadge(current, p) {
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
  function renderLocalBadge(current) {
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

  function setStatsShown(on) {
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

  // ---------------------------------------------------------------- stats

  // Per remote participant id: {video: {framesDecoded, frameWidth, frameHeight, freezeCount,
  // totalFreezesDuration, keyFramesDecoded, ...}, audio: {packetsReceived}}. Only live
  // receivers are counted; a receiver left over from a departed participant has no owner and
  // is skipped.
  async function collectStats(current) {
    const result = {};
    if (!current || !current.subscriberPc) return result;
    const report = await current.subscriberPc.getStats();
    const codecs = codecNames(report);
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const owner = (s.trackIdentifier && current.trackOwner.get(s.trackIdentifier)) ||
          (s.mid != null && current.midOwner.get(s.mid));
      if (!owner || !current.participants.has(owner)) return;
      const entry = result[owner] || (result[owner] = {});
      const kind = s.kind || s.mediaType;
      if (kind === 'video') {
        const prev = entry.video;
        if (prev && prev.framesDecoded >= (s.framesDecoded || 0)) return;
        entry.video = {
          framesDecoded: s.framesDecoded || 0,
          frameWidth: s.frameWidth || 0,
          frameHeight: s.frameHeight || 0,
          framesPerSecond: s.framesPerSecond || 0,
          freezeCount: s.freezeCount || 0,
          totalFreezesDuration: s.totalFreezesDuration || 0,
          keyFramesDecoded: s.keyFramesDecoded != null ? s.keyFramesDecoded : null,
          framesDropped: s.framesDropped || 0,
          pliCount: s.pliCount || 0,
          firCount: s.firCount || 0,
          nackCount: s.nackCount || 0,
          bytesReceived: s.bytesReceived || 0,
          packetsReceived: s.packetsReceived || 0,
          packetsLost: s.packetsLost || 0,
          codec: codecs.get(s.codecId) || '',
        };
      } else if (kind === 'audio') {
        const prev = entry.audio;
        if (prev && prev.packetsReceived >= (s.packetsReceived || 0)) return;
        entry.audio = {
          packetsReceived: s.packetsReceived || 0,
          packetsLost: s.packetsLost || 0,
        };
      }
    });
    return result;
  }

  function codecNames(report) {
    const names = new Map();
    report.forEach((s) => {
      if (s.type === 'codec') names.set(s.id, (s.mimeType || '').replace(/^video\//, ''));
    });
    return names;
  }

  // The local publisher's video encodings, lowest first: [{rid, frameWidth, frameHeight,
  // bytesSent, qualityLimitationReason, ...}] (one entry without rid when not simulcasting).
  async function collectPublisherStats(current) {
    if (!current || !current.publisherPc) return [];
    const report = await current.publisherPc.getStats();
    const codecs = codecNames(report);
    const layers = [];
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp' || (s.kind || s.mediaType) !== 'video') return;
      layers.push({
        rid: s.rid || '',
        ssrc: s.ssrc,
        active: s.active !== false,
        frameWidth: s.frameWidth || 0,
        frameHeight: s.frameHeight || 0,
        framesPerSecond: s.framesPerSecond || 0,
        framesEncoded: s.framesEncoded || 0,
        keyFramesEncoded: s.keyFramesEncoded || 0,
        bytesSent: s.bytesSent || 0,
        targetBitrate: s.targetBitrate || 0,
        qualityLimitationReason: s.qualityLimitationReason || 'none',
        scalabilityMode: s.scalabilityMode || '',
        encoderImplementation: s.encoderImplementation || '',
        pliCount: s.pliCount || 0,
        firCount: s.firCount || 0,
        nackCount: s.nackCount || 0,
        codec: codecs.get(s.codecId) || '',
      });
    });
    const order = (l) => (l.rid ? kSimulcastEncodings.findIndex((e) => e.rid === l.rid) : -1);
    layers.sort((a, b) => order(a) - order(b));
    current.publisherStats = layers;
    return layers;
  }

  // The publisher's send-side bandwidth estimate, from the selected candidate pair.
  async function collectPublisherBandwidth(current) {
    if (!current || !current.publisherPc) return null;
    const report = await current.publisherPc.getStats();
    let result = null;
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        result = {
          availableOutgoingBitrate: s.availableOutgoingBitrate || 0,
          currentRoundTripTime: s.currentRoundTripTime || 0,
          bytesSent: s.bytesSent || 0,
        };
      }
    });
    return result;
  }

  let statsTick = 0;
  function startStatsPoll(current) {
    current.statsTimer = setInterval(async () => {
      if (session !== current) return;
      const stats = await collectStats(current);
      if (session !== current) return;
      for (const [id, entry] of Object.entries(stats)) {
        const p = current.participants.get(id);
        if (!p) continue;
        p.decoded = entry.video || null;
        if (entry.video && entry.video.framesDecoded > 0) markFirstFrame(current, p);
      }
      if (!statsShown) return;
      for (const p of current.participants.values()) renderBadge(current, p);
      // The publisher's layers change slowly; once a second is plenty.
      if (statsTick++ % 4 === 0) {
        await collectPublisherStats(current);
        if (session === current) renderLocalBadge(current);
      }
    }, 250);
  }

  // ---------------------------------------------------------------- join / leave

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

  const kNeedsTokenText = 'This server needs a join token: add ?token=… (a token from the ' +
      'application that invited you) to the address.';

  // {token, identity} for joining `room` as `name`: the token URL switch, else one from the
  // dev-mode endpoint. Throws an Error whose message is fit for the banner.
  async function obtainToken(room, name) {
    if (options.token) {
      return { token: options.token, identity: (tokenClaims && tokenClaims.sub) || '' };
    }
    const query = new URLSearchParams({ room });
    if (name) query.set('name', name);
    if (options.identity) query.set('identity', options.identity);
    let response;
    try {
      response = await fetch(`/dev/token?${query}`, { cache: 'no-store' });
    } catch (e) {
      throw new Error(`Could not reach the server to get a join token (${e.message || e}).`);
    }
    // Only a server in dev mode routes /dev/token; elsewhere it is a missing file.
    if (response.status === 404 || response.status === 405) {
      const error = new Error(kNeedsTokenText);
      error.needsToken = true;
      throw error;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) { /* reported below */ }
    if (!response.ok || !body || typeof body.token !== 'string' || !body.token) {
      const detail = body && (body.msg || body.message) ? `: ${body.msg || body.message}` : '';
      throw new Error(`The server refused a join token (HTTP ${response.status}${detail}).`);
    }
    return { token: body.token, identity: body.identity || '' };
  }

  async function join(room, name) {
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
    session = current;
    lastDisconnect = null;
    dataMessages = [];
    tokenProblem = '';
    setState('connecting');
    ui.joinButton.disabled = true;
    let token;
    try {
      token = await obtainToken(room, name);
    } catch (e) {
      if (session !== current) return;
      console.warn('switchyard: no join token:', e.message || e);
      tokenProblem = e.needsToken ? 'needs_token' : (e.message || String(e));
      session = null;
      setState('error');
      showBanner(e.message || String(e));
      return;
    } finally {
      ui.joinButton.disabled = false;
    }
    if (session !== current) return;
    current.token = token.token;
    current.identity = token.identity;
    lastIdentity = token.identity;
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

  function teardown(current) {
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
    if (session === current) session = null;
  }

  function leave() {
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

  function resetToggles() {
    for (const button of [ui.micButton, ui.cameraButton]) {
      button.setAttribute('aria-pressed', 'false');
      button.classList.remove('off');
    }
    ui.localTile.classList.remove('camera-off');
  }

  function toggle(kind, button) {
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

  async function copyLink() {
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

  // ---------------------------------------------------------------- wiring

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    join(ui.roomInput.value, ui.nameInput.value);
  });
  ui.leaveButton.addEventListener('click', leave);
  ui.micButton.addEventListener('click', () => toggle('audio', ui.micButton));
  ui.cameraButton.addEventListener('click', () => toggle('video', ui.cameraButton));
  ui.copyLinkButton.addEventListener('click', copyLink);
  ui.statsButton.addEventListener('click', () => setStatsShown(!statsShown));
  document.addEventListener('visibilitychange', () => {
    if (!session) return;
    for (const p of session.participants.values()) scheduleSubscription(session, p, 0);
  });
  ui.bannerClose.addEventListener('click', hideBanner);
  // The call area changes size with the window and when the banner comes and goes.
  new ResizeObserver(() => layoutGrid()).observe(ui.callView);
  window.addEventListener('pagehide', () => {
    if (session) {
      session.leaving = true;
      send({ leave: {} });
      teardown(session);
    }
  });

  // Test and debugging hooks (used by tests/e2e).
  window.switchyard = {
    state: () => state,
    localParticipantId: () => (session ? session.participantId : ''),
    // The identity we joined as (from the token, confirmed by `joined.local`).
    identity: () => (session ? session.identity : lastIdentity),
    // `joined.local` as updated since (identity, permission, metadata, our tracks).
    localInfo: () => (session && session.local ? JSON.parse(JSON.stringify(session.local)) : null),
    roomInfo: () => (session && session.roomInfo ? { ...session.roomInfo } : null),
    // The server's reason when it ended the last session ('removed', 'room_deleted', ...), or
    // '' (also after leaving by ourselves); cleared by the next join.
    disconnectReason: () => (lastDisconnect ? lastDisconnect.reason : ''),
    // 'needs_token' when the server has no /dev/token and no token switch was given, another
    // text when getting a token failed otherwise, else ''.
    tokenProblem: () => tokenProblem,
    // The latest data messages: [{participantId, topic, payload (base64), text, receivedAt}].
    dataMessages: () => dataMessages.map((m) => ({ ...m })),
    // Sends `text` on `topic` to the given participant ids (or everyone else).
    sendData: (topic, text, destinationParticipantIds = []) => {
      const bytes = new TextEncoder().encode(text);
      let binary = '';
      for (const b of bytes) binary += String.fromCharCode(b);
      send({ sendData: { topic, payload: btoa(binary), destinationParticipantIds } });
    },
    // The banner's text while it is shown, else ''.
    banner: () => (ui.banner.hidden ? '' : ui.bannerText.textContent),
    participants: () => (session ? [...session.participants.values()] : []).map((p) => ({
      participantId: p.id,
      name: p.name,
      identity: p.identity || '',
      metadata: p.metadata || '',
      tracks: [...p.tracks.values()].map((t) => ({ ...t })),
      receiving: p.stream.getTracks().map((t) => t.kind),
      hasTile: p.tile.isConnected,
      videoMuted: p.tile.classList.contains('video-muted'),
      audioMuted: p.tile.classList.contains('audio-muted'),
    })),
    stats: () => collectStats(session),
    publisherStats: () => collectPublisherStats(session),
    publisherBandwidth: () => collectPublisherBandwidth(session),
    // Asks for `participantId`'s video as given ({width, height, maxSpatialLayer,
    // maxTemporalLayer, paused}; sizes in device pixels) and stops the automatic size and
    // visibility updates for it, so a test controls the subscription. Returns the message sent
    // (null while the track id is unknown: it is sent once known).
    setPreference: (participantId, preference = {}) => {
      const p = session && session.participants.get(participantId);
      if (!p) throw new Error(`unknown participant ${participantId}`);
      p.sub.manual = {
        width: Math.max(0, Math.round(preference.width || 0)),
        height: Math.max(0, Math.round(preference.height || 0)),
        maxSpatialLayer: preference.maxSpatialLayer != null ? preference.maxSpatialLayer : null,
        maxTemporalLayer: preference.maxTemporalLayer != null ? preference.maxTemporalLayer : null,
        paused: Boolean(preference.paused),
      };
      clearTimeout(p.sub.timer);
      return sendSubscription(session, p, true);
    },
    // Back to automatic (tile size and visibility) updates.
    clearPreference: (participantId) => {
      const p = session && session.participants.get(participantId);
      if (!p) return;
      p.sub.manual = null;
      sendSubscription(session, p, true);
    },
    pin: (participantId) => session && setPinned(session, participantId || ''),
    // Latest subscriptionState per remote participant id (by server track id when the owner
    // is unknown).
    subscriptionStates: () => {
      const result = {};
      if (!session) return result;
      for (const [trackId, state] of session.subscriptionStates) {
        const p = ownerOfTrack(session, trackId);
        result[p ? p.id : `track:${trackId}`] = { ...state };
      }
      return result;
    },
    activeSpeakers: () => (session ? [...session.activeSpeakers] : []),
    // performance.now() based milestones; firstFrameAt per remote participant id.
    timings: () => {
      if (!session) return null;
      const perParticipant = {};
      for (const p of session.participants.values()) {
        perParticipant[p.id] = { name: p.name, seenAt: p.seenAt, firstFrameAt: p.firstFrameAt };
      }
      return {
        joinStartedAt: session.joinStartedAt,
        joinedAt: session.joinedAt,
        firstRemoteFrameAt: session.firstRemoteFrameAt,
        participants: perParticipant,
      };
    },
    connection: () => ({
      ws: session && session.ws ? session.ws.readyState : null,
      publisher: session && session.publisherPc ? session.publisherPc.connectionState : null,
      subscriber: session && session.subscriberPc ? session.subscriberPc.connectionState : null,
    }),
    join,
    leave,
  };

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
})();
