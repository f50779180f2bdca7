// The publisher PeerConnection: our camera and microphone, offered by us (publishOffer ->
// publishAnswer). Video goes out as three simulcast layers unless simulcast=0.

import { options, rtcConfiguration } from './config.js';
import { restartPublisherIce, watchIce } from './ice_restart.js';
import { session } from './session.js';
import { send } from './signaling.js';
import { renderStatus } from './view.js';

// Lowest layer first: the rids name the layers in the SDP (RFC 8853) and the server orders
// them by resolution. The top layer's bitrate lets 1280x720 be sent once the estimate allows.
export const kSimulcastEncodings = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', maxBitrate: 2_500_000 },
];

export async function publish(current) {
  const tracks = current.localStream ? current.localStream.getTracks() : [];
  if (tracks.length === 0) return;  // Nothing to send: receive-only participant.
  const pc = new RTCPeerConnection(rtcConfiguration(current, { rtcpMuxPolicy: 'require' }));
  current.publisherPc = pc;
  pc.onconnectionstatechange = () => {
    if (session !== current) return;
    console.info('switchyard: publisher', pc.connectionState);
    renderStatus();
  };
  watchIce(current, pc, () => {
    restartPublisherIce(current).catch((e) => console.warn('switchyard: ICE restart failed:', e));
  });
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

export async function onPublishAnswer(current, answer) {
  if (!current.publisherPc) return;
  await current.publisherPc.setRemoteDescription({ type: 'answer', sdp: answer.sdp || '' });
}
