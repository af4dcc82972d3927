#include "report/trace.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {
long long micros(double seconds) {
  return static_cast<long long>(seconds * 1e6);
}
std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump();
}
}  // namespace

TraceWriter::TraceWriter(const std::string& path) : path_(path), out_(path, std::ios::trunc) {
  if (!out_) throw system_error_from_errno("open trace '" + path + "'");
  out_ << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
}

TraceWriter::~TraceWriter() {
  try {
    close();
  } catch (...) {
    // The summary names the trace file; a broken one is noticed when opened.
  }
}

void TraceWriter::event(const std::string& json) {
  if (closed_) return;
  out_ << (first_ ? "" : ",\n") << json;
  first_ = false;
}

void TraceWriter::name_rank(int rank, const std::string& label) {
  event(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"args":{{"name":{}}}}})", rank,
                    quoted(label)));
  event(
      fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"args":{{"sort_index":{}}}}})",
                  rank, rank));
}

void TraceWriter::name_thread(int rank, unsigned thread, const std::string& label) {
  event(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":{}}}}})",
                    rank, thread, quoted(label)));
}

void TraceWriter::name_gpus(int rank, const std::vector<std::string>& gpus) {
  gpus_[rank] = gpus;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    name_thread(rank, trace_gpu_track_base + static_cast<unsigned>(i), "GPU " + gpus[i]);
  }
}

void TraceWriter::attempt(int rank, const StatusRecord& record, const AttemptReport* report,
                          bool duplicate) {
  const double duration = std::max(0.0, record.end_seconds - record.start_seconds);
  std::string resources;
  std::vector<unsigned> gpu_tracks;
  if (report != nullptr) {
    const auto known = gpus_.find(rank);
    nlohmann::json ids = nlohmann::json::array();
    for (std::size_t i = 0; i < 64; ++i) {
      if (((report->gpu_mask >> i) & 1u) == 0) continue;
      const bool named = known != gpus_.end() && i < known->second.size();
      // An unnamed GPU (no hello named it) shows as its index on the worker: "#2".
      ids.push_back(named ? known->second[i] : fmt::format("#{}", i));
      gpu_tracks.push_back(trace_gpu_track_base + static_cast<unsigned>(i));
    }
    resources = fmt::format(R"(,"cores":{},"gpus":{})", report->cores, ids.dump());
    if (report->measured) {
      resources += fmt::format(R"(,"max_rss_bytes":{},"user_cpu_s":{},"system_cpu_s":{})",
                               report->usage.max_rss_bytes, report->usage.user_cpu_seconds,
                               report->usage.system_cpu_seconds);
    }
  }
  const std::string args =
      fmt::format(R"({{"subtask":{},"state":"{}","attempt":{},"reason":"{}","duplicate":{}{}}})",
                  record.subtask, to_string(record.state), record.attempt, to_string(record.reason),
                  duplicate ? "true" : "false", resources);
  const auto slice = [&](unsigned track) {
    event(fmt::format(
        R"({{"name":"{}","cat":"attempt","ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"args":{}}})",
        record.subtask, rank, track, micros(record.start_seconds), micros(duration), args));
  };
  slice(record.thread);
  for (const unsigned track : gpu_tracks) slice(track);
}

void TraceWriter::dispatch(double seconds, int rank, std::uint32_t count) {
  event(
      fmt::format(R"({{"name":"assign","cat":"dispatch","ph":"i","s":"t","pid":0,"tid":0,"ts":{},)"
                  R"("args":{{"to_rank":{},"subtasks":{}}}}})",
                  micros(seconds), rank, count));
}

void TraceWriter::instant(double seconds, int rank, const std::string& name,
                          const std::string& detail) {
  event(fmt::format(
      R"({{"name":{},"cat":"marker","ph":"i","s":"p","pid":{},"tid":0,"ts":{},"args":{{"detail":{}}}}})",
      quoted(name), rank, micros(seconds), quoted(detail)));
}

void TraceWriter::close() {
  if (closed_) return;
  closed_ = true;
  out_ << "\n]}\n";
  out_.close();
  if (!out_) throw system_error_from_errno("write trace '" + path_ + "'");
}

}  // namespace tasktrack
