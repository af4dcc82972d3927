// Rank 0's side of the MPI protocol: exactly one posted receive per worker (re-posted as it
// completes, never one request per subtask) and sends that own their buffers.
#pragma once

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/request.hpp>
#include <deque>
#include <vector>

#include "runtime/transport.hpp"

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

// MPI errors (under mpirun --enable-recovery a dead peer can surface as one) are caught per
// worker: that worker is reported broken and never touched again; the job goes on.
class MpiTransport final : public Transport {
 public:
  // `workers` lists ranks 1..size-1 as they introduced themselves.
  MpiTransport(boost::mpi::communicator world, std::vector<WorkerInfo> workers);
  ~MpiTransport() override;  // cancels the receives still posted

  const std::vector<WorkerInfo>& workers() const override { return workers_; }
  void assign(int rank, std::span<const IdRun> runs) override;
  void drain(int rank) override;
  void stop(int rank, bool skip_finalize) override;
  std::size_t poll(const StatusHandler& handle) override;
  void wait(std::chrono::microseconds timeout) override;
  void set_time_limit(int rank, const TimeLimit& limit) override;
  std::vector<int> take_broken() override;

 private:
  // The receive posted for one worker, and the buffer it fills.
  struct PostedReceive {
    int rank = 0;
    boost::mpi::request request;
    std::vector<char> buffer;  // the one the posted receive fills
    std::vector<char> spare;   // the one being handled
    bool active = false;       // false once the worker said goodbye or broke
  };

  PostedReceive& receive_of(int rank);
  void post(PostedReceive& receive, std::size_t bytes);
  void complete(PostedReceive& receive, std::size_t bytes, const StatusHandler& handle);
  void send(int rank, Tag tag, std::vector<std::byte> message);
  void mark_broken(int rank);

  boost::mpi::communicator world_;
  std::vector<WorkerInfo> workers_;
  std::vector<PostedReceive> receives_;  // in workers_ order
  std::deque<PendingSend> sends_;
  std::vector<int> broken_;
  std::vector<bool> is_broken_;  // by rank
};

}  // namespace tasktrack
