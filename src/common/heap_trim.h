// Gives the heap that a burst of closed connections freed back to the system. glibc keeps
// freed memory in its arenas: 3,000 idle watches opened and closed left the API server
// 32 MB bigger for good (bench/idle_watch_bench.sh).
#pragma once

#include <cstddef>

namespace minik8s {

// Whether `open_now` is far enough below the high-water mark `high` to trim: at least
// `min_drop` fewer, and at most half. Pure.
bool shouldTrimHeap(size_t high, size_t open_now, size_t min_drop);

// Follows the number of open connections; says when to trim. Not thread-safe (its owner
// calls it under its own lock).
class HeapTrimPolicy {
 public:
  explicit HeapTrimPolicy(size_t min_drop = 256) : min_drop_(min_drop) {}
  // Called with the count after one opened or closed. True: trim now (a new high-water
  // mark starts from here).
  bool observe(size_t open_now);

 private:
  size_t min_drop_;
  size_t high_ = 0;
};

// malloc_trim: returns free arena pages to the system. Takes milliseconds; run it off the
// path of a request.
void trimHeap();

}  // namespace minik8s
