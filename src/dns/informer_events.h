// onAnyEvent: one callback for every add, update and delete an informer sees, for the DNS
// pieces that rebuild from their caches whatever changed (ClusterRecords, HostsBlockWriter).
#pragma once

#include <functional>
#include <utility>

#include "client/informer.h"

namespace minik8s::dns {

template <typename T>
void onAnyEvent(client::Informer<T>& informer, std::function<void()> fn) {
  client::EventHandler<T> handler;
  handler.on_add = [fn](const auto&) { fn(); };
  handler.on_update = [fn](const auto&, const auto&) { fn(); };
  handler.on_delete = [fn](const auto&) { fn(); };
  informer.addHandler(std::move(handler));
}

}  // namespace minik8s::dns
