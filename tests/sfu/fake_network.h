#ifndef SWITCHYARD_TESTS_SFU_FAKE_NETWORK_H_
#define SWITCHYARD_TESTS_SFU_FAKE_NETWORK_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sfu/drop_reason.h"
#include "sfu/ntp_time.h"
#include "sfu/room.h"
#include "sfu/webrtc_transport.h"
#include "sfu/worker_context.h"
#include "tests/sfu/test_peer.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "sfu/datagram_router.h"
#include "transport/socket_address.h"

namespace switchyard::sfu::testing {

// One datagram in flight.
struct Datagram {
  transport::SocketAddress from;
  transport::SocketAddress to;
  std::vector<uint8_t> bytes;
};

// An in-memory network between one SFU worker (the server side, through TransportNetwork) and
// any number of peers, each at its own address. Nothing is delivered synchronously: sends are
// queued and DeliverAll() hands them over in FIFO order, so callbacks never re-enter their
// sender (the DtlsTransport contract).
//
// Server-bound datagrams are demultiplexed exactly like sfu::Worker::OnDatagram does (RFC 7983
// first byte; STUN by the USERNAME's local ufrag, DTLS/SRTP by the registered remote address)
// and drops are counted in drops() under the same DropReason. Keep the two in sync.
class FakeNetwork final : public TransportNetwork {
 public:
  using Receiver = std::function<void(std::span<uint8_t> datagram)>;
  // Sees every datagram before delivery; may edit it; false drops it (simulated loss).
  using Filter = std::function<bool(Datagram& datagram)>;

  explicit FakeNetwork(const transport::SocketAddress& server_address);
  ~FakeNetwork() override;

  const transport::SocketAddress& server_address() const { return server_address_; }

  // Peer side. Datagrams the server sends to `address` go to `receiver`.
  void AddEndpoint(const transport::SocketAddress& address, Receiver receiver);
  void RemoveEndpoint(const transport::SocketAddress& address);
  // Puts `peer` at `address`: sets its SendFunction (queues to the server from `address`) and
  // delivers datagrams for `address` to it. The peer must outlive the attachment (Detach).
  void AttachPeer(TestPeer& peer, const transport::SocketAddress& address);
  void DetachPeer(TestPeer& peer);
  // The peer's network changes: it now sends from, and is reachable only at, `new_address`.
  void MovePeer(TestPeer& peer, const transport::SocketAddress& new_address);
  const std::vector<TestPeer*>& peers() const { return peers_; }
  // Queues a datagram from `from` to the server (e.g. hostile input).
  void SendToServer(const transport::SocketAddress& from, std::span<const uint8_t> data);

  void set_filter(Filter filter) { filter_ = std::move(filter); }
  // Delivers queued datagrams (and those queued by the deliveries) until none is left or
  // `max_datagrams` were delivered. Returns how many were handed over.
  size_t DeliverAll(size_t max_datagrams = 100000);
  bool idle() const { return queue_.empty(); }

  // Datagrams the server sent to `address` that reached an endpoint there.
  uint64_t delivered_to(const transport::SocketAddress& address) const;
  // Datagrams the server sent to addresses where no endpoint listens.
  uint64_t undeliverable() const { return undeliverable_; }

  // TransportNetwork (the server side).
  bool SendDatagram(std::span<const uint8_t> data, const transport::SocketAddress& to) override;
  void RegisterUfrag(const std::string& ufrag, WebRtcTransport* t) override;
  void UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) override;
  void RouteAddress(const transport::SocketAddress& address, WebRtcTransport* t) override;
  void UnrouteAddress(const transport::SocketAddress& address, WebRtcTransport* t) override;
  DropCounters& drops() override { return drops_; }
  void CountPathSwitch() override { ++path_switches_; }
  uint64_t path_switches() const { return path_switches_; }
  void CountIceRestartCompleted() override { ++ice_restarts_completed_; }
  uint64_t ice_restarts_completed() const { return ice_restarts_completed_; }

  size_t registered_ufrags() const { return router_.ufrag_count(); }
  size_t routed_addresses() const { return router_.address_count(); }

 private:
  void DeliverToServer(std::span<uint8_t> data, const transport::SocketAddress& from);

  const transport::SocketAddress server_address_;
  std::deque<Datagram> queue_;
  Filter filter_;
  absl::flat_hash_map<transport::SocketAddress, Receiver, transport::SocketAddressHash> endpoints_;
  absl::flat_hash_map<transport::SocketAddress, uint64_t, transport::SocketAddressHash>
      delivered_;
  uint64_t undeliverable_ = 0;
  uint64_t path_switches_ = 0;
  uint64_t ice_restarts_completed_ = 0;
  std::vector<TestPeer*> peers_;
  absl::flat_hash_map<TestPeer*, transport::SocketAddress> peer_addresses_;
  DropCounters drops_;
  DatagramRouter router_{drops_};
};

// A single-threaded stand-in for sfu::Worker: a FakeClock, a fresh certificate and DTLS
// context, a FakeNetwork, a deferred-task queue and one Room, wired into a WorkerContext.
// Pump() plays the event loop (deferred tasks + datagram delivery until quiet); Advance() plays
// the worker's periodic tick (Room::OnTimer) and the peers' timers while moving the clock.
class FakeWorker {
 public:
  static transport::SocketAddress DefaultServerAddress();

  FakeWorker();
  ~FakeWorker();
  FakeWorker(const FakeWorker&) = delete;
  FakeWorker& operator=(const FakeWorker&) = delete;

  transport::FakeClock& clock() { return clock_; }
  const NtpClock& ntp() const { return ntp_; }
  const transport::Certificate& certificate() const { return *certificate_; }
  FakeNetwork& network() { return network_; }
  WorkerContext& context() { return *context_; }
  Room& room() { return *room_; }

  // Runs queued deferred tasks (and those they queue). Returns how many ran.
  size_t RunDeferred();
  // Deferred tasks and datagram deliveries until neither has work.
  void Pump();
  // Moves the clock by `total` in steps of `step`; after each step runs Room::OnTimer, every
  // attached peer's OnTimer, and Pump().
  void Advance(transport::Duration total,
               transport::Duration step = std::chrono::milliseconds(20));

 private:
  transport::FakeClock clock_;
  NtpClock ntp_;  // anchored at a fixed wall-clock instant: reports are deterministic
  std::unique_ptr<transport::Certificate> certificate_;
  std::unique_ptr<transport::DtlsContext> dtls_context_;
  FakeNetwork network_;
  std::deque<std::function<void()>> deferred_;
  std::vector<uint8_t> scratch_;
  std::unique_ptr<WorkerContext> context_;
  std::unique_ptr<Room> room_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_FAKE_NETWORK_H_
