#include "transport/srtp_transform.h"

#include <utility>

namespace switchyard::transport {

absl::StatusOr<std::unique_ptr<SrtpTransform>> SrtpTransform::Create(
    const SrtpKeyMaterial& keys) {
  absl::StatusOr<std::unique_ptr<SrtpContext>> send =
      SrtpContext::Create(keys.profile, keys.local_master_key_salt);
  if (!send.ok()) return send.status();
  absl::StatusOr<std::unique_ptr<SrtpContext>> receive =
      SrtpContext::Create(keys.profile, keys.remote_master_key_salt);
  if (!receive.ok()) return receive.status();
  return std::unique_ptr<SrtpTransform>(
      new SrtpTransform(std::move(*send), std::move(*receive)));
}

}  // namespace switchyard::transport
