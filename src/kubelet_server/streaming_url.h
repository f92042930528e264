// The runtime's one-time streaming URL ("http://host:port/path?query", what containerd's
// CRI Exec/Attach/PortForward answer), split for dialing. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace minik8s::kubelet {

struct StreamingUrl {
  std::string host;    // "127.0.0.1", "::1" (brackets removed)
  std::string port;    // "80" when the URL names none
  std::string target;  // "/exec/abc?x=1"; "/" when the URL has no path
};

// nullopt for anything but an http:// URL with a host.
std::optional<StreamingUrl> parseStreamingUrl(std::string_view url);

}  // namespace minik8s::kubelet
