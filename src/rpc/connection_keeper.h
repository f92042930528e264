// ConnectionKeeper: keeps a gRPC client channel reconnecting while nobody calls through it.
//
// gRPC's synchronous API only makes progress on a connection attempt while some thread
// polls the channel. After the server restarts, pick_first reports TRANSIENT_FAILURE while
// it reconnects in the background, so fail-fast calls return UNAVAILABLE at once without
// polling; the attempt's connect() result is never read, every attempt expires at its
// deadline ("tcp handshaker shutdown", "connection attempt timed out before receiving
// SETTINGS frame") and the channel never comes back. The keeper's thread polls the channel
// whenever it is not READY (and asks an IDLE one to connect), so a reconnect completes as
// soon as the server listens again, within one reconnect back-off step. Used by the etcd
// store and the CRI client. Owns one thread; destruction stops and joins it.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <thread>

namespace minik8s::rpc {

class ConnectionKeeper {
 public:
  explicit ConnectionKeeper(std::shared_ptr<grpc::Channel> channel);
  ~ConnectionKeeper();

  ConnectionKeeper(const ConnectionKeeper&) = delete;
  ConnectionKeeper& operator=(const ConnectionKeeper&) = delete;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::jthread thread_;  // last: stops first
};

}  // namespace minik8s::rpc
