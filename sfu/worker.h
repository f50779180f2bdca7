#ifndef SWITCHYARD_SFU_WORKER_H_
#define SWITCHYARD_SFU_WORKER_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sfu/datagram_router.h"
#include "sfu/drop_reason.h"
#include "sfu/room.h"
#include "sfu/room_link.h"
#include "sfu/webrtc_transport.h"
#include "sfu/worker_mesh.h"
#include "sfu/worker_context.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/datagram_queue.h"
#include "transport/eventfd_waiter.h"
#include "transport/handler_memory.h"
#include "transport/ice_tcp_server.h"
#include "transport/udp_socket.h"

namespace switchyard::sfu {

// A local address a worker serves media on, and what its candidates tell clients.
struct ListenAddress {
  transport::SocketAddress address;  // IP to bind; the port is the worker's
  std::string announced_ip;          // the IP put into its candidates; empty = the bound IP
};

struct WorkerOptions {
  transport::SocketAddress rtc_address;  // where the first UDP socket binds (port 0 = ephemeral)
  std::string announced_ip;              // the address put into its ICE candidates
  // More local addresses (an IPv6 one next to IPv4, a second interface), each bound on the
  // first socket's port, each with its own candidates. At most kMaxListenAddresses - 1.
  std::vector<ListenAddress> extra_addresses;
  // ICE over TCP (RFC 6544 passive candidates) on every address, on `ice_tcp_port`, or when
  // that is 0 on the same port number as UDP (an ephemeral one when that is taken and the UDP
  // port was ephemeral too).
  bool ice_tcp = true;
  uint16_t ice_tcp_port = 0;
  transport::Duration timer_interval = std::chrono::milliseconds(20);
};

// Local ids (SocketAddress::local_id) of a worker's paths: UDP socket i is i; relayed
// datagrams the embedded TURN server hands over in process for socket i are
// kInProcessTurnLocalId + i; TCP connections come from kFirstTcpLocalId upward.
inline constexpr size_t kMaxListenAddresses = 16;
inline constexpr uint32_t kInProcessTurnLocalId = 128;
inline constexpr uint32_t kFirstTcpLocalId = 256;

// Our candidates for the given bound sockets: per address a UDP host candidate and, with
// `tcp_ports` non-empty, a passive TCP one (`tcp_ports[i]` for address i), each carrying the
// address's announced IP, sorted by priority (highest first). Priorities follow RFC 8445
// §5.1.2.1: type preference 126 for UDP host candidates and, as libwebrtc does for host TCP,
// 90 for TCP ones (RFC 6544 §4.2 asks for UDP to be preferred); local preference falls with
// the address's position in the configuration, so the first address is preferred; for TCP it
// is built as RFC 6544 §4.2 says, (2^13) * direction-pref (4: passive) + other-pref.
std::vector<rtc::Candidate> HostCandidates(const std::vector<ListenAddress>& bound,
                                           const std::vector<uint16_t>& tcp_ports);

// One thread, one event loop, one UDP socket. A worker's participants (and their transports)
// and its shards of their rooms are only touched on its thread, so the media path takes no
// locks. Other threads talk to a worker only through Post(); other workers also hand it
// packets through the WorkerMesh (AttachMesh), lock-free.
class Worker final : public TransportNetwork,
                     public transport::UdpSocket::Receiver,
                     public RoomLink,
                     public ProducerRelay {
 public:
  struct Stats {
    size_t rooms = 0;
    size_t participants = 0;
    transport::UdpSocket::Counters socket;  // summed over the worker's UDP sockets
    transport::IceTcpServer::Counters ice_tcp;
    size_t ice_tcp_connections = 0;
    std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
    // Tracks, consumers, NACK/PLI and DTLS totals over every room this worker has had.
    Room::Counters media;
    // Event-loop lag: how late the periodic timer fired against its schedule (a busy or
    // starved worker thread shows here first). Last tick and worst since start.
    transport::Duration event_loop_lag{0};
    transport::Duration event_loop_lag_max{0};
    uint64_t packets_relayed_out = 0;  // packet copies handed to other workers
    uint64_t packets_relayed_in = 0;   // packets other workers handed to this one
    size_t mirrored_producers = 0;     // other workers' producers mirrored here now
    uint64_t ice_path_switches = 0;    // transports whose selected address moved (re-nomination)
    uint64_t ice_restarts = 0;         // ICE restarts (RFC 8445 §9) from either side
    uint64_t ice_restarts_completed = 0;  // ... that got a valid check under the new ufrag
    uint64_t turn_in_process_in = 0;   // relayed datagrams the TURN thread handed over
    uint64_t turn_in_process_out = 0;  // datagrams handed to the TURN thread
    uint64_t turn_in_process_drops = 0;  // refused: the TURN thread's queue was full
  };

  // Binds the socket (so its address is known before Start()).
  static absl::StatusOr<std::unique_ptr<Worker>> Create(int index, const WorkerOptions& options,
                                                        const transport::Clock& clock,
                                                        const transport::Certificate& certificate);
  ~Worker() override;

  // Before Start(): joins the pool's mesh, so rooms span workers. `peers` is every worker of
  // the pool by index (this one included); all are borrowed and must outlive this worker's
  // thread, as must `mesh`. Without it (or with a mesh of one) rooms stay on this worker.
  void AttachMesh(WorkerMesh* mesh, std::vector<Worker*> peers);

  // Before Start(): the in-process path to the embedded TURN server. Relayed datagrams its
  // relays address to one of our sockets arrive through `from_turn` (from = the relay, to = our
  // socket's address), and what we send back to those relays goes into `to_turn` instead of
  // through the kernel. Both borrowed; they must outlive the worker's thread.
  void AttachTurnQueues(transport::DatagramQueue* from_turn, transport::DatagramQueue* to_turn);

  void Start();  // spawns the thread
  void Stop();   // closes every room, joins the thread
  // Runs `task` on the worker thread. Thread-safe.
  void Post(std::function<void()> task);
  // Where this worker's rooms report room-level events (null: nowhere). Borrowed: must outlive
  // the worker (Stop() closes rooms, which reports their participants as left). Before Start()
  // it takes effect at once, later on the worker thread.
  void SetRoomObserver(RoomObserver* observer);

  int index() const { return index_; }
  // Participants on this worker, all rooms. Thread-safe (relaxed: for placement decisions).
  size_t participant_load() const { return participant_load_.load(std::memory_order_relaxed); }
  // A participant was just placed here (its join is still queued): counted at once so a burst
  // of joins spreads; the worker recounts every tick.
  void NotePlacement() { participant_load_.fetch_add(1, std::memory_order_relaxed); }
  // Between Start() and Stop(). Thread-safe.
  bool running() const { return running_.load(); }
  const transport::SocketAddress& rtc_address() const { return sockets_[0]->local_address(); }
  // Every bound UDP socket's address, rtc_address() first.
  std::vector<transport::SocketAddress> local_addresses() const;
  // The same with the IP each one's candidates announce ("" = the bound one), in that order.
  const std::vector<ListenAddress>& listen_addresses() const { return listen_; }
  // The ICE-TCP listeners' addresses (empty without ICE-TCP).
  std::vector<transport::SocketAddress> tcp_addresses() const;

  // Worker thread only.
  Room& GetOrCreateRoom(const std::string& name);
  Room* FindRoom(const std::string& name);
  void RemoveRoomIfEmpty(const std::string& name);
  Stats CollectStats() const;
  // The periodic work (every room's OnTimer: RTCP, estimation, layer ranking and allocation,
  // timeouts; empty rooms removed) now, besides the timer's schedule.
  void Tick();
  WorkerContext& context() { return *context_; }

  // TransportNetwork
  bool SendDatagram(std::span<const uint8_t> data, const transport::SocketAddress& to) override;
  void RegisterUfrag(const std::string& ufrag, WebRtcTransport* t) override;
  void UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) override;
  void RouteAddress(const transport::SocketAddress& address, WebRtcTransport* t) override;
  void UnrouteAddress(const transport::SocketAddress& address, WebRtcTransport* t) override;
  DropCounters& drops() override { return drops_; }
  void CountPathSwitch() override { ++path_switches_; }
  void CountIceRestart() override { ++ice_restarts_; }
  void CountIceRestartCompleted() override { ++ice_restarts_completed_; }

  // transport::UdpSocket::Receiver
  void OnDatagram(std::span<uint8_t> data, const transport::SocketAddress& from,
                  transport::Timestamp arrival) override;
  void OnBatchEnd() override { FlushSends(); }

  // RoomLink
  int worker_index() const override { return index_; }
  int worker_count() const override { return static_cast<int>(peers_.size()); }
  void PostToPeers(const std::string& room, bool create, std::function<void(Room&)> task) override;
  void PostToShard(int worker, const std::string& room, std::function<void(Room&)> task) override;
  uint64_t NewProducerId() override;
  ProducerRelay& relay() override { return *this; }
  void RegisterMirror(uint64_t producer_id, Producer& mirror, Room& room,
                      uint64_t member_key) override;
  void UnregisterMirror(uint64_t producer_id) override;

  // ProducerRelay (hot path): copies the packet into a pooled buffer once and hands it to
  // every worker in `workers`.
  void Relay(uint64_t producer_id, uint64_t workers, int encoding,
             const rtc::RtpPacketView& packet, bool retransmission) override;
  void RelaySenderReport(uint64_t producer_id, uint64_t workers, int encoding, uint64_t ntp,
                         uint32_t rtp_timestamp) override;

 private:
  struct MirrorEntry {
    Producer* producer = nullptr;
    Room* room = nullptr;
    uint64_t member_key = 0;
    uint8_t audio_level_id = 0;  // 0: not audio, or no RFC 6464 extension negotiated
  };
  // Datagrams the TURN thread handed over (bounded per wakeup).
  void DrainTurn();
  // Every packet other workers relayed so far (bounded per wakeup; see the .cc).
  void DrainRelays();
  void DeliverRelayed(const RelayedPacket& entry, PacketPool& pool);
  // Keeps participant_load_ current after anything that may add or remove participants.
  void UpdateLoad();
  Worker(int index, const WorkerOptions& options, const transport::Clock& clock,
         const transport::Certificate& certificate);
  void ScheduleTimer();
  // Sends what every socket and TCP connection has queued (the end of each event).
  void FlushSends();
  // Binds the UDP sockets and ICE-TCP listeners; returns the candidates they make.
  absl::StatusOr<std::vector<rtc::Candidate>> BindSockets();

  const int index_;
  const WorkerOptions options_;
  const transport::Clock& clock_;
  const transport::Certificate& certificate_;
  NtpClock ntp_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<transport::DtlsContext> dtls_context_;
  // UDP socket i serves listen address i (local id i); never empty after Create().
  std::vector<std::unique_ptr<transport::UdpSocket>> sockets_;
  std::vector<ListenAddress> listen_;  // sockets_[i]'s bound address and announced IP
  std::unique_ptr<transport::IceTcpServer> tcp_;  // null without ICE-TCP
  // In-process TURN path (null without one).
  transport::DatagramQueue* from_turn_ = nullptr;
  transport::DatagramQueue* to_turn_ = nullptr;
  bool turn_wake_needed_ = false;  // pushed to to_turn_ since the last FlushSends
  std::unique_ptr<transport::EventfdWaiter> turn_wake_;
  std::unique_ptr<WorkerContext> context_;
  std::array<uint8_t, transport::UdpSocket::kMaxDatagramSize + 64> scratch_{};
  DropCounters drops_;
  DatagramRouter router_{drops_};
  absl::flat_hash_map<std::string, std::unique_ptr<Room>> rooms_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<size_t> participant_load_{0};
  bool stopped_ = false;  // worker thread only: set by Stop()'s last task
  // Mesh (all null/empty for a worker on its own).
  WorkerMesh* mesh_ = nullptr;
  std::vector<Worker*> peers_;
  std::unique_ptr<transport::EventfdWaiter> wake_;  // the mesh's wakeup for this worker
  absl::flat_hash_map<uint64_t, MirrorEntry> mirrors_;
  uint64_t next_producer_id_ = 1;
  uint64_t packets_relayed_out_ = 0;
  uint64_t packets_relayed_in_ = 0;
  uint64_t path_switches_ = 0;
  uint64_t ice_restarts_ = 0;
  uint64_t ice_restarts_completed_ = 0;
  uint64_t turn_in_ = 0;
  uint64_t turn_out_ = 0;
  uint64_t turn_drops_ = 0;
  // Worker thread only: metrics state.
  Room::Counters closed_rooms_;  // totals of rooms already removed
  transport::Timestamp timer_due_{};
  transport::Duration event_loop_lag_{0};
  transport::Duration event_loop_lag_max_{0};
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WORKER_H_
