// --trace FILE: a Chrome trace-event JSON file (opens in Perfetto and chrome://tracing) with a
// process per rank, a track per worker thread and one per GPU, a slice per attempt (on its
// thread's track and on each of its GPUs' tracks), rank 0's dispatches, and instant markers
// for lost workers, retries and signals.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"

namespace tasktrack {

// A GPU's track id: after any thread's (threads are numbered from 0).
inline constexpr unsigned trace_gpu_track_base = 100000;

// Streams events to the file as they happen (nothing is held in memory per subtask). Times
// are job-clock seconds, written as microseconds. Rank 0's main thread only. Throws
// SystemError when the file cannot be written.
class TraceWriter {
 public:
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();  // close(), never throws

  void name_rank(int rank, const std::string& label);
  void name_thread(int rank, unsigned thread, const std::string& label);
  // A track per GPU of `rank` ("GPU 3"), below its threads; an attempt report's GPU mask is
  // read against these ids.
  void name_gpus(int rank, const std::vector<std::string>& gpus);
  // One slice per finished attempt (done or failed), on its rank's thread track and, when
  // `report` names GPUs, on each of their tracks. Its args carry the report's cores, GPUs
  // and measured cost.
  void attempt(int rank, const StatusRecord& record, const AttemptReport* report, bool duplicate);
  // Rank 0 handed `count` subtasks to `rank`.
  void dispatch(double seconds, int rank, std::uint32_t count);
  // A marker on `rank`'s track (rank 0 for job-wide events such as a signal).
  void instant(double seconds, int rank, const std::string& name, const std::string& detail);
  // Ends the JSON document and closes the file.
  void close();

 private:
  void event(const std::string& json);

  std::string path_;
  std::ofstream out_;
  std::map<int, std::vector<std::string>> gpus_;  // per rank, as name_gpus() gave them
  bool first_ = true;
  bool closed_ = false;
};

}  // namespace tasktrack
