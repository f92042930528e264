#include "rpc/connection_keeper.h"

#include <chrono>

namespace minik8s::rpc {

namespace {

// How long one poll waits for a state change: short while connecting, so a stop is
// noticed quickly; longer while READY, where there is nothing to drive.
constexpr std::chrono::milliseconds kPollWhileConnecting{50};
constexpr std::chrono::milliseconds kPollWhileReady{500};

}  // namespace

ConnectionKeeper::ConnectionKeeper(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)) {
  thread_ = std::jthread([channel = channel_](std::stop_token stop) {
    while (!stop.stop_requested()) {
      grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
      auto poll = state == GRPC_CHANNEL_READY ? kPollWhileReady : kPollWhileConnecting;
      channel->WaitForStateChange(state, std::chrono::system_clock::now() + poll);
    }
  });
}

ConnectionKeeper::~ConnectionKeeper() = default;  // thread_ requests stop and joins

}  // namespace minik8s::rpc
