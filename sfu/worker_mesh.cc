#include "sfu/worker_mesh.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchyard::sfu {

absl::StatusOr<std::unique_ptr<WorkerMesh>> WorkerMesh::Create(size_t workers,
                                                               size_t pool_buffers) {
  if (workers == 0 || workers > kMaxWorkers) {
    return absl::InvalidArgumentError(absl::StrCat("worker count ", workers, " not in 1..",
                                                   kMaxWorkers));
  }
  std::unique_ptr<WorkerMesh> mesh(new WorkerMesh(workers));
  mesh->pending_ = std::make_unique<PendingFlag[]>(workers);
  for (size_t i = 0; i < workers; ++i) {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
    mesh->wake_fds_.push_back(fd);
    // A single worker never relays: no pool, no rings.
    mesh->pools_.push_back(workers > 1 ? std::make_unique<PacketPool>(pool_buffers, workers)
                                       : nullptr);
  }
  mesh->rings_.resize(workers * workers);
  for (size_t from = 0; from < workers; ++from) {
    for (size_t to = 0; to < workers; ++to) {
      if (from != to) mesh->rings_[from * workers + to] = std::make_unique<Ring>();
    }
  }
  return mesh;
}

WorkerMesh::~WorkerMesh() {
  for (int fd : wake_fds_) ::close(fd);
}

void WorkerMesh::Wake(size_t to) {
  const uint64_t one = 1;
  // EAGAIN only when the counter would overflow, i.e. the descriptor is readable anyway.
  [[maybe_unused]] const ssize_t n = ::write(wake_fds_[to], &one, sizeof(one));
}

}  // namespace switchyard::sfu
