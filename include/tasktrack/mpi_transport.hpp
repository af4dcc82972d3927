// Rank 0's side of the MPI protocol: exactly one posted receive per worker (re-posted as it
// completes, never one request per subtask) and sends that own their buffers.
#pragma once

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/request.hpp>
#include <deque>
#include <vector>

#include "tasktrack/transport.hpp"

namespace tasktrack {

// An in-flight send paired with the buffer it reads (design.md rule 2).
struct PendingSend {
  boost::mpi::request request;
  std::vector<std::byte> buffer;
};

// Starts a send of `buffer` (which the returned PendingSend keeps alive until completion).
PendingSend start_send(const boost::mpi::communicator& comm, int dest, Tag tag,
                       std::vector<std::byte> buffer);

// Drops the sends at the front of `sends` that have completed.
void reap_completed(std::deque<PendingSend>& sends);

class MpiTransport final : public Transport {
 public:
  // `workers` lists ranks 1..size-1 as they introduced themselves.
  MpiTransport(boost::mpi::communicator world, std::vector<WorkerInfo> workers);
  ~MpiTransport() override;

  const std::vector<WorkerInfo>& workers() const override { return workers_; }
  void assign(int rank, std::span<const IdRun> runs) override;
  std::size_t poll(const StatusHandler& handle) override;
  void wait(std::chrono::microseconds timeout) override;
  void stop_workers(const StatusHandler& handle, std::chrono::milliseconds deadline) override;

 private:
  // The receive posted for one worker, and the buffer it fills.
  struct PostedReceive {
    int rank = 0;
    boost::mpi::request request;
    std::vector<char> buffer;
    bool active = false;  // false once the worker said goodbye
  };

  void post(PostedReceive& receive, std::size_t bytes);
  // Handles a completed receive; false when the worker said goodbye.
  void complete(PostedReceive& receive, std::size_t bytes, const StatusHandler& handle);

  boost::mpi::communicator world_;
  std::vector<WorkerInfo> workers_;
  std::vector<PostedReceive> receives_;
  std::deque<PendingSend> sends_;
};

}  // namespace tasktrack
