#ifndef SWITCHYARD_TESTS_SFU_ALLOCATION_COUNTER_H_
#define SWITCHYARD_TESTS_SFU_ALLOCATION_COUNTER_H_

// Zero-allocation checks for sfu_tests: allocation_counter.cc replaces every form of the global
// operator new for the whole binary (they still call malloc) and counts calls per thread, so a
// test measures only its own thread. One definition per binary: tests use this, never their own.

#include <cstdint>

namespace switchyard::sfu::testing {

// operator new calls made by the calling thread since it started.
uint64_t ThreadOperatorNewCalls();

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_ALLOCATION_COUNTER_H_
