// The whole call's state. `session` is null while no call is up; a new object per join so
// that late callbacks of a previous call (closed sockets, stale promises) can tell they are
// stale by comparing against the current session. Every module reads the live binding;
// only the join flow (call.js) replaces it, through setSession.

export let session = null;

export function setSession(next) {
  session = next;
}

// What outlives a session, for the banner and the test hooks.
export const sessionRecord = {
  // What the server said when it ended the last session ({reason, at}); reset on every join.
  lastDisconnect: null,
  // Why the last join could not get a token: '' | 'needs_token' | the banner text.
  tokenProblem: '',
  // The identity of the current or last session (kept after a disconnect for the hooks).
  lastIdentity: '',
};

export function newSession(room, name) {
  return {
    room,
    name,
    ws: null,
    localStream: null,
    publisherPc: null,
    subscriberPc: null,
    // From `joined`: the server's STUN/TURN service with our credentials (RTCIceServer[]).
    iceServers: [],
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
