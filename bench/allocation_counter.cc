#include "bench/allocation_counter.h"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<uint64_t> g_allocations{0};
std::atomic<uint64_t> g_ssl_allocations{0};

// Out of line: inlined, GCC 12 sees malloc meet free at a new/delete pair and raises a false
// -Wmismatched-new-delete (tests/sfu/allocation_counter.cc does the same).
[[gnu::noinline]] void* CountedAllocate(std::size_t size, std::size_t alignment) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  void* p = nullptr;
  return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}
void* CountedAllocateOrThrow(std::size_t size, std::size_t alignment) {
  if (void* p = CountedAllocate(size, alignment)) return p;
  throw std::bad_alloc();
}

void* CountingSslMalloc(size_t size, const char*, int) {
  g_ssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
void* CountingSslRealloc(void* p, size_t size, const char*, int) {
  g_ssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, size);
}
void CountingSslFree(void* p, const char*, int) { std::free(p); }
// Must run before OpenSSL's first allocation.
const bool kSslCounted =
    CRYPTO_set_mem_functions(CountingSslMalloc, CountingSslRealloc, CountingSslFree) == 1;

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
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { operator delete(p); }

namespace switchyard::bench {

uint64_t OperatorNewCalls() { return g_allocations.load(std::memory_order_relaxed); }
uint64_t OpenSslAllocations() { return g_ssl_allocations.load(std::memory_order_relaxed); }
bool OpenSslAllocationsCounted() { return kSslCounted; }

}  // namespace switchyard::bench
