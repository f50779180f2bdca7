// Switchyard demo client: one publisher PeerConnection (our camera and microphone, offered by
// us) and one subscriber PeerConnection (everyone else's tracks, offered by the server).
// Signaling is protobuf canonical JSON over the WebSocket at /ws; see api/proto/signaling.proto.
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
    leaveButton: $('leave-button'),
    roomInfo: $('room-info'),
    roomName: $('room-name'),
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

  // The whole call's state. `session` is null while no call is up; a new object per join so
  // that late callbacks of a previous call (closed sockets, stale promises) can tell they are
  // stale by comparing against the current session.
  let session = null;
  // 'idle' | 'connecting' | 'joined' | 'error'
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
  // below kMinTileWidth the tiles go full width in one column and the area scrolls.
  const kMinTileWidth = 240;
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

  function initialOf(name) {
    const trimmed = (name || '?').trim();
    return (trimmed[0] || '?').toUpperCase();
  }

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
      send({ join: { room: current.room, name: current.name } });
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
    console.warn('switchyard: unknown server message', message);
  }

  async function onJoined(current, joined) {
    current.participantId = joined.participantId || '';
    current.joinedAt = performance.now();
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
      pc.addTransceiver(track, { direction: 'sendonly', streams: [current.localStream] });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    // The server is ICE-lite and the browser starts the connectivity checks towards the
    // server's candidates, so our own candidates need not be gathered before sending.
    send({ publishOffer: { sdp: pc.localDescription.sdp } });
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
    const p = upsertParticipant(current, { participantId: msg.participantId || '' });
    if (msg.track && msg.track.trackId) p.tracks.set(msg.track.trackId, msg.track);
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
    console.error(`switchyard: server error ${code}: ${text}`);
    showBanner(`Server error (${code}): ${text}`);
    // A failed join leaves nothing to show: go back to the form.
    if (!current.participantId) {
      current.leaving = true;
      teardown(current);
      setState('error');
      showCall(false);
    }
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
      };
      current.participants.set(id, p);
      createTile(current, p);
    }
    if (info.name) {
      p.name = info.name;
      p.tile.querySelector('.label-name').textContent = info.name;
      p.tile.querySelector('.avatar').textContent = initialOf(info.name);
    }
    for (const t of info.tracks || []) {
      if (t.trackId) p.tracks.set(t.trackId, t);
    }
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
    ui.grid.appendChild(tile);
    layoutGrid();
  }

  function attachTrack(current, p, track) {
    if (!p.stream.getTracks().includes(track)) p.stream.addTrack(track);
    if (track.kind === 'video') {
      watchFirstFrame(current, p);
      p.video.play().catch(() => {});
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

  // ---------------------------------------------------------------- stats

  // Per remote participant id: {video: {framesDecoded, frameWidth, frameHeight, freezeCount,
  // packetsReceived}, audio: {packetsReceived}}. Only live receivers are counted; a receiver
  // left over from a departed participant has no owner and is skipped.
  async function collectStats(current) {
    const result = {};
    if (!current || !current.subscriberPc) return result;
    const report = await current.subscriberPc.getStats();
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
          freezeCount: s.freezeCount || 0,
          packetsReceived: s.packetsReceived || 0,
          packetsLost: s.packetsLost || 0,
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

  function startStatsPoll(current) {
    current.statsTimer = setInterval(async () => {
      if (session !== current) return;
      const stats = await collectStats(current);
      for (const [id, entry] of Object.entries(stats)) {
        const p = current.participants.get(id);
        if (p && entry.video && entry.video.framesDecoded > 0) markFirstFrame(current, p);
      }
    }, 250);
  }

  // ---------------------------------------------------------------- join / leave

  async function getMedia() {
    const attempts = [
      { audio: true, video: { width: 1280, height: 720 } },
      { audio: false, video: { width: 1280, height: 720 } },
      { audio: true, video: false },
    ];
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

  async function join(room, name) {
    room = (room || '').trim();
    name = (name || '').trim();
    if (!kRoomPattern.test(room)) {
      showBanner("Room names use letters, digits, '-', '_' and '.' (at most 64).");
      return;
    }
    if (!name) {
      showBanner('Please enter your name.');
      return;
    }
    if (session) teardown(session);
    hideBanner();
    try {
      localStorage.setItem(kNameStorageKey, name);
    } catch (e) { /* storage may be disabled */ }
    const current = newSession(room, name);
    session = current;
    setState('connecting');
    ui.roomName.textContent = room;
    ui.localName.textContent = `${name} (you)`;
    ui.localTile.querySelector('.avatar').textContent = initialOf(name);
    ui.localTile.classList.remove('has-video');
    resetToggles();
    showCall(true);
    layoutGrid();
    history.replaceState(null, '', roomUrl(room));

    const stream = navigator.mediaDevices ? await getMedia() : null;
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
    participants: () => (session ? [...session.participants.values()] : []).map((p) => ({
      participantId: p.id,
      name: p.name,
      tracks: [...p.tracks.values()],
      receiving: p.stream.getTracks().map((t) => t.kind),
      hasTile: p.tile.isConnected,
    })),
    stats: () => collectStats(session),
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

  const params = new URLSearchParams(window.location.search);
  let savedName = '';
  try {
    savedName = localStorage.getItem(kNameStorageKey) || '';
  } catch (e) { /* storage may be disabled */ }
  ui.roomInput.value = params.get('room') || '';
  ui.nameInput.value = params.get('name') || savedName;
  renderStatus();
  if (params.get('room') && params.get('name')) {
    join(params.get('room'), params.get('name'));
  } else if (ui.roomInput.value) {
    ui.nameInput.focus();
  } else {
    ui.roomInput.focus();
  }
})();
