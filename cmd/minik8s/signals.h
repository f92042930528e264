// Process signal handling shared by the long-running subcommands (server, apiserver,
// scheduler): SIGINT/SIGTERM are blocked in every thread and awaited by main.
#pragma once

namespace minik8s::cmd {

// Blocks SIGINT and SIGTERM for this thread and the threads it starts later, and ignores
// SIGPIPE. Call first thing, before any thread is created.
void blockStopSignals();
// Waits for SIGINT or SIGTERM (blocked by blockStopSignals) and returns its number.
int waitForStopSignal();

}  // namespace minik8s::cmd
