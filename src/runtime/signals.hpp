// Signals as requests to stop. The handlers only record what arrived; rank 0's loop and the
// workers' loops look at it between polls (at least every millisecond).
//
//   SIGUSR1          graceful stop: stop dispatching, give running subtasks --grace, record
//                    what finished, summary "interrupted", exit 3 (mpirun forwards it)
//   SIGTERM, SIGINT  fast stop: record what finished and print the summary at once, exit 3
//   a second signal  of any kind: a fast stop
#pragma once

namespace tasktrack {

enum class StopRequest { none, graceful, fast };

// Installs the handlers (SA_RESTART). Call once, early, from the main thread.
void install_stop_signal_handlers();

// What the signals received so far ask for.
StopRequest stop_requested();

// The last signal received (0 if none), for messages.
int last_stop_signal();

// Forgets received signals (tests run several jobs in one process).
void reset_stop_signals();

}  // namespace tasktrack
