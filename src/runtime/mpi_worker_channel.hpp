// A worker rank's side of the MPI protocol: one receive posted for rank 0's messages,
// sends that own their buffers, and the BatchFollows notice before an oversized batch.
#pragma once

#include <mpi.h>

#include <vector>

#include "runtime/mpi_requests.hpp"
#include "runtime/worker_channel.hpp"

namespace tasktrack {

// Only the rank's main thread may use it (MPI_THREAD_FUNNELED). MPI errors are thrown as
// MpiError: a worker that lost rank 0 has nothing left to do.
class MpiWorkerChannel final : public WorkerChannel {
 public:
  explicit MpiWorkerChannel(MPI_Comm comm);  // posts the receive
  ~MpiWorkerChannel() override;              // cancels it if still posted

  MpiWorkerChannel(const MpiWorkerChannel&) = delete;
  MpiWorkerChannel& operator=(const MpiWorkerChannel&) = delete;

  // After Stop nothing more is received: rank 0 sends nothing after it.
  std::optional<ToWorkerMessage> receive() override;
  void send(std::vector<std::byte> message) override;
  std::size_t sends_in_flight() override;
  void flush(std::chrono::milliseconds patience) override;

 private:
  void post();

  MPI_Comm comm_;
  std::vector<std::byte> inbox_;  // what the posted receive fills
  MPI_Request receive_ = MPI_REQUEST_NULL;
  SendQueue sends_;
};

}  // namespace tasktrack
