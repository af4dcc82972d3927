// The MPI plumbing both ends of the MPI transport share: errors as exceptions with the
// routine and the code, and sends that own their buffers (design.md rules 2 and 5).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"

namespace tasktrack {

// An MPI call that failed: "MPI_Isend to rank 3: MPI_ERR_...". Under mpirun
// --enable-recovery a dead peer surfaces as one.
class MpiError : public std::runtime_error {
 public:
  MpiError(const std::string& what_failed, int code);
  int code() const { return code_; }

 private:
  int code_;
};

// Throws MpiError unless `code` is MPI_SUCCESS; its text names `routine` and the peer rank
// (when >= 0).
void check_mpi(int code, const char* routine, int peer = -1);

// An in-flight send paired with the buffer it reads, which it keeps alive until the send
// completes. Move-only: the request and the buffer travel together.
class PendingSend {
 public:
  // Starts the send (MPI_Isend on `comm`). Throws MpiError.
  PendingSend(MPI_Comm comm, int dest, Tag tag, std::vector<std::byte> buffer);
  PendingSend(PendingSend&& other) noexcept;
  PendingSend& operator=(PendingSend&&) = delete;
  PendingSend(const PendingSend&) = delete;
  PendingSend& operator=(const PendingSend&) = delete;
  ~PendingSend() = default;  // a send still in flight is given up by cancel(), not here

  // True once the send completed (the buffer may go). Throws MpiError.
  bool test();
  // Gives the send up (MPI_Cancel) when the process is about to end; errors are ignored:
  // the peer is gone or the job ends.
  void cancel();

 private:
  int dest_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  std::vector<std::byte> buffer_;
};

// Sends to one or many peers, in the order started; completed ones are dropped from the
// front. Not thread-safe.
class SendQueue {
 public:
  void start(MPI_Comm comm, int dest, Tag tag, std::vector<std::byte> buffer) {
    sends_.emplace_back(comm, dest, tag, std::move(buffer));
  }
  // Drops the sends at the front that have completed. A send that failed is dropped too,
  // and its MpiError thrown.
  void reap();
  std::size_t size() const { return sends_.size(); }
  bool empty() const { return sends_.empty(); }
  // Cancels and drops every send still in flight.
  void cancel_all();

 private:
  std::deque<PendingSend> sends_;
};

}  // namespace tasktrack
