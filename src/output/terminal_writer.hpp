// Where --output stdout's finished blocks go: this process's stdout, or (on an MPI worker
// rank) a writer that relays them to rank 0, which prints them on its stdout.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace tasktrack {

// Takes one finished block (an attempt's output, tagged if asked); called by pool threads
// at once, so it must be thread-safe. It must not throw: a block it cannot deliver is
// dropped, as a terminal that went away would drop it.
using TerminalBlockWriter = std::function<void(std::string block)>;

// Writes `block` to this process's stdout with one write loop under one process-wide lock,
// so blocks written by any threads of this process never interleave. Thread-safe; a failed
// write (a closed pipe) drops the rest of the block, silently.
void write_terminal_block(std::string_view block);

}  // namespace tasktrack
