#ifndef SWITCHYARD_TRANSPORT_HANDLER_MEMORY_H_
#define SWITCHYARD_TRANSPORT_HANDLER_MEMORY_H_

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace switchyard::transport {

// Storage for the one asynchronous operation an event source keeps outstanding (a socket's
// "readable" wait, a worker's wakeup descriptor), handed to Asio through its custom-allocation
// hook (associated_allocator). Asio otherwise takes each operation's memory from a small
// per-thread cache that other operations (posted tasks, timers) also draw from and evict, so a
// wait re-armed after every batch would now and then reach malloc on the media path. Asio
// frees an operation's memory before invoking its handler, so a handler that re-arms the wait
// reuses the same block. An operation larger than the block, or a second one outstanding at
// once, falls back to the heap (correct, just not allocation-free). Single-threaded: the
// thread that runs the owner's io_context.
//
// Held by shared_ptr, and every wrapped handler holds a reference: an owner destroyed while
// its cancelled operation still waits in the io_context's queue (a socket closed and freed
// mid-loop) must not take the operation's memory with it. The reference is a shared_ptr copy
// per re-arm (an atomic increment), never an allocation.
class HandlerMemory {
 public:
  static constexpr std::size_t kSize = 512;

  HandlerMemory() = default;
  HandlerMemory(const HandlerMemory&) = delete;
  HandlerMemory& operator=(const HandlerMemory&) = delete;

  void* Allocate(std::size_t size) {
    if (!in_use_ && size <= kSize) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);
  }
  void Deallocate(void* p) {
    if (p == storage_) {
      in_use_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[kSize];
  bool in_use_ = false;
};

// The standard-allocator face of a HandlerMemory, as Asio rebinds it to its operation types.
template <typename T>
class HandlerAllocator {
 public:
  using value_type = T;

  explicit HandlerAllocator(HandlerMemory& memory) : memory_(&memory) {}
  template <typename U>
  HandlerAllocator(const HandlerAllocator<U>& other) : memory_(other.memory_) {}

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->Allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t) { memory_->Deallocate(p); }

  template <typename U>
  bool operator==(const HandlerAllocator<U>& other) const {
    return memory_ == other.memory_;
  }

 private:
  template <typename>
  friend class HandlerAllocator;
  HandlerMemory* memory_;
};

// Wraps a completion handler so Asio allocates its operation from `memory`.
template <typename Handler>
class HandlerWithMemory {
 public:
  using allocator_type = HandlerAllocator<Handler>;

  HandlerWithMemory(std::shared_ptr<HandlerMemory> memory, Handler handler)
      : memory_(std::move(memory)), handler_(std::move(handler)) {}

  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }

  template <typename... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  std::shared_ptr<HandlerMemory> memory_;
  Handler handler_;
};

template <typename Handler>
HandlerWithMemory<Handler> WithMemory(const std::shared_ptr<HandlerMemory>& memory,
                                      Handler handler) {
  return HandlerWithMemory<Handler>(memory, std::move(handler));
}

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_HANDLER_MEMORY_H_
