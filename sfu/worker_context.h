#ifndef SWITCHYARD_SFU_WORKER_CONTEXT_H_
#define SWITCHYARD_SFU_WORKER_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "rtc/session_description.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "sfu/ntp_time.h"

namespace switchyard::sfu {

class RoomLink;
class RoomObserver;
class TransportNetwork;

// What rooms, participants and transports borrow from the worker that owns them. Everything
// here lives as long as the worker and is used on the worker's thread only.
struct WorkerContext {
  const transport::Clock& clock;
  const transport::Certificate& certificate;
  const transport::DtlsContext& dtls_context;  // the SSL_CTX shared by all of the worker's DTLS
  TransportNetwork& network;
  const NtpClock& ntp;  // wall-clock NTP time for sender/receiver reports
  // Runs `task` on the worker thread after the current event (never synchronously): used to
  // coalesce renegotiations and to destroy objects outside their own callbacks.
  std::function<void(std::function<void()>)> defer;
  // Our ICE host candidates, put into every SDP we produce.
  std::vector<rtc::Candidate> candidates;
  // The worker's single output buffer for rewritten packets (the media path is single-threaded
  // per worker, so one buffer serves every consumer in turn).
  std::span<uint8_t> scratch;
  // Room-level events for the control plane (WorkerPool::SetRoomObserver); null = nobody
  // listens. Borrowed: outlives the worker.
  RoomObserver* room_observer = nullptr;
  // The other workers' shards of our rooms (null: a single worker, rooms never span workers).
  // Borrowed: the worker itself.
  RoomLink* link = nullptr;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WORKER_CONTEXT_H_
