// Rank 0's side of TerminalBlock (protocol.hpp): joins each worker's chunks and prints every
// block whole on rank 0's stdout, the one stream mpirun forwards from this rank, so blocks
// of different workers never interleave.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "runtime/protocol.hpp"

namespace tasktrack {

// Rank 0's main thread only (the coordinator's message handler).
class TerminalRelay {
 public:
  using Print = std::function<void(std::string_view block)>;
  // `print` takes each whole block; by default write_terminal_block (this process's stdout,
  // under the lock its own TerminalSinks share).
  TerminalRelay();
  explicit TerminalRelay(Print print) : print_(std::move(print)) {}

  // One chunk from `rank`, in the order that worker sent them: a last chunk prints the
  // block the worker's earlier chunks began. A worker lost between two chunks of a block
  // leaves that block unprinted (a worker sends a block's chunks back to back, so that
  // takes a death within microseconds). Throws what `print` throws.
  void add(int rank, const TerminalChunk& chunk);

 private:
  Print print_;
  std::map<int, std::string> partial_;  // by rank: chunks of a block not ended yet
};

}  // namespace tasktrack
