#ifndef SWITCHYARD_BENCH_LOAD_PARTICIPANT_H_
#define SWITCHYARD_BENCH_LOAD_PARTICIPANT_H_

#include <memory>
#include <optional>
#include <utility>

#include "bench/load/load_config.h"
#include "bench/load/worker_stats.h"
#include "transport/clock.h"

namespace switchyard::bench {

// What LoadRunner needs of one simulated participant session, whatever server it talks to
// (--target): LoadClient for Switchyard, JanusClient for Janus. Same contract as LoadClient's
// members of the same names (bench/load/load_client.h): single-threaded on its worker's
// io_context, destroyed only outside its own callbacks (after finished()).
class Participant {
 public:
  virtual ~Participant() = default;
  virtual void Start() = 0;
  virtual void Leave() = 0;
  virtual void Tick(transport::Timestamp now) = 0;
  virtual const ClientPlan& plan() const = 0;
  virtual bool connected() const = 0;
  virtual bool finished() const = 0;
  virtual int tracks_with_media() const = 0;
  virtual int ExpectedTracks() const = 0;
  virtual QualityTotals Quality() const = 0;
  virtual std::optional<transport::Timestamp> started_at() const = 0;
};

// A Participant over a client class with those members (LoadClient), owning it.
template <typename Client>
class ParticipantOf final : public Participant {
 public:
  template <typename... Args>
  explicit ParticipantOf(Args&&... args)
      : client_(std::make_unique<Client>(std::forward<Args>(args)...)) {}

  void Start() override { client_->Start(); }
  void Leave() override { client_->Leave(); }
  void Tick(transport::Timestamp now) override { client_->Tick(now); }
  const ClientPlan& plan() const override { return client_->plan(); }
  bool connected() const override { return client_->connected(); }
  bool finished() const override { return client_->finished(); }
  int tracks_with_media() const override { return client_->tracks_with_media(); }
  int ExpectedTracks() const override { return client_->ExpectedTracks(); }
  QualityTotals Quality() const override { return client_->Quality(); }
  std::optional<transport::Timestamp> started_at() const override {
    return client_->started_at();
  }

 private:
  std::unique_ptr<Client> client_;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_PARTICIPANT_H_
