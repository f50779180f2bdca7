#ifndef SWITCHYARD_SFU_WORKER_H_
#define SWITCHYARD_SFU_WORKER_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sfu/datagram_router.h"
#include "sfu/drop_reason.h"
#include "sfu/room.h"
#include "sfu/webrtc_transport.h"
#include "sfu/worker_context.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/udp_socket.h"

namespace switchyard::sfu {

struct WorkerOptions {
  transport::SocketAddress rtc_address;  // where the UDP socket binds (port 0 = ephemeral)
  std::string announced_ip;              // the address put into our ICE candidates
  transport::Duration timer_interval = std::chrono::milliseconds(20);
};

// One thread, one event loop, one UDP socket. Rooms (with their participants and transports)
// belong to exactly one worker and are only touched on its thread, so the media path takes
// no locks. Other threads talk to a worker only through Post().
class Worker final : public TransportNetwork, public transport::UdpSocket::Receiver {
 public:
  struct Stats {
    size_t rooms = 0;
    size_t participants = 0;
    transport::UdpSocket::Counters socket;
    std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
    // Tracks, consumers, NACK/PLI and DTLS totals over every room this worker has had.
    Room::Counters media;
    // Event-loop lag: how late the periodic timer fired against its schedule (a busy or
    // starved worker thread shows here first). Last tick and worst since start.
    transport::Duration event_loop_lag{0};
    transport::Duration event_loop_lag_max{0};
  };

  // Binds the socket (so its address is known before Start()).
  static absl::StatusOr<std::unique_ptr<Worker>> Create(int index, const WorkerOptions& options,
                                                        const transport::Clock& clock,
                                                        const transport::Certificate& certificate);
  ~Worker() override;

  void Start();  // spawns the thread
  void Stop();   // closes every room, joins the thread
  // Runs `task` on the worker thread. Thread-safe.
  void Post(std::function<void()> task);
  // Where this worker's rooms report room-level events (null: nowhere). Borrowed: must outlive
  // the worker (Stop() closes rooms, which reports their participants as left). Before Start()
  // it takes effect at once, later on the worker thread.
  void SetRoomObserver(RoomObserver* observer);

  int index() const { return index_; }
  // Between Start() and Stop(). Thread-safe.
  bool running() const { return running_.load(); }
  const transport::SocketAddress& rtc_address() const { return socket_->local_address(); }

  // Worker thread only.
  Room& GetOrCreateRoom(const std::string& name);
  Room* FindRoom(const std::string& name);
  void RemoveRoomIfEmpty(const std::string& name);
  Stats CollectStats() const;
  WorkerContext& context() { return *context_; }

  // TransportNetwork
  bool SendDatagram(std::span<const uint8_t> data, const transport::SocketAddress& to) override;
  void RegisterUfrag(const std::string& ufrag, WebRtcTransport* t) override;
  void UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) override;
  void RouteAddress(const transport::SocketAddress& address, WebRtcTransport* t) override;
  void UnrouteAddress(const transport::SocketAddress& address, WebRtcTransport* t) override;
  DropCounters& drops() override { return drops_; }

  // transport::UdpSocket::Receiver
  void OnDatagram(std::span<uint8_t> data, const transport::SocketAddress& from,
                  transport::Timestamp arrival) override;

 private:
  Worker(int index, const WorkerOptions& options, const transport::Clock& clock,
         const transport::Certificate& certificate);
  void ScheduleTimer();

  const int index_;
  const WorkerOptions options_;
  const transport::Clock& clock_;
  const transport::Certificate& certificate_;
  NtpClock ntp_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<transport::DtlsContext> dtls_context_;
  std::unique_ptr<transport::UdpSocket> socket_;
  std::unique_ptr<WorkerContext> context_;
  std::array<uint8_t, transport::UdpSocket::kMaxDatagramSize + 64> scratch_{};
  DropCounters drops_;
  DatagramRouter router_{drops_};
  absl::flat_hash_map<std::string, std::unique_ptr<Room>> rooms_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  // Worker thread only: metrics state.
  Room::Counters closed_rooms_;  // totals of rooms already removed
  transport::Timestamp timer_due_{};
  transport::Duration event_loop_lag_{0};
  transport::Duration event_loop_lag_max_{0};
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WORKER_H_
