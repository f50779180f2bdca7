// ICE restarts (RFC 8445 §9) for a PeerConnection whose path is lost. A NAT that rebinds the
// page's flows recovers without one (the browser's checks from the new mapping re-nominate
// within ~3 s); a changed local network or a lost relay allocation needs new credentials.
// 'failed' restarts at once, 'disconnected' after a grace period if it has not recovered.
// The publisher PeerConnection is ours to offer: a publish offer with iceRestart. The
// subscriber's offers come from the server: we ask it for one (restart_ice).

import { session } from './session.js';
import { send } from './signaling.js';

const kDisconnectedGraceMs = 4_000;

// Restarts `pc` through `restart` whenever its ICE state calls for it.
export function watchIce(current, pc, restart) {
  let timer = null;
  pc.addEventListener('iceconnectionstatechange', () => {
    if (session !== current) return;
    clearTimeout(timer);
    const state = pc.iceConnectionState;
    if (state === 'failed') {
      restart();
    } else if (state === 'disconnected') {
      timer = setTimeout(() => {
        if (session === current && pc.iceConnectionState === 'disconnected') restart();
      }, kDisconnectedGraceMs);
    }
  });
}

// A publish offer under new ICE credentials; the answer arrives as any publishAnswer does.
export async function restartPublisherIce(current) {
  const pc = current.publisherPc;
  if (session !== current || !pc || pc.signalingState !== 'stable') return;
  current.iceRestarts = (current.iceRestarts || 0) + 1;
  console.info('switchyard: restarting ICE on the publisher connection');
  const offer = await pc.createOffer({ iceRestart: true });
  await pc.setLocalDescription(offer);
  send({ publishOffer: { sdp: pc.localDescription.sdp } });
}

// Asks the server for a subscribe offer under new ICE credentials.
export function restartSubscriberIce(current) {
  if (session !== current || !current.subscriberPc) return;
  current.iceRestarts = (current.iceRestarts || 0) + 1;
  console.info('switchyard: asking the server to restart ICE on the subscriber connection');
  send({ restartIce: {} });
}
