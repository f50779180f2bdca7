#ifndef SWITCHYARD_TESTS_SFU_RECORDING_ROOM_OBSERVER_H_
#define SWITCHYARD_TESTS_SFU_RECORDING_ROOM_OBSERVER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sfu/participant_observer.h"

namespace switchyard::sfu::testing {

// Every room-level event, flattened into one ordered log of lines such as
// "joined room alice", "active room alice", "left room bob consent...", "published room
// alice alice-1 video layers=1", "unpublished room alice alice-1", "muted room alice alice-0 1".
// Thread-safe: the sfu calls it on worker threads, tests read on theirs.
class RecordingRoomObserver final : public RoomObserver {
 public:
  std::vector<std::string> Events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::vector<ParticipantSummary> Joined() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return joined_;
  }
  // Real-time wait for worker-thread tests; returns whether `predicate` held in time.
  bool WaitFor(const std::function<bool(const std::vector<std::string>&)>& predicate,
               std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return predicate(events_); });
  }

  void OnParticipantJoined(const std::string& room, const ParticipantSummary& p) override {
    Record(absl::StrCat("joined ", room, " ", p.participant_id), &p);
  }
  void OnParticipantActive(const std::string& room, const std::string& id) override {
    Record(absl::StrCat("active ", room, " ", id));
  }
  void OnParticipantLeft(const std::string& room, const std::string& id,
                         const std::string& reason) override {
    Record(absl::StrCat("left ", room, " ", id, reason.empty() ? "" : " ", reason));
  }
  void OnTrackPublished(const std::string& room, const std::string& id,
                        const TrackSummary& track) override {
    Record(absl::StrCat("published ", room, " ", id, " ", track.track_id, " ",
                        track.kind == rtc::MediaKind::kVideo ? "video" : "audio",
                        " layers=", track.layers, track.muted ? " muted" : ""));
  }
  void OnTrackUnpublished(const std::string& room, const std::string& id,
                          const std::string& track_id) override {
    Record(absl::StrCat("unpublished ", room, " ", id, " ", track_id));
  }
  void OnTrackMuted(const std::string& room, const std::string& id, const std::string& track_id,
                    bool muted) override {
    Record(absl::StrCat("muted ", room, " ", id, " ", track_id, muted ? " 1" : " 0"));
  }

 private:
  void Record(std::string event, const ParticipantSummary* joined = nullptr) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(event));
      if (joined != nullptr) joined_.push_back(*joined);
    }
    changed_.notify_all();
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> events_;
  std::vector<ParticipantSummary> joined_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_RECORDING_ROOM_OBSERVER_H_
