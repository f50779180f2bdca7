// The subscriber PeerConnection: everyone else's tracks, offered by the server
// (subscribeOffer -> subscribeAnswer). Each remote stream's id is its participant's id.

import { rtcConfiguration } from './config.js';
import { restartSubscriberIce, watchIce } from './ice_restart.js';
import { attachTrack, detachTrack, upsertParticipant } from './participants.js';
import { session } from './session.js';
import { send } from './signaling.js';
import { renderStatus } from './view.js';

export function createSubscriber(current) {
  const pc = new RTCPeerConnection(rtcConfiguration(current));
  pc.onconnectionstatechange = () => {
    if (session !== current) return;
    console.info('switchyard: subscriber', pc.connectionState);
    renderStatus();
  };
  watchIce(current, pc, () => restartSubscriberIce(current));
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

export async function onSubscribeOffer(current, offer) {
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

export function midOfTrack(current, track) {
  if (!current.subscriberPc) return null;
  for (const t of current.subscriberPc.getTransceivers()) {
    if (t.receiver.track === track) return t.mid;
  }
  return null;
}
