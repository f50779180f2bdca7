// The signaling WebSocket at /ws: protobuf canonical JSON (api/proto/signaling.proto), one
// message per frame. Server messages are handled strictly in order, one after the other
// (SDP handling is async), except `disconnected`, which is handled at once.

import { onDisconnected, onError, onJoined, teardown } from './call.js';
import { onData } from './data.js';
import { onPublishAnswer } from './publisher.js';
import { onRoomUpdated } from './local.js';
import { onParticipantJoined, onParticipantLeft, onParticipantUpdated, onTrackMuted,
  onTrackPublished, onTrackUnpublished } from './participants.js';
import { session } from './session.js';
import { onSubscribeOffer } from './subscriber.js';
import { onSubscriptionState } from './subscriptions.js';
import { onActiveSpeakers } from './tiles.js';
import { setState, showBanner, showCall } from './view.js';

// Sends `message` on the current session's socket; dropped while it is not open.
export function send(message) {
  if (session && session.ws && session.ws.readyState === WebSocket.OPEN) {
    session.ws.send(JSON.stringify(message));
  }
}

// Connects `current` and sends `join` with its token once the socket is open.
export function openSocket(current) {
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
