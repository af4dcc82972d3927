#include "runtime/mpi_transport.hpp"

#include <algorithm>
#include <boost/mpi/exception.hpp>
#include <boost/mpi/status.hpp>
#include <thread>

namespace tasktrack {

PendingSend start_send(const boost::mpi::communicator& comm, int dest, Tag tag,
                       std::vector<std::byte> buffer) {
  PendingSend send{{}, std::move(buffer)};
  send.request =
      comm.isend(dest, static_cast<int>(tag), reinterpret_cast<const char*>(send.buffer.data()),
                 static_cast<int>(send.buffer.size()));
  return send;
}

void reap_completed(std::deque<PendingSend>& sends) {
  while (!sends.empty() && sends.front().request.test()) sends.pop_front();
}

MpiTransport::MpiTransport(boost::mpi::communicator world, std::vector<WorkerInfo> workers)
    : world_(std::move(world)),
      workers_(std::move(workers)),
      receives_(workers_.size()),
      is_broken_(static_cast<std::size_t>(world_.size()), false) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    receives_[i].rank = workers_[i].rank;
    post(receives_[i], max_status_message_bytes);
  }
}

MpiTransport::~MpiTransport() {
  // Receives still posted belong to workers that never said goodbye (lost, dead). Cancel
  // them so MPI_Finalize has nothing of ours in flight; a cancelled receive completes at
  // once. Sends to such workers were small enough to go out eagerly.
  for (PostedReceive& receive : receives_) {
    if (!receive.active) continue;
    try {
      receive.request.cancel();
      receive.request.wait();
    } catch (const boost::mpi::exception&) {
      // The peer is gone; nothing of ours is left to complete.
    }
  }
}

MpiTransport::PostedReceive& MpiTransport::receive_of(int rank) {
  for (PostedReceive& receive : receives_) {
    if (receive.rank == rank) return receive;
  }
  throw std::out_of_range("no worker rank " + std::to_string(rank));
}

void MpiTransport::post(PostedReceive& receive, std::size_t bytes) {
  receive.buffer.resize(bytes);
  receive.request = world_.irecv(receive.rank, static_cast<int>(Tag::status), receive.buffer.data(),
                                 static_cast<int>(bytes));
  receive.active = true;
}

void MpiTransport::mark_broken(int rank) {
  if (is_broken_.at(rank)) return;
  is_broken_[rank] = true;
  broken_.push_back(rank);
  receive_of(rank).active = false;
}

std::vector<int> MpiTransport::take_broken() {
  std::vector<int> broken;
  broken.swap(broken_);
  return broken;
}

void MpiTransport::send(int rank, Tag tag, std::vector<std::byte> message) {
  if (is_broken_.at(rank)) return;
  try {
    sends_.push_back(start_send(world_, rank, tag, std::move(message)));
  } catch (const boost::mpi::exception&) {
    mark_broken(rank);
  }
}

void MpiTransport::assign(int rank, std::span<const IdRun> runs) {
  while (!runs.empty()) {
    const std::size_t count = std::min(runs.size(), max_runs_per_assign);
    send(rank, Tag::assign, encode_assign(runs.first(count)));
    runs = runs.subspan(count);
  }
}

void MpiTransport::drain(int rank) {
  send(rank, Tag::drain, {});
}

void MpiTransport::set_time_limit(int rank, const TimeLimit& limit) {
  send(rank, Tag::time_limit, encode_time_limit(limit));
}

void MpiTransport::stop(int rank, bool skip_finalize) {
  send(rank, Tag::stop, encode_stop(skip_finalize ? stop_skip_finalize_flag : 0));
}

void MpiTransport::complete(PostedReceive& receive, std::size_t bytes,
                            const StatusHandler& handle) {
  const std::span<const std::byte> message(
      reinterpret_cast<const std::byte*>(receive.buffer.data()), bytes);
  const StatusBatchReader reader(message);
  if (reader.follow_bytes() > 0) {
    post(receive, reader.follow_bytes());  // the oversized batch comes next, in order
    return;
  }
  // Re-post into the spare buffer before handling this one: the handler may throw, and
  // the worker must keep a receive posted. Two buffers per worker, reused, never zeroed.
  std::swap(receive.buffer, receive.spare);
  if (reader.flags() & final_batch_flag) {
    receive.active = false;
  } else {
    post(receive, max_status_message_bytes);
  }
  handle(receive.rank, std::span<const std::byte>(
                           reinterpret_cast<const std::byte*>(receive.spare.data()), bytes));
}

std::size_t MpiTransport::poll(const StatusHandler& handle) {
  std::size_t handled = 0;
  for (PostedReceive& receive : receives_) {
    // A worker may have sent several batches; take what is there, then move on so one
    // busy worker cannot starve the others.
    for (int round = 0; round < 4 && receive.active; ++round) {
      boost::optional<boost::mpi::status> status;
      try {
        status = receive.request.test();
      } catch (const boost::mpi::exception&) {
        mark_broken(receive.rank);
        break;
      }
      if (!status) break;
      const auto bytes = status->count<char>();
      complete(receive, bytes ? static_cast<std::size_t>(*bytes) : 0, handle);
      ++handled;
    }
  }
  try {
    reap_completed(sends_);
  } catch (const boost::mpi::exception&) {
    sends_.pop_front();  // a send to a dead peer; its rank shows up broken on its receive
  }
  return handled;
}

void MpiTransport::wait(std::chrono::microseconds timeout) {
  // MPI has no wait that sleeps; the coordinator backs off between polls instead.
  std::this_thread::sleep_for(timeout);
}

}  // namespace tasktrack
