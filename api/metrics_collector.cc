#include "api/metrics_collector.h"

#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/strings/str_cat.h"
#include "api/metrics.h"
#include "sfu/drop_reason.h"

namespace switchyard::api {

void HttpRequestCounts::Count(std::string_view path_label, int status) {
  ++counts_[{std::string(path_label), status}];
}

std::string HttpPathLabel(std::string_view target, bool is_static_file) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  for (std::string_view known : {"/", "/ws", "/metrics", "/healthz", "/readyz", "/dev/token"}) {
    if (path == known) return std::string(known);
  }
  // API families: one label each, whatever the resource.
  for (std::string_view prefix : {"/v1", "/twirp", "/whip", "/whep"}) {
    if (path.substr(0, prefix.size()) == prefix &&
        (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return std::string(prefix);
    }
  }
  return is_static_file ? "static" : "other";
}

namespace {

// One Collect() in flight. Only the control thread reads or writes it; worker tasks merely
// carry a reference to hand it back. The callback is moved out (and so destroyed) on the
// control thread when the request finishes, so nothing owning sockets dies on a worker.
struct PendingCollect {
  MetricsCollector::Snapshot snapshot;
  size_t outstanding = 0;
  bool finished = false;
  MetricsCollector::Callback done;
  std::weak_ptr<boost::asio::steady_timer> timer;

  void Finish(absl::StatusOr<MetricsCollector::Snapshot> result) {
    if (finished) return;
    finished = true;
    if (auto t = timer.lock()) t->cancel();
    MetricsCollector::Callback callback = std::move(done);
    done = nullptr;
    callback(std::move(result));
  }
};

}  // namespace

MetricsCollector::MetricsCollector(boost::asio::io_context& io, std::vector<sfu::Worker*> workers,
                                   transport::Duration timeout)
    : io_(io), workers_(std::move(workers)), timeout_(timeout) {}

void MetricsCollector::Collect(Callback done) {
  auto pending = std::make_shared<PendingCollect>();
  pending->done = std::move(done);
  pending->outstanding = workers_.size();
  pending->snapshot.resize(workers_.size());
  if (workers_.empty()) {
    boost::asio::post(io_, [pending] { pending->Finish(Snapshot{}); });
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, timeout_);
  pending->timer = timer;
  timer->async_wait([pending, timer](const boost::system::error_code& ec) {
    if (ec) return;
    pending->Finish(absl::DeadlineExceededError(
        absl::StrCat(pending->outstanding, " worker(s) did not answer in time")));
  });
  for (size_t i = 0; i < workers_.size(); ++i) {
    sfu::Worker* worker = workers_[i];
    pending->snapshot[i].index = worker->index();
    boost::asio::io_context& io = io_;
    worker->Post([pending, worker, i, &io] {
      // On the worker thread: copy, then hand the copy back; never touch `pending` here.
      sfu::Worker::Stats stats = worker->CollectStats();
      boost::asio::post(io, [pending, i, stats = std::move(stats)] {
        if (pending->finished) return;
        pending->snapshot[i].stats = stats;
        if (--pending->outstanding == 0) pending->Finish(std::move(pending->snapshot));
      });
    });
  }
}

void MetricsCollector::Ping(std::function<void(absl::Status)> done) {
  for (sfu::Worker* worker : workers_) {
    if (!worker->running()) {
      boost::asio::post(io_, [done = std::move(done), index = worker->index()] {
        done(absl::UnavailableError(absl::StrCat("worker ", index, " is not running")));
      });
      return;
    }
  }
  Collect([done = std::move(done)](absl::StatusOr<Snapshot> result) { done(result.status()); });
}

std::string RenderMetrics(const MetricsCollector::Snapshot& snapshot,
                          const HttpRequestCounts& requests) {
  MetricsWriter w;
  w.Gauge("switchyard_workers", "Media worker threads.").Add(uint64_t{snapshot.size()});
  auto& packets_in = w.Counter("switchyard_worker_packets_received_total",
                               "UDP datagrams received by the worker's socket.");
  auto& packets_out = w.Counter("switchyard_worker_packets_sent_total",
                                "UDP datagrams sent by the worker's socket.");
  auto& bytes_in = w.Counter("switchyard_worker_bytes_received_total",
                             "UDP payload bytes received by the worker's socket.");
  auto& bytes_out = w.Counter("switchyard_worker_bytes_sent_total",
                              "UDP payload bytes sent by the worker's socket.");
  auto& drops = w.Counter("switchyard_worker_drops_total",
                          "Packets the worker dropped, by reason.");
  auto& rooms = w.Gauge("switchyard_rooms",
                        "Rooms with a shard on the worker (a room spanning workers counts on each).");
  auto& participants = w.Gauge("switchyard_participants", "Participants in the worker's rooms.");
  auto& tracks = w.Gauge("switchyard_tracks", "Published tracks (producers), by kind.");
  auto& consumers = w.Gauge("switchyard_consumers", "Active forwarded tracks (consumers).");
  auto& nacks_sent = w.Counter("switchyard_nacks_sent_total",
                               "RTP sequence numbers NACKed to publishers (RFC 4585).");
  auto& nacks_received = w.Counter("switchyard_nacks_received_total",
                                   "RTP sequence numbers subscribers NACKed (RFC 4585).");
  auto& plis_sent = w.Counter("switchyard_plis_sent_total",
                              "Keyframe requests (PLI or FIR) sent to publishers.");
  auto& plis_received = w.Counter("switchyard_plis_received_total",
                                  "Keyframe requests (PLI or FIR entries) from subscribers.");
  auto& dtls = w.Counter("switchyard_dtls_handshakes_total",
                         "DTLS handshakes of WebRTC transports, by result.");
  auto& relayed = w.Counter("switchyard_relayed_packets_total",
                            "Packets handed between workers for rooms that span them, by "
                            "direction (out: copies sent to other workers, in: received).");
  auto& path_switches = w.Counter(
      "switchyard_ice_path_switches_total",
      "Transports whose selected address moved to another (the client's network or NAT "
      "mapping changed and its checks nominated the new address).");
  auto& ice_restarts = w.Counter("switchyard_ice_restarts_total",
                                 "ICE restarts (RFC 8445 §9) of WebRTC transports, from either "
                                 "side (a client whose path was lost), by stage (started; "
                                 "completed: a valid check under the new credentials came).");
  auto& tcp_connections = w.Gauge("switchyard_ice_tcp_connections",
                                  "Open ICE-TCP connections (RFC 6544) on the worker.");
  auto& tcp_frames = w.Counter("switchyard_ice_tcp_frames_total",
                               "RFC 4571 frames over ICE-TCP, by direction.");
  auto& tcp_closed = w.Counter("switchyard_ice_tcp_closed_total",
                               "ICE-TCP connections closed or refused by the server, by reason.");
  auto& lag = w.Gauge("switchyard_worker_event_loop_lag_seconds",
                      "How late the worker's periodic timer last fired against its schedule.");
  auto& lag_max = w.Gauge("switchyard_worker_event_loop_lag_max_seconds",
                          "Worst event-loop lag of the worker since it started.");

  for (const WorkerStatsSnapshot& worker : snapshot) {
    const std::string index = std::to_string(worker.index);
    const MetricLabels labels = {{"worker", index}};
    const sfu::Worker::Stats& s = worker.stats;
    packets_in.Add(labels, s.socket.datagrams_received);
    packets_out.Add(labels, s.socket.datagrams_sent);
    bytes_in.Add(labels, s.socket.bytes_received);
    bytes_out.Add(labels, s.socket.bytes_sent);
    for (size_t r = 0; r < s.drops.size(); ++r) {
      drops.Add({{"worker", index},
                 {"reason", std::string(sfu::DropReasonName(static_cast<sfu::DropReason>(r)))}},
                s.drops[r]);
    }
    // Counted by the socket itself, before any demultiplexing.
    drops.Add({{"worker", index}, {"reason", "datagram_truncated"}}, s.socket.truncated_drops);
    drops.Add({{"worker", index}, {"reason", "ice_tcp_frame_oversized"}},
              s.ice_tcp.oversized_drops);
    drops.Add({{"worker", index}, {"reason", "ice_tcp_send_failed"}}, s.ice_tcp.send_drops);
    drops.Add({{"worker", index}, {"reason", "turn_queue_full"}}, s.turn_in_process_drops);
    path_switches.Add(labels, s.ice_path_switches);
    ice_restarts.Add({{"worker", index}, {"stage", "started"}}, s.ice_restarts);
    ice_restarts.Add({{"worker", index}, {"stage", "completed"}}, s.ice_restarts_completed);
    tcp_connections.Add(labels, uint64_t{s.ice_tcp_connections});
    tcp_frames.Add({{"worker", index}, {"direction", "in"}}, s.ice_tcp.frames_received);
    tcp_frames.Add({{"worker", index}, {"direction", "out"}}, s.ice_tcp.frames_sent);
    tcp_closed.Add({{"worker", index}, {"reason", "refused"}}, s.ice_tcp.refused);
    tcp_closed.Add({{"worker", index}, {"reason", "not_stun"}}, s.ice_tcp.closed_not_stun);
    tcp_closed.Add({{"worker", index}, {"reason", "unvalidated"}}, s.ice_tcp.closed_unvalidated);
    tcp_closed.Add({{"worker", index}, {"reason", "idle"}}, s.ice_tcp.closed_idle);
    rooms.Add(labels, uint64_t{s.rooms});
    participants.Add(labels, uint64_t{s.participants});
    tracks.Add({{"worker", index}, {"kind", "audio"}}, uint64_t{s.media.audio_tracks});
    tracks.Add({{"worker", index}, {"kind", "video"}}, uint64_t{s.media.video_tracks});
    consumers.Add(labels, uint64_t{s.media.consumers});
    nacks_sent.Add(labels, s.media.nacks_sent);
    nacks_received.Add(labels, s.media.nacks_received);
    plis_sent.Add(labels, s.media.plis_sent);
    plis_received.Add(labels, s.media.plis_received);
    dtls.Add({{"worker", index}, {"result", "ok"}}, s.media.dtls_handshakes_ok);
    dtls.Add({{"worker", index}, {"result", "failed"}}, s.media.dtls_handshakes_failed);
    relayed.Add({{"worker", index}, {"direction", "out"}}, s.packets_relayed_out);
    relayed.Add({{"worker", index}, {"direction", "in"}}, s.packets_relayed_in);
    lag.Add(labels, std::chrono::duration<double>(s.event_loop_lag).count());
    lag_max.Add(labels, std::chrono::duration<double>(s.event_loop_lag_max).count());
  }

  auto& http = w.Counter("switchyard_http_requests_total",
                         "HTTP requests answered by the control plane, by path and status.");
  for (const auto& [key, count] : requests.counts()) {
    http.Add({{"path", key.first}, {"status", std::to_string(key.second)}}, count);
  }
  return w.Render();
}

}  // namespace switchyard::api
