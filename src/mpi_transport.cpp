#include "tasktrack/mpi_transport.hpp"

#include <algorithm>
#include <boost/mpi/status.hpp>
#include <thread>

namespace tasktrack {

PendingSend start_send(const boost::mpi::communicator& comm, int dest, Tag tag,
                       std::vector<std::byte> buffer) {
  PendingSend send{{}, std::move(buffer)};
  send.request = comm.isend(dest, static_cast<int>(tag),
                            reinterpret_cast<const char*>(send.buffer.data()),
                            static_cast<int>(send.buffer.size()));
  return send;
}

void reap_completed(std::deque<PendingSend>& sends) {
  while (!sends.empty() && sends.front().request.test()) sends.pop_front();
}

MpiTransport::MpiTransport(boost::mpi::communicator world, std::vector<WorkerInfo> workers)
    : world_(std::move(world)), workers_(std::move(workers)), receives_(workers_.size()) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    receives_[i].rank = workers_[i].rank;
    post(receives_[i], max_status_message_bytes);
  }
}

MpiTransport::~MpiTransport() {
  // Receives still posted belong to workers that never said goodbye. Cancel them so
  // MPI_Finalize has nothing of ours in flight; a cancelled receive completes at once.
  for (PostedReceive& receive : receives_) {
    if (!receive.active) continue;
    receive.request.cancel();
    receive.request.wait();
  }
}

void MpiTransport::post(PostedReceive& receive, std::size_t bytes) {
  receive.buffer.resize(bytes);
  receive.request = world_.irecv(receive.rank, static_cast<int>(Tag::status),
                                 receive.buffer.data(), static_cast<int>(bytes));
  receive.active = true;
}

void MpiTransport::assign(int rank, std::span<const IdRun> runs) {
  while (!runs.empty()) {
    const std::size_t count = std::min(runs.size(), max_runs_per_assign);
    sends_.push_back(start_send(world_, rank, Tag::assign, encode_assign(runs.first(count))));
    runs = runs.subspan(count);
  }
}

void MpiTransport::complete(PostedReceive& receive, std::size_t bytes,
                            const StatusHandler& handle) {
  const std::span<const std::byte> message(reinterpret_cast<const std::byte*>(receive.buffer.data()),
                                           bytes);
  const StatusBatchReader reader(message);
  if (reader.follow_bytes() > 0) {
    post(receive, reader.follow_bytes());  // the oversized batch comes next, in order
    return;
  }
  if (reader.size() > 0) handle(receive.rank, message);
  if (reader.flags() & final_batch_flag) {
    receive.active = false;
  } else {
    post(receive, max_status_message_bytes);
  }
}

std::size_t MpiTransport::poll(const StatusHandler& handle) {
  std::size_t handled = 0;
  for (PostedReceive& receive : receives_) {
    // A worker may have sent several batches; take what is there, then move on so one
    // busy worker cannot starve the others.
    for (int round = 0; round < 4 && receive.active; ++round) {
      const auto status = receive.request.test();
      if (!status) break;
      const auto bytes = status->count<char>();
      complete(receive, bytes ? static_cast<std::size_t>(*bytes) : 0, handle);
      ++handled;
    }
  }
  reap_completed(sends_);
  return handled;
}

void MpiTransport::wait(std::chrono::microseconds timeout) {
  // MPI has no wait that sleeps; the coordinator backs off between polls instead.
  std::this_thread::sleep_for(timeout);
}

void MpiTransport::stop_workers(const StatusHandler& handle, std::chrono::milliseconds deadline) {
  for (const WorkerInfo& worker : workers_) {
    sends_.push_back(start_send(world_, worker.rank, Tag::stop, {}));
  }
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  auto pause = std::chrono::microseconds(50);
  while (std::chrono::steady_clock::now() < give_up) {
    const bool waiting = std::any_of(receives_.begin(), receives_.end(),
                                     [](const PostedReceive& r) { return r.active; });
    if (!waiting) break;
    if (poll(handle) == 0) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(2000));
    }
  }
  reap_completed(sends_);
}

}  // namespace tasktrack
