#include "common/heap_trim.h"

#include <malloc.h>

namespace minik8s {

bool shouldTrimHeap(size_t high, size_t open_now, size_t min_drop) {
  return high >= open_now + min_drop && open_now <= high / 2;
}

bool HeapTrimPolicy::observe(size_t open_now) {
  if (open_now > high_) high_ = open_now;
  if (!shouldTrimHeap(high_, open_now, min_drop_)) return false;
  high_ = open_now;
  return true;
}

void trimHeap() { malloc_trim(0); }

}  // namespace minik8s
