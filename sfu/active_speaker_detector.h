#ifndef SWITCHYARD_SFU_ACTIVE_SPEAKER_DETECTOR_H_
#define SWITCHYARD_SFU_ACTIVE_SPEAKER_DETECTOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "transport/clock.h"

namespace switchyard::sfu {

// Picks the dominant speaker of a room from the RFC 6464 client-to-mixer audio levels on the
// participants' audio packets, a simplified take on Jitsi's DominantSpeakerIdentification.
//
// Each packet's level (0 = loudest, 127 = silence, in -dBov) becomes a loudness 127 - level when
// it is speech (V bit set, if `use_voice_flag`, and level <= `speech_level_threshold`), else 0.
// Loudness is smoothed per participant by two continuous-time exponential averages: a short
// one (`short_window`) that decides who is speaking now, and a medium one (`medium_window`) that
// ranks ActiveSpeakers. Between packets the averages decay as if silent (DTX sends nothing).
//
// Switching has hysteresis so brief interjections, coughs and crosstalk do not flip the UI:
// - a challenger must be speaking (speech within `speaking_hold`) and have a short average above
//   `min_score` and above the dominant's for at least `switch_delay` of consecutive Update calls;
// - at most one change per `min_switch_interval`;
// - when the dominant has been silent for `silence_timeout`, it is cleared (dominant() becomes
//   nullopt) so the next speaker does not have to beat a stale score. Clearing is not reported by
//   Update: clients keep showing the last speaker until a new one is chosen.
//
// Pure logic on injected time. Participants live in a vector searched linearly (rooms hold
// tens of participants); OnAudioLevel allocates only for a participant's first packet.
class ActiveSpeakerDetector {
 public:
  struct Config {
    transport::Duration short_window = std::chrono::milliseconds(200);
    transport::Duration medium_window = std::chrono::milliseconds(1000);
    transport::Duration switch_delay = std::chrono::milliseconds(400);
    transport::Duration min_switch_interval = std::chrono::milliseconds(1000);
    transport::Duration silence_timeout = std::chrono::milliseconds(1500);
    transport::Duration speaking_hold = std::chrono::milliseconds(200);
    uint8_t speech_level_threshold = 90;  // quieter than -90 dBov is background noise
    bool use_voice_flag = true;  // false when the extension was negotiated with vad=off
    double min_score = 10.0;     // short average (loudness units) needed to count as speaking
  };

  ActiveSpeakerDetector() : ActiveSpeakerDetector(Config{}) {}
  explicit ActiveSpeakerDetector(const Config& config);

  // The audio level of one packet from `participant_key` (RFC 6464: level 0..127, V bit).
  void OnAudioLevel(uint64_t participant_key, uint8_t level, bool voice, transport::Timestamp now);
  // Re-evaluates the dominant speaker; call periodically (e.g. every 100-300 ms). Returns the new
  // dominant speaker when it changed.
  std::optional<uint64_t> Update(transport::Timestamp now);
  // Participants who spoke recently, loudest (medium average) first, at most `max`.
  std::vector<uint64_t> ActiveSpeakers(transport::Timestamp now, size_t max) const;
  // Forgets a participant (left the room or muted its audio).
  void Remove(uint64_t participant_key);

  std::optional<uint64_t> dominant() const { return dominant_; }

 private:
  struct Participant {
    uint64_t key = 0;
    double short_average = 0;
    double medium_average = 0;
    transport::Timestamp last_sample;
    std::optional<transport::Timestamp> last_speech;
  };

  Participant* Find(uint64_t key);
  // Averages decayed to `now` as if silent since the last packet.
  double ShortScore(const Participant& p, transport::Timestamp now) const;
  double MediumScore(const Participant& p, transport::Timestamp now) const;
  bool Speaking(const Participant& p, transport::Timestamp now) const;

  Config config_;
  std::vector<Participant> participants_;
  std::optional<uint64_t> dominant_;
  std::optional<uint64_t> last_reported_;  // Update reports a change only against this
  std::optional<transport::Timestamp> last_switch_;
  std::optional<uint64_t> challenger_;
  transport::Timestamp challenger_since_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_ACTIVE_SPEAKER_DETECTOR_H_
