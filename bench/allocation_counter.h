#ifndef SWITCHYARD_BENCH_ALLOCATION_COUNTER_H_
#define SWITCHYARD_BENCH_ALLOCATION_COUNTER_H_

// Allocation counts for the benchmarks' "allocs/op" counters: bench/allocation_counter.cc
// replaces the global operator new (still malloc underneath) and OpenSSL's allocator
// (CRYPTO_set_mem_functions) for every benchmark binary it is linked into. Process-wide counts.

#include <atomic>
#include <cstdint>

namespace switchyard::bench {

// operator new calls so far.
uint64_t OperatorNewCalls();
// OpenSSL malloc/realloc calls so far.
uint64_t OpenSslAllocations();
// False when OpenSSL had allocated before the counter could be installed (then OpenSSL's
// allocations are not counted).
bool OpenSslAllocationsCounted();

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_ALLOCATION_COUNTER_H_
