// Where pool threads leave --output stdout blocks on an MPI worker rank, for the thread that
// talks to rank 0 to relay them (TerminalBlock in protocol.hpp): rank 0 prints them, so
// that mpirun's forwarding of the ranks' stdout never splits or interleaves them.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "output/terminal_writer.hpp"

namespace tasktrack {

// Many producers (pool threads, through writer()) push finished blocks; one consumer (the
// WorkerLoop's thread) takes them all at once, in the order they were pushed. Pushing
// wakes nobody: a pool thread pushes an attempt's block before the attempt's outcome,
// whose push into the Outbox wakes the loop, and the loop takes the blocks after the
// outcomes, so a block always goes out before its attempt's status record.
class TerminalOutbox {
 public:
  // Any thread. Never throws but std::bad_alloc.
  void push(std::string block);
  // Consumer. Replaces the contents of `out` with every block waiting.
  void take(std::vector<std::string>& out);

  // A TerminalBlockWriter that pushes here; it shares ownership of `outbox`, so a pool
  // thread left behind in a command never writes into a destroyed one.
  static TerminalBlockWriter writer(std::shared_ptr<TerminalOutbox> outbox);

 private:
  std::mutex mutex_;
  std::vector<std::string> blocks_;
};

}  // namespace tasktrack
