#include "cmd/minik8s/signals.h"

#include <pthread.h>

#include <csignal>

namespace minik8s::cmd {

namespace {
sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void blockStopSignals() {
  sigset_t set = stopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int waitForStopSignal() {
  sigset_t set = stopSignals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace minik8s::cmd
