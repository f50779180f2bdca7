#include "tests/sfu/allocation_counter.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

// Counting hook for the zero-allocation checks: every form of the global operator new is
// replaced for the whole sfu_tests binary (they still just call malloc), and each thread
// counts its own calls, so allocations by other threads (or other tests' leftovers) never
// disturb a measurement. All forms are spelled out because under ThreadSanitizer the runtime
// supplies its own array and nothrow forms, which would not forward to ours. Kept out of line:
// GCC 12 otherwise inlines a new/delete pair at a call site and, seeing malloc meet free,
// raises a false -Wmismatched-new-delete.
namespace {
thread_local uint64_t t_operator_new_calls = 0;

[[gnu::noinline]] void* CountedAllocate(std::size_t size, std::size_t alignment) noexcept {
  ++t_operator_new_calls;
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  void* p = nullptr;
  return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}
void* CountedAllocateOrThrow(std::size_t size, std::size_t alignment) {
  if (void* p = CountedAllocate(size, alignment)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return CountedAllocateOrThrow(size, 0); }
void* operator new[](std::size_t size) { return CountedAllocateOrThrow(size, 0); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAllocate(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAllocate(size, 0);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return CountedAllocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return CountedAllocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return CountedAllocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return CountedAllocate(size, static_cast<std::size_t>(alignment));
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  operator delete(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  operator delete(p);
}

namespace switchyard::sfu::testing {

uint64_t ThreadOperatorNewCalls() { return t_operator_new_calls; }

}  // namespace switchyard::sfu::testing
