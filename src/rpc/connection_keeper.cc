#include "rpc/connection_keeper.h"

#include <chrono>

namespace minik8s::rpc {

namespace {

// How long one poll waits for a state change. Short in every state: the wait cannot be
// interrupted, so it is also how long a destruction waits for the thread to join, and
// short-lived clients (a readiness probe) are destroyed in start-up paths. (At 500 ms
// while READY, each probe added up to half a second to `minik8s up`.) A poll costs a few
// microseconds.
constexpr std::chrono::milliseconds kPoll{50};

}  // namespace

ConnectionKeeper::ConnectionKeeper(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)) {
  thread_ = std::jthread([channel = channel_](std::stop_token stop) {
    while (!stop.stop_requested()) {
      grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
      channel->WaitForStateChange(state, std::chrono::system_clock::now() + kPoll);
    }
  });
}

ConnectionKeeper::~ConnectionKeeper() = default;  // thread_ requests stop and joins

}  // namespace minik8s::rpc
