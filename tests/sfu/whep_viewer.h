#ifndef SWITCHYARD_TESTS_SFU_WHEP_VIEWER_H_
#define SWITCHYARD_TESTS_SFU_WHEP_VIEWER_H_

#include <cstdint>
#include <string>

#include "tests/sfu/test_peer.h"

namespace switchyard::sfu::testing {

// What a WHEP player's offer (RFC 9725-style egress) contains: recvonly audio (mid "0") and
// video (mid "1") in one BUNDLE group with the peer's ICE credentials, its fingerprint and
// a=setup:actpass, numbered the way a browser or GStreamer numbers them, which need not match
// any publisher's numbering. Video offers H.264 first (which the test publishers never send)
// and VP8 with RTX.
struct WhepOfferOptions {
  bool audio = true;
  bool video = true;
  uint8_t opus_payload_type = 109;
  uint8_t h264_payload_type = 102;
  uint8_t h264_rtx_payload_type = 103;
  uint8_t vp8_payload_type = 120;
  uint8_t vp8_rtx_payload_type = 121;
  uint8_t mid_id = 9;
  uint8_t audio_level_id = 7;
  uint8_t transport_cc_id = 5;  // 0 = not offered
};

std::string CreateWhepOffer(const TestPeer& peer, const WhepOfferOptions& options = {});

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_WHEP_VIEWER_H_
