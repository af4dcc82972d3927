// Moves a running command's stdout and stderr from their pipes to its AttemptOutput as the
// bytes arrive. Internal to the command runner.
#pragma once

#include <poll.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "commands/output_cap.hpp"
#include "commands/posix_call.hpp"
#include "output/output_sink.hpp"

namespace tasktrack::process {

// The read ends of a command's pipes, serviced by the thread that waits for the command
// (wait_for polls them with the pidfd: no thread of its own, no spinning). Each stream passes
// its StreamCap, then goes to the output. The last KiB of stderr is kept in memory for the
// failure detail, whatever the output does with it. Not thread-safe: one attempt's thread.
class OutputPump {
 public:
  // Pipes are non-blocking read ends. `merged`: `stdout_pipe` carries both streams (one pipe
  // for `> file 2>&1`) and `stderr_pipe` is invalid; its bytes count as stdout and feed the
  // stderr tail too. `output` outlives the pump.
  OutputPump(FileDescriptor stdout_pipe, FileDescriptor stderr_pipe, bool merged,
             AttemptOutput& output, std::uint64_t limit);

  // The pipes still open, written to `fds` (room for two); returns how many.
  std::size_t poll_fds(pollfd* fds) const;
  // Reads what poll() found on the `count` entries poll_fds wrote (revents set).
  void service(const pollfd* fds, std::size_t count);
  bool at_end() const;

  // After the command's leader ended: reads on until both pipes reach EOF, but gives up
  // once 200 ms pass without a byte (or 2 s in all): a background process the command left
  // behind can hold a pipe open forever, and an attempt must end when its leader does.
  void drain_after_exit();

  // Ends the streams: each cap's marker and held tail go to the output. Call once, before
  // the output's finish.
  void finish_streams();

  bool capped() const;
  // The stderr tail as the failure detail quotes it (format_stderr_tail).
  std::string stderr_tail() const;

 private:
  struct Pipe {
    FileDescriptor fd;
    packed::Stream stream;
    StreamCap cap;
    bool feeds_tail;
  };
  // Reads `pipe` until it would block (or a few buffers, so that one busy stream does not
  // starve the other); returns the bytes read. Closes it at EOF.
  std::size_t read_some(Pipe& pipe);
  void pass_on(Pipe& pipe, std::string_view bytes);

  AttemptOutput& output_;
  Pipe pipes_[2];
  std::size_t pipe_count_;
  std::unique_ptr<char[]> buffer_;
  std::string tail_;  // the end of stderr: at most 2 KiB, trimmed to 1 KiB when read
  std::uint64_t tail_total_ = 0;
};

}  // namespace tasktrack::process
