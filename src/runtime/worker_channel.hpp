// A worker's view of rank 0: where its assignments come from and its reports go. The
// WorkerLoop only talks to this interface, so the same loop runs on an MPI worker rank
// (MpiWorkerChannel) and inside a one-process run (the in-process channel of
// InProcessTransport).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "runtime/protocol.hpp"

namespace tasktrack {

// All calls come from the thread that runs the WorkerLoop (under MPI: the rank's main
// thread, MPI_THREAD_FUNNELED). Nothing blocks except flush().
class WorkerChannel {
 public:
  virtual ~WorkerChannel() = default;

  // The next message from rank 0, or nullopt when none has arrived. Throws ProtocolError
  // on a message this build cannot have sent.
  virtual std::optional<ToWorkerMessage> receive() = 0;

  // Starts sending one encoded FromWorkerMessage (protocol.hpp) to rank 0. A status batch
  // may be larger than max_status_message_bytes; the channel then does what its transport
  // needs to deliver it in order.
  virtual void send(std::vector<std::byte> message) = 0;

  // Sends started and not delivered yet; the loop lets records pile up while it is high.
  virtual std::size_t sends_in_flight() = 0;

  // After the Goodbye: waits at most `patience` for the sends still in flight, then gives
  // up on the rest (rank 0 has what it needs by then).
  virtual void flush(std::chrono::milliseconds patience) = 0;
};

}  // namespace tasktrack
