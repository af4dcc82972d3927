// Rank 0's side of the MPI protocol: exactly one posted receive per worker (re-posted as it
// completes, never one request per subtask), all in one request array that a poll tests
// with one MPI_Testsome (rabauke/mpl's request_pool), and sends that own their buffers.
#pragma once

#include <mpi.h>

#include <vector>

#include "runtime/mpi_requests.hpp"
#include "runtime/transport.hpp"

namespace tasktrack {

// MPI errors (under mpirun --enable-recovery a dead peer can surface as one) are caught per
// worker: that worker is reported broken and never touched again; the job goes on.
class MpiTransport final : public Transport {
 public:
  // `workers` lists ranks 1..size-1 as their Hello introduced them. Those in `deaf_to`
  // never said hello (issue 14): no receive is posted for them, since a hello that came late
  // would read as a malformed status message; sends to them still go out (Stop at the end).
  MpiTransport(MPI_Comm comm, std::vector<WorkerInfo> workers, std::vector<int> deaf_to = {});
  ~MpiTransport() override;  // cancels the receives still posted

  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  const std::vector<WorkerInfo>& workers() const override { return workers_; }
  void assign(int rank, std::span<const IdRun> runs) override;
  void drain(int rank) override;
  void stop(int rank, bool skip_finalize) override;
  std::size_t poll(const WorkerMessageHandler& handle) override;
  void wait(std::chrono::microseconds timeout) override;
  void set_time_limit(int rank, const TimeLimit& limit) override;
  bool needs_task_lines() const override { return true; }
  void send_task_lines(int rank, const TaskLines& lines) override;
  std::vector<int> take_broken() override;

 private:
  // The buffers of one worker's posted receive: requests_[i] fills receives_[i].buffer.
  struct Receive {
    int rank = 0;
    std::vector<std::byte> buffer;  // the one the posted receive fills
    std::vector<std::byte> spare;   // the one being handled
    bool active = false;            // false once the worker said goodbye or broke
  };

  std::size_t index_of(int rank) const;
  void post(std::size_t index, std::size_t bytes);
  void complete(std::size_t index, std::size_t bytes, const WorkerMessageHandler& handle);
  std::size_t poll_one_by_one(const WorkerMessageHandler& handle);
  void send(int rank, std::vector<std::byte> message);
  void mark_broken(int rank);

  MPI_Comm comm_;
  std::vector<WorkerInfo> workers_;
  std::vector<Receive> receives_;      // in workers_ order
  std::vector<MPI_Request> requests_;  // in workers_ order; MPI_REQUEST_NULL when inactive
  std::vector<int> completed_;         // MPI_Testsome's output, one slot per worker
  std::vector<MPI_Status> statuses_;   // likewise
  SendQueue sends_;
  std::vector<int> broken_;
  std::vector<bool> is_broken_;  // by rank
};

}  // namespace tasktrack
