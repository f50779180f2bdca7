#include "tests/sfu/fake_network.h"

#include <algorithm>

#include "transport/packet_demux.h"
#include "transport/stun_message.h"

namespace switchyard::sfu::testing {

using transport::SocketAddress;

FakeNetwork::FakeNetwork(const SocketAddress& server_address) : server_address_(server_address) {}

// Peers may already be gone: nothing here touches them.
FakeNetwork::~FakeNetwork() = default;

void FakeNetwork::AddEndpoint(const SocketAddress& address, Receiver receiver) {
  endpoints_[address] = std::move(receiver);
}

void FakeNetwork::RemoveEndpoint(const SocketAddress& address) { endpoints_.erase(address); }

void FakeNetwork::AttachPeer(TestPeer& peer, const SocketAddress& address) {
  if (std::find(peers_.begin(), peers_.end(), &peer) == peers_.end()) peers_.push_back(&peer);
  peer_addresses_[&peer] = address;
  TestPeer* p = &peer;
  peer.SetSendFunction([this, p](std::span<const uint8_t> datagram) {
    auto it = peer_addresses_.find(p);
    if (it != peer_addresses_.end()) SendToServer(it->second, datagram);
  });
  AddEndpoint(address, [p](std::span<uint8_t> datagram) { p->OnDatagram(datagram); });
}

void FakeNetwork::DetachPeer(TestPeer& peer) {
  auto it = peer_addresses_.find(&peer);
  if (it != peer_addresses_.end()) {
    RemoveEndpoint(it->second);
    peer_addresses_.erase(it);
  }
  peers_.erase(std::remove(peers_.begin(), peers_.end(), &peer), peers_.end());
  peer.SetSendFunction(nullptr);
}

void FakeNetwork::MovePeer(TestPeer& peer, const SocketAddress& new_address) {
  auto it = peer_addresses_.find(&peer);
  if (it != peer_addresses_.end()) RemoveEndpoint(it->second);
  AttachPeer(peer, new_address);
}

void FakeNetwork::SendToServer(const SocketAddress& from, std::span<const uint8_t> data) {
  queue_.push_back(Datagram{from, server_address_, std::vector<uint8_t>(data.begin(), data.end())});
}

bool FakeNetwork::SendDatagram(std::span<const uint8_t> data, const SocketAddress& to) {
  queue_.push_back(Datagram{server_address_, to, std::vector<uint8_t>(data.begin(), data.end())});
  return true;
}

size_t FakeNetwork::DeliverAll(size_t max_datagrams) {
  size_t delivered = 0;
  while (!queue_.empty() && delivered < max_datagrams) {
    Datagram datagram = std::move(queue_.front());
    queue_.pop_front();
    ++delivered;
    if (filter_ && !filter_(datagram)) continue;
    if (datagram.to == server_address_) {
      DeliverToServer(datagram.bytes, datagram.from);
      continue;
    }
    auto it = endpoints_.find(datagram.to);
    if (it == endpoints_.end()) {
      ++undeliverable_;
      continue;
    }
    ++delivered_[datagram.to];
    // Copy the receiver: it may remove or move its own endpoint while running.
    Receiver receiver = it->second;
    receiver(datagram.bytes);
  }
  return delivered;
}

uint64_t FakeNetwork::delivered_to(const SocketAddress& address) const {
  auto it = delivered_.find(address);
  return it == delivered_.end() ? 0 : it->second;
}

// The same router the Worker uses, so the fake routes exactly like production.
void FakeNetwork::DeliverToServer(std::span<uint8_t> data, const SocketAddress& from) {
  router_.Deliver(data, from);
}

void FakeNetwork::RegisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  router_.RegisterUfrag(ufrag, t);
}

void FakeNetwork::UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  router_.UnregisterUfrag(ufrag, t);
}

void FakeNetwork::RouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  router_.RouteAddress(address, t);
}

void FakeNetwork::UnrouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  router_.UnrouteAddress(address, t);
}

SocketAddress FakeWorker::DefaultServerAddress() {
  // Never on the wire: the fake network only compares addresses.
  return SocketAddress::FromIpv4(0x7F000001, 3478);
}

FakeWorker::FakeWorker()
    : ntp_(clock_, std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))),
      certificate_(transport::Certificate::GenerateEcdsaP256("fake-worker").value()),
      dtls_context_(transport::DtlsContext::Create(*certificate_).value()),
      network_(DefaultServerAddress()),
      scratch_(2048 + 64) {
  rtc::Candidate host;
  host.foundation = "1";
  host.component = 1;
  host.transport = "udp";
  host.priority = (126u << 24) | (65535u << 8) | 255u;
  host.address = network_.server_address().IpString();
  host.port = network_.server_address().port();
  host.type = "host";
  context_ = std::make_unique<WorkerContext>(WorkerContext{
      clock_, *certificate_, *dtls_context_, network_, ntp_,
      [this](std::function<void()> task) { deferred_.push_back(std::move(task)); },
      {host}, std::span<uint8_t>(scratch_), nullptr});
  room_ = std::make_unique<Room>(*context_, "test-room");
}

FakeWorker::~FakeWorker() {
  room_.reset();
  deferred_.clear();
}

size_t FakeWorker::RunDeferred() {
  size_t ran = 0;
  while (!deferred_.empty()) {
    std::function<void()> task = std::move(deferred_.front());
    deferred_.pop_front();
    task();
    ++ran;
  }
  return ran;
}

void FakeWorker::Pump() {
  for (int round = 0; round < 1000; ++round) {
    const size_t ran = RunDeferred();
    const size_t delivered = network_.DeliverAll();
    if (ran == 0 && delivered == 0) return;
  }
}

void FakeWorker::Advance(transport::Duration total, transport::Duration step) {
  for (transport::Duration done{0}; done < total; done += step) {
    clock_.Advance(std::min(step, total - done));
    room_->OnTimer();
    for (TestPeer* peer : network_.peers()) peer->OnTimer();
    Pump();
  }
}

}  // namespace switchyard::sfu::testing
