// slowStartBatch: runs `count` calls of `fn` in batches of 1, 2, 4, ... (Kubernetes'
// slowStartBatch), each batch up to `parallelism` at a time, and stops after the first
// batch with a failure. A controller whose pods all fail (quota, bad template) then
// sends one request, not a thousand. Returns how many calls succeeded; *first_error gets
// the first failure.
#pragma once

#include <functional>

#include "common/status.h"

namespace minik8s::controller {

int slowStartBatch(int count, int initial_batch, int parallelism,
                   const std::function<Status(int index)>& fn, Status* first_error);

}  // namespace minik8s::controller
