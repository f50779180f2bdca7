#include "tests/sfu/impairment_proxy.h"

#include <algorithm>

namespace switchyard::sfu::testing {

namespace {

constexpr size_t kMaxDatagram = 2048;

}  // namespace

ImpairmentProxy::ImpairmentProxy(const transport::Clock& clock,
                                 const transport::SocketAddress& server, uint32_t seed)
    : clock_(clock), server_(server), random_(seed) {
  for (Link& link : links_) {
    link.last_refill = clock_.Now();
    link.tokens = static_cast<double>(link.impairment.burst_bytes);
  }
}

void ImpairmentProxy::SetImpairment(Direction direction, const LinkImpairment& impairment) {
  Link& link = links_[static_cast<size_t>(direction)];
  const transport::Timestamp now = clock_.Now();
  Refill(link, now);
  link.impairment = impairment;
  link.tokens = std::min(link.tokens, static_cast<double>(impairment.burst_bytes));
  Release(direction, now);
}

void ImpairmentProxy::Process() {
  std::array<uint8_t, kMaxDatagram> buffer;
  transport::SocketAddress from;
  while (auto n = client_side_.Receive(buffer, from)) {
    client_ = from;
    Ingress(Direction::kToServer, std::span<const uint8_t>(buffer.data(), *n), clock_.Now());
  }
  while (auto n = server_side_.Receive(buffer, from)) {
    if (from != server_) continue;
    Ingress(Direction::kToClient, std::span<const uint8_t>(buffer.data(), *n), clock_.Now());
  }
  const transport::Timestamp now = clock_.Now();
  Release(Direction::kToServer, now);
  Release(Direction::kToClient, now);
}

std::optional<transport::Timestamp> ImpairmentProxy::NextRelease() const {
  std::optional<transport::Timestamp> next;
  for (const Link& link : links_) {
    if (link.queue.empty() || !link.impairment.rate_bps) continue;
    const double missing = static_cast<double>(link.queue.front().size()) - link.tokens;
    const double seconds = missing <= 0 ? 0.0 : missing * 8.0 / *link.impairment.rate_bps;
    const transport::Timestamp at =
        link.last_refill + transport::Duration(static_cast<int64_t>(seconds * 1e6) + 1);
    if (!next || at < *next) next = at;
  }
  return next;
}

void ImpairmentProxy::Ingress(Direction direction, std::span<const uint8_t> datagram,
                              transport::Timestamp now) {
  Link& link = links_[static_cast<size_t>(direction)];
  ++link.stats.received;
  if (tap_) tap_(direction, datagram, now);
  if (link.impairment.loss > 0 && uniform_(random_) < link.impairment.loss) {
    ++link.stats.dropped_random;
    return;
  }
  if (!link.impairment.rate_bps) {
    Emit(direction, datagram);
    return;
  }
  Refill(link, now);
  if (link.queue.empty() && link.tokens >= static_cast<double>(datagram.size())) {
    link.tokens -= static_cast<double>(datagram.size());
    Emit(direction, datagram);
    return;
  }
  if (link.queued_bytes + datagram.size() > link.impairment.queue_limit_bytes) {
    ++link.stats.dropped_queue;
    return;
  }
  link.queue.emplace_back(datagram.begin(), datagram.end());
  link.queued_bytes += datagram.size();
  link.stats.max_queue_bytes = std::max(link.stats.max_queue_bytes, link.queued_bytes);
}

void ImpairmentProxy::Refill(Link& link, transport::Timestamp now) {
  if (link.impairment.rate_bps && now > link.last_refill) {
    const double seconds = static_cast<double>((now - link.last_refill).count()) / 1e6;
    link.tokens =
        std::min(static_cast<double>(link.impairment.burst_bytes),
                 link.tokens + seconds * static_cast<double>(*link.impairment.rate_bps) / 8.0);
  }
  link.last_refill = now;
}

void ImpairmentProxy::Release(Direction direction, transport::Timestamp now) {
  Link& link = links_[static_cast<size_t>(direction)];
  Refill(link, now);
  while (!link.queue.empty()) {
    const size_t size = link.queue.front().size();
    if (link.impairment.rate_bps) {
      if (link.tokens < static_cast<double>(size)) break;
      link.tokens -= static_cast<double>(size);
    }
    Emit(direction, link.queue.front());
    link.queued_bytes -= size;
    link.queue.pop_front();
  }
}

void ImpairmentProxy::Emit(Direction direction, std::span<const uint8_t> datagram) {
  Link& link = links_[static_cast<size_t>(direction)];
  ++link.stats.forwarded;
  link.stats.forwarded_bytes += datagram.size();
  if (direction == Direction::kToServer) {
    server_side_.SendTo(server_, datagram);
  } else if (client_) {
    client_side_.SendTo(*client_, datagram);
  }
}

}  // namespace switchyard::sfu::testing
