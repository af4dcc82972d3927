// The HTML report: a model of the job built from the journal's records (Report), then the
// page written from it, charts as inline SVG. Nothing on the page is fetched: the page has
// no script and a Content-Security-Policy that forbids every fetch.
#include "report/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tasktrack/error.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
using Buffer = fmt::memory_buffer;

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

// ---- text ----------------------------------------------------------------------------------

// The text as valid UTF-8 that an HTML parser takes without complaint: every byte sequence
// that is not UTF-8 (overlong, surrogate, cut short) and every control character but tab
// and newline becomes U+FFFD. Details and hosts come from kernels and machines: anything.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned lead = bytes[i];
    if (lead < 0x80) {
      if ((lead < 0x20 && lead != '\t' && lead != '\n') || lead == 0x7f) {
        out += replacement_character;
      } else {
        out += static_cast<char>(lead);
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    }
    bool valid = length > 0 && i + length <= size;
    for (std::size_t k = 1; valid && k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) {
        valid = false;
      } else {
        code = (code << 6) | (bytes[i + k] & 0x3F);
      }
    }
    if (valid &&
        ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
         (code >= 0xD800 && code <= 0xDFFF) || (code >= 0x80 && code <= 0x9F))) {
      valid = false;  // overlong, out of range, a surrogate, or a C1 control character
    }
    if (!valid) {
      out += replacement_character;
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

// HTML-escaped valid UTF-8, safe in element content and in quoted attribute values.
std::string escape(std::string_view text) {
  const std::string clean = valid_utf8(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (const char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Cuts valid UTF-8 to at most `limit` bytes without splitting a character, marking the cut.
std::string shorten(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "\xE2\x80\xA6";  // U+2026
}

// A failure detail's first line (up to `limit` bytes), valid UTF-8, not yet escaped.
std::string first_line(const std::vector<std::byte>& payload, std::size_t limit) {
  std::string text(reinterpret_cast<const char*>(payload.data()), payload.size());
  text = text.substr(0, text.find_first_of("\r\n"));
  return shorten(valid_utf8(text), limit);
}

std::string with_commas(std::uint64_t value) {
  // Built from the right, digit by digit (std::string::insert trips GCC 12's -Wrestrict).
  char text[32];
  char* at = text + sizeof text;
  int digits = 0;
  do {
    if (digits > 0 && digits % 3 == 0) *--at = ',';
    *--at = static_cast<char>('0' + value % 10);
    value /= 10;
    ++digits;
  } while (value > 0);
  return std::string(at, text + sizeof text);
}

std::string with_commas(std::int64_t value) {
  if (value >= 0) return with_commas(static_cast<std::uint64_t>(value));
  std::string text(1, '-');
  text += with_commas(static_cast<std::uint64_t>(-(value + 1)) + 1);
  return text;
}

// A duration for people: "850 µs", "104 ms", "5.23 s", "3 min 05 s", "2 h 07 min".
std::string seconds_text(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  if (seconds < 0) return fmt::format("-{}", seconds_text(-seconds));
  if (seconds == 0) return "0 s";
  if (seconds < 1e-3) return fmt::format("{:.0f} \xC2\xB5s", seconds * 1e6);
  if (seconds < 1) return fmt::format("{:.3g} ms", seconds * 1e3);
  if (seconds < 60) return fmt::format("{:.3g} s", seconds);
  const auto whole = static_cast<std::uint64_t>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, whole % 3600 / 60);
}

std::string utc_text(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || unix_seconds < 0 || unix_seconds > 253402300799.0) {
    return "?";
  }
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

std::string percent_text(double fraction) {
  if (!std::isfinite(fraction)) return "?";
  return fmt::format("{:.0f} %", fraction * 100);
}

std::string plural(std::uint64_t count, std::string_view one, std::string_view many) {
  return with_commas(count) + " " + std::string(count == 1 ? one : many);
}

// ---- the model -----------------------------------------------------------------------------

// One attempt record with usable times (both finite; an end before the start counts as no
// time at all).
struct Bar {
  double start = 0;
  double end = 0;
  const JournalAttempt* record = nullptr;
  double seconds() const { return end - start; }
};

struct SessionInfo {
  double started = std::numeric_limits<double>::quiet_NaN();
  std::int64_t ranks = 0;
  std::uint64_t workers = 0;
  std::uint64_t threads = 0;  // all workers' together
  std::uint64_t resumed = 0;
  std::string slurm_job_id;
  std::uint64_t records = 0;
  double first = infinity;  // its records' span
  double last = -infinity;
  bool has_records() const { return records > 0; }
};

struct RankStats {
  std::string host;           // from the latest session that names the rank
  std::uint64_t threads = 0;  // likewise; 0 = named by no session
  std::set<std::uint16_t> threads_seen;
  std::uint64_t done = 0;    // done records
  std::uint64_t failed = 0;  // failed-for-good records
  double busy = 0;
  double first = infinity;
  double last = -infinity;
  std::set<std::size_t> sessions;  // the sessions it has records in
};

// Bars and failures point into `records`: a Report moves (its vectors keep their buffers)
// but is never copied.
struct Report {
  Report() = default;
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;
  Report(Report&&) = default;
  Report& operator=(Report&&) = default;

  std::string journal_path;
  const JournalContents* journal = nullptr;
  // Every attempt the journal records, single records and runs' subtasks alike (done ones
  // without their result bytes, which the page never shows). Bars and failures point here.
  std::vector<JournalAttempt> records;
  std::uint64_t run_subtasks = 0;  // attempts that came from run records
  json fingerprint;                // discarded when not JSON
  std::string kernel = "?";
  std::string task_file;  // a task list's file, instead of a kernel
  std::optional<Range> range;
  std::optional<std::uint64_t> total;
  std::vector<std::pair<std::string, std::string>> params;

  std::vector<Bar> bars;  // in start order
  std::uint64_t unusable_records = 0;
  std::uint64_t done_subtasks = 0;
  std::uint64_t failed_subtasks = 0;
  std::uint64_t failed_records = 0;
  std::uint64_t retried_records = 0;            // records of attempt number > 0
  std::vector<const JournalAttempt*> failures;  // per subtask failed for good, by id
  std::map<std::int32_t, RankStats> ranks;
  std::vector<SessionInfo> sessions;
  double t0 = 0;  // the first record's start
  double t1 = 0;  // the last record's end
  double busy = 0;
  double active = 0;  // the sessions' record spans, summed

  // The result, where the journal's values give it: the sum of the first done record's value
  // per subtask, and the range elements those subtasks cover.
  std::int64_t value_sum = 0;
  bool value_overflow = false;
  std::uint64_t done_elements = 0;
};

std::optional<std::int64_t> integer_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return std::nullopt;
  const json& value = object[key];
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(number);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

std::string text_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const json& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return "";
}

// hi - lo without signed overflow (lo < hi: read_job keeps no other range).
std::uint64_t range_size(Range range) {
  return static_cast<std::uint64_t>(range.hi) - static_cast<std::uint64_t>(range.lo);
}

void read_job(Report& report) {
  report.fingerprint = json::parse(report.journal->fingerprint, nullptr, false);
  const json& job = report.fingerprint;
  if (!job.is_object()) return;
  if (job.contains("kernel") && job["kernel"].is_string()) {
    report.kernel = job["kernel"].get<std::string>();
  }
  if (job.contains("task_file") && job["task_file"].is_string()) {
    report.task_file = job["task_file"].get<std::string>();
    report.kernel = "commands";
  }
  if (job.contains("range") && job["range"].is_array() && job["range"].size() == 2 &&
      job["range"][0].is_number_integer() && job["range"][1].is_number_integer()) {
    const Range range{job["range"][0].get<std::int64_t>(), job["range"][1].get<std::int64_t>()};
    if (range.lo < range.hi) report.range = range;
  }
  if (const auto subtasks = integer_at(job, "subtasks"); subtasks && *subtasks > 0) {
    report.total = static_cast<std::uint64_t>(*subtasks);
  }
  if (job.contains("params") && job["params"].is_object()) {
    for (const auto& [name, value] : job["params"].items()) {
      report.params.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
}

void read_sessions(Report& report) {
  for (const json& record : report.journal->sessions) {
    SessionInfo session;
    if (record.is_object()) {
      if (record.contains("started_unix") && record["started_unix"].is_number()) {
        session.started = record["started_unix"].get<double>();
      }
      session.ranks = integer_at(record, "ranks").value_or(0);
      session.resumed = static_cast<std::uint64_t>(
          std::max<std::int64_t>(0, integer_at(record, "resumed").value_or(0)));
      session.slurm_job_id = text_at(record, "SLURM_JOB_ID");
      if (record.contains("workers") && record["workers"].is_array()) {
        for (const json& worker : record["workers"]) {
          const auto rank = integer_at(worker, "rank");
          if (!rank || *rank < std::numeric_limits<std::int32_t>::min() ||
              *rank > std::numeric_limits<std::int32_t>::max()) {
            continue;
          }
          const auto threads = std::max<std::int64_t>(0, integer_at(worker, "threads").value_or(0));
          ++session.workers;
          session.threads += static_cast<std::uint64_t>(threads);
          // A later session's word on a rank replaces an earlier one's.
          RankStats& stats = report.ranks[static_cast<std::int32_t>(*rank)];
          if (const std::string host = text_at(worker, "host"); !host.empty()) stats.host = host;
          if (threads > 0) stats.threads = static_cast<std::uint64_t>(threads);
        }
      }
    }
    report.sessions.push_back(std::move(session));
  }
}

// The session a record belongs to: the last one started at or before it (records are
// appended by the session that ran them, and a session's start precedes its attempts).
class SessionFinder {
 public:
  explicit SessionFinder(const std::vector<SessionInfo>& sessions) {
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      if (std::isfinite(sessions[i].started)) starts_.emplace_back(sessions[i].started, i);
    }
    std::stable_sort(starts_.begin(), starts_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  std::size_t find(double start) const {
    if (starts_.empty()) return 0;
    auto after = std::upper_bound(starts_.begin(), starts_.end(), start,
                                  [](double t, const auto& entry) { return t < entry.first; });
    if (after == starts_.begin()) return starts_.front().second;
    return std::prev(after)->second;
  }

 private:
  std::vector<std::pair<double, std::size_t>> starts_;
};

bool add_overflows(std::int64_t& sum, std::int64_t value) {
  return __builtin_add_overflow(sum, value, &sum);
}

Report build_report(const JournalContents& journal, const std::string& journal_path) {
  Report report;
  report.journal = &journal;
  report.journal_path = journal_path;
  read_job(report);
  read_sessions(report);

  // A subtask is done once any record says so (a done subtask is never run again); it
  // failed for good when its records are all failures, the last one telling how.
  for_each_attempt(journal, [&](const JournalAttempt& attempt) {
    JournalAttempt& kept = report.records.emplace_back();
    kept.subtask = attempt.subtask;
    kept.state = attempt.state;
    kept.reason = attempt.reason;
    kept.thread = attempt.thread;
    kept.attempt = attempt.attempt;
    kept.rank = attempt.rank;
    kept.start_unix = attempt.start_unix;
    kept.end_unix = attempt.end_unix;
    kept.value = attempt.value;
    kept.key = attempt.key;
    if (attempt.state != SubtaskState::done) kept.payload = attempt.payload;
  });
  report.run_subtasks = report.records.size() - journal.attempts.size();
  if (report.sessions.empty() && !report.records.empty()) report.sessions.emplace_back();
  const SessionFinder finder(report.sessions);

  std::unordered_map<SubtaskId, const JournalAttempt*> final_record;
  for (const JournalAttempt& attempt : report.records) {
    const JournalAttempt*& final = final_record[attempt.subtask];
    if (final == nullptr || final->state != SubtaskState::done) final = &attempt;
    if (attempt.state == SubtaskState::failed) ++report.failed_records;
    if (attempt.attempt > 0) ++report.retried_records;
    if (!std::isfinite(attempt.start_unix) || !std::isfinite(attempt.end_unix) ||
        !std::isfinite(attempt.end_unix - attempt.start_unix)) {
      ++report.unusable_records;
      continue;
    }
    report.bars.push_back(
        Bar{attempt.start_unix, std::max(attempt.start_unix, attempt.end_unix), &attempt});
  }
  std::stable_sort(report.bars.begin(), report.bars.end(),
                   [](const Bar& a, const Bar& b) { return a.start < b.start; });

  // The size of subtask `id`'s share of the range (Partition's rule: the remainder goes one
  // each to the first subtasks), for kernels whose result is per element.
  const auto elements_of = [&](SubtaskId id) -> std::uint64_t {
    if (!report.range || !report.total || *report.total == 0) return 0;
    const std::uint64_t size = range_size(*report.range);
    return size / *report.total + (id < size % *report.total ? 1 : 0);
  };
  for (const auto& [id, record] : final_record) {
    if (record->state == SubtaskState::done) {
      ++report.done_subtasks;
      if (add_overflows(report.value_sum, record->value)) report.value_overflow = true;
      report.done_elements += elements_of(id);
    } else {
      ++report.failed_subtasks;
      report.failures.push_back(record);
    }
  }
  std::sort(
      report.failures.begin(), report.failures.end(),
      [](const JournalAttempt* a, const JournalAttempt* b) { return a->subtask < b->subtask; });

  if (!report.bars.empty()) {
    report.t0 = report.bars.front().start;
    report.t1 = report.bars.front().end;
  }
  for (const Bar& bar : report.bars) {
    const JournalAttempt& record = *bar.record;
    report.t1 = std::max(report.t1, bar.end);
    report.busy += bar.seconds();
    const std::size_t session_index = finder.find(bar.start);
    SessionInfo& session = report.sessions[session_index];
    ++session.records;
    session.first = std::min(session.first, bar.start);
    session.last = std::max(session.last, bar.end);
    RankStats& rank = report.ranks[record.rank];
    rank.threads_seen.insert(record.thread);
    (record.state == SubtaskState::done ? rank.done : rank.failed) += 1;
    rank.busy += bar.seconds();
    rank.first = std::min(rank.first, bar.start);
    rank.last = std::max(rank.last, bar.end);
    rank.sessions.insert(session_index);
  }
  for (const SessionInfo& session : report.sessions) {
    if (session.has_records()) report.active += session.last - session.first;
  }
  return report;
}

std::uint64_t rank_threads(const RankStats& rank) {
  return rank.threads > 0 ? rank.threads : rank.threads_seen.size();
}

// ---- the time axis -------------------------------------------------------------------------

// Maps time to x for the Gantt and utilization charts. Sessions far apart in time (a resume
// hours later) each get their own piece of the axis, with a narrow break between, instead of
// a chart that is mostly empty.
class TimeAxis {
 public:
  struct Piece {
    double start, end;  // unix seconds
    double x0, x1;
    double scale;  // pixels per second
  };
  static constexpr double break_width = 26;
  static constexpr double min_piece_width = 64;  // a short session stays visible

  TimeAxis(const Report& report, double x0, double width) : t0_(report.t0) {
    std::vector<std::pair<double, double>> spans;
    for (const SessionInfo& session : report.sessions) {
      if (session.has_records()) spans.emplace_back(session.first, session.last);
    }
    std::sort(spans.begin(), spans.end());
    // Gaps shorter than 5 % of the active time (or a second) stay on the axis.
    const double merge_below = std::max(1.0, 0.05 * report.active);
    std::vector<std::pair<double, double>> merged;
    for (const auto& span : spans) {
      if (!merged.empty() && span.first - merged.back().second <= merge_below) {
        merged.back().second = std::max(merged.back().second, span.second);
      } else {
        merged.push_back(span);
      }
    }
    // Many far-apart sessions would leave no room for the sessions: one plain axis then.
    if (merged.size() > 8) {
      double end = merged.front().second;
      for (const auto& span : merged) end = std::max(end, span.second);
      merged = {{merged.front().first, end}};
    }
    if (merged.empty()) merged.emplace_back(0.0, 1.0);
    std::vector<double> seconds;
    double free_time = 0;
    for (auto& span : merged) {
      span.second = std::max(span.second, span.first + 1e-3);
      seconds.push_back(span.second - span.first);
      free_time += seconds.back();
    }
    double free_width = width - break_width * static_cast<double>(merged.size() - 1);
    // Pieces that would be narrower than min_piece_width get that much; the others share
    // what is left in proportion to their time.
    std::vector<bool> narrow(merged.size(), false);
    for (bool changed = merged.size() > 1; changed;) {
      changed = false;
      for (std::size_t i = 0; i < merged.size(); ++i) {
        if (!narrow[i] && free_time > 0 && seconds[i] * free_width / free_time < min_piece_width) {
          narrow[i] = true;
          free_width -= min_piece_width;
          free_time -= seconds[i];
          changed = true;
        }
      }
    }
    const double free_scale = free_time > 0 ? free_width / free_time : 0;
    double x = x0;
    for (std::size_t i = 0; i < merged.size(); ++i) {
      const double piece_width = narrow[i] ? min_piece_width : seconds[i] * free_scale;
      pieces_.push_back(
          Piece{merged[i].first, merged[i].second, x, x + piece_width, piece_width / seconds[i]});
      x += piece_width + break_width;
    }
  }

  double x(double t) const {
    auto after =
        std::upper_bound(pieces_.begin(), pieces_.end(), t,
                         [](double time, const Piece& piece) { return time < piece.start; });
    const Piece& piece = after == pieces_.begin() ? pieces_.front() : *std::prev(after);
    return piece.x0 + (std::clamp(t, piece.start, piece.end) - piece.start) * piece.scale;
  }
  const std::vector<Piece>& pieces() const { return pieces_; }
  double t0() const { return t0_; }

 private:
  double t0_;
  std::vector<Piece> pieces_;
};

// A round step near `raw` seconds: 1-2-5 steps, and minutes and hours past a minute.
double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  if (raw < 60) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
      if (factor * magnitude >= raw) return factor * magnitude;
    }
  }
  for (const double step : {60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0,
                            21600.0, 43200.0, 86400.0}) {
    if (step >= raw) return step;
  }
  return 86400.0 * std::ceil(raw / 86400.0);
}

// A 1-2-5 step for counts (never below 1).
double nice_count_step(double raw) {
  if (!(raw > 1)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10 * magnitude;
}

// Elapsed time since the first record, as a tick label.
std::string elapsed_label(double elapsed, double step, bool short_job) {
  if (std::fabs(elapsed) < step * 1e-3) elapsed = 0;  // no "-0.00 s" from rounding
  if (short_job) {
    const double digits = step >= 1 ? 0 : std::ceil(-std::log10(step) - 1e-9);
    return fmt::format("{:.{}f} s", elapsed,
                       static_cast<int>(std::isfinite(digits) ? std::clamp(digits, 0.0, 6.0) : 6));
  }
  const auto whole = static_cast<std::uint64_t>(std::llround(std::max(0.0, elapsed)));
  if (whole < 3600) return fmt::format("{}:{:02}", whole / 60, whole % 60);
  return fmt::format("{}:{:02}:{:02}", whole / 3600, whole % 3600 / 60, whole % 60);
}

// The x axis under a time chart: ticks, labels, breaks between far-apart sessions, and a
// dashed line with a label where each session starts.
void write_time_axis(Buffer& svg, const Report& report, const TimeAxis& axis, double top,
                     double bottom) {
  const bool short_job = report.t1 - report.t0 < 120;
  for (const TimeAxis::Piece& piece : axis.pieces()) {
    const double step = nice_step(95 / piece.scale);
    fmt::format_to(std::back_inserter(svg),
                   "<line class=\"axis\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>",
                   piece.x0, bottom, piece.x1, bottom);
    const double first = std::ceil((piece.start - axis.t0()) / step - 1e-9) * step;
    // Counted, not accumulated: far from t0 a small step can vanish in rounding.
    for (int tick = 0; tick < 200; ++tick) {
      const double elapsed = first + step * tick;
      if (elapsed > piece.end - axis.t0() + 1e-9) break;
      const double x = axis.x(axis.t0() + elapsed);
      fmt::format_to(std::back_inserter(svg),
                     "<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" "
                     "y2=\"{2:.1f}\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" "
                     "text-anchor=\"middle\">{4}</text>",
                     x, top, bottom + 4, bottom + 16, elapsed_label(elapsed, step, short_job));
    }
  }
  for (std::size_t i = 1; i < axis.pieces().size(); ++i) {
    const TimeAxis::Piece& before = axis.pieces()[i - 1];
    const TimeAxis::Piece& after = axis.pieces()[i];
    const double x = (before.x1 + after.x0) / 2;
    fmt::format_to(std::back_inserter(svg),
                   "<g class=\"break\"><title>{} with no records</title>"
                   "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>"
                   "<path d=\"M{:.1f} {:.1f}l6 -8M{:.1f} {:.1f}l6 -8\"/></g>",
                   escape(seconds_text(after.start - before.end)), before.x1 + 3, top,
                   after.x0 - before.x1 - 6, bottom - top, x - 6, bottom + 4, x, bottom + 4);
  }
  // Session starts, when there is more than one session to tell apart.
  std::size_t with_records = 0;
  for (const SessionInfo& session : report.sessions) with_records += session.has_records();
  if (with_records < 2) return;
  for (std::size_t i = 0; i < report.sessions.size(); ++i) {
    const SessionInfo& session = report.sessions[i];
    if (!session.has_records()) continue;
    const double x = axis.x(session.first);
    fmt::format_to(std::back_inserter(svg),
                   "<line class=\"session\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" "
                   "y2=\"{2:.1f}\"/><text class=\"session\" x=\"{3:.1f}\" y=\"{4:.1f}\">"
                   "session {5}</text>",
                   x, top - 12, bottom, x + 3, top - 3, i + 1);
  }
}

// ---- charts --------------------------------------------------------------------------------

constexpr double chart_width = 1200;

std::string attempt_tooltip(const Report& report, const Bar& bar) {
  const JournalAttempt& record = *bar.record;
  std::string text = fmt::format("subtask {} \xC2\xB7 attempt {} \xC2\xB7 ", record.subtask,
                                 static_cast<std::uint64_t>(record.attempt) + 1);
  if (record.state == SubtaskState::done) {
    text += "done";
  } else {
    text += fmt::format("failed ({})", to_string(record.reason));
  }
  text += fmt::format(" \xC2\xB7 {} \xC2\xB7 rank {} thread {} \xC2\xB7 at {}",
                      seconds_text(bar.seconds()), record.rank, record.thread,
                      elapsed_label(bar.start - report.t0, 0.001, true));
  if (record.state == SubtaskState::failed) {
    const std::string detail = first_line(record.payload, 160);
    if (!detail.empty()) text += "\n" + detail;
  }
  return escape(text);
}

// Which bars the Gantt chart draws: all of them up to the cap; past it every failed one (an
// even sample of them if even those are too many) and an even sample of the done ones.
std::vector<const Bar*> gantt_sample(const Report& report, std::size_t cap) {
  std::vector<const Bar*> done;
  std::vector<const Bar*> failed;
  for (const Bar& bar : report.bars) {
    (bar.record->state == SubtaskState::done ? done : failed).push_back(&bar);
  }
  if (done.size() + failed.size() <= cap) {
    done.insert(done.end(), failed.begin(), failed.end());  // failures drawn last, on top
    return done;
  }
  const auto evenly = [](const std::vector<const Bar*>& from, std::size_t count) {
    std::vector<const Bar*> picked;
    picked.reserve(count);
    for (std::size_t i = 0; i < count; ++i) picked.push_back(from[i * from.size() / count]);
    return picked;
  };
  std::vector<const Bar*> picked_failed = evenly(failed, std::min(failed.size(), cap));
  std::vector<const Bar*> picked = evenly(done, cap - picked_failed.size());
  picked.insert(picked.end(), picked_failed.begin(), picked_failed.end());
  return picked;
}

// Every (rank, thread) that ran something, plus the threads the sessions say a rank had.
std::vector<std::pair<std::int32_t, std::uint16_t>> gantt_rows(const Report& report) {
  std::set<std::pair<std::int32_t, std::uint16_t>> rows;
  for (const Bar& bar : report.bars) rows.emplace(bar.record->rank, bar.record->thread);
  for (const auto& [rank, stats] : report.ranks) {
    if (stats.threads > 256) continue;  // not believed enough to draw that many empty rows
    for (std::uint64_t thread = 0; thread < stats.threads; ++thread) {
      rows.emplace(rank, static_cast<std::uint16_t>(thread));
    }
  }
  return {rows.begin(), rows.end()};
}

void write_gantt(Buffer& html, const Report& report, std::size_t max_bars) {
  const auto rows = gantt_rows(report);
  const std::vector<const Bar*> drawn = gantt_sample(report, max_bars);
  std::map<std::pair<std::int32_t, std::uint16_t>, std::size_t> row_of;
  for (std::size_t i = 0; i < rows.size(); ++i) row_of[rows[i]] = i;

  const double left = 118;
  const double top = 24;
  const double row_height =
      rows.empty() ? 18
                   : std::clamp(std::floor(640.0 / static_cast<double>(rows.size())), 2.0, 18.0);
  const double bar_height = row_height >= 6 ? row_height - 2 : row_height;
  const double plot_height = std::max(1.0, static_cast<double>(rows.size())) * row_height;
  const double bottom = top + plot_height;
  const double height = bottom + 26;
  const TimeAxis axis(report, left, chart_width - left - 16);

  if (drawn.size() < report.bars.size()) {
    fmt::format_to(std::back_inserter(html),
                   "<p class=\"note warn\">This chart draws {} of the {} attempt records, to "
                   "keep the page small: every failed one{} and an even sample of the done ones. "
                   "The other charts and the tables count every record.</p>\n",
                   with_commas(static_cast<std::uint64_t>(drawn.size())),
                   with_commas(static_cast<std::uint64_t>(report.bars.size())),
                   report.failed_records > max_bars ? " (itself sampled evenly)" : "");
  }
  fmt::format_to(std::back_inserter(html),
                 "<svg id=\"gantt\" class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" "
                 "aria-label=\"Attempts per worker thread over time\">\n",
                 chart_width, height);
  if (rows.empty()) {
    fmt::format_to(std::back_inserter(html),
                   "<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">no attempt recorded"
                   "</text>\n</svg>\n",
                   chart_width / 2, top + 12);
    return;
  }
  // A light band behind every other rank, and the row labels: every row when there is room,
  // else one per rank.
  const bool label_rows = row_height >= 11;
  std::size_t rank_index = 0;
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t end = i;
    while (end < rows.size() && rows[end].first == rows[i].first) ++end;
    const double y = top + static_cast<double>(i) * row_height;
    const double block = static_cast<double>(end - i) * row_height;
    if (rank_index++ % 2 == 0) {
      fmt::format_to(
          std::back_inserter(html),
          "<rect class=\"band\" x=\"0\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{:.1f}\"/>", y,
          chart_width, block);
    }
    const auto found = report.ranks.find(rows[i].first);
    const std::string host =
        found != report.ranks.end() && !found->second.host.empty() ? found->second.host : "";
    if (label_rows) {
      for (std::size_t row = i; row < end; ++row) {
        fmt::format_to(std::back_inserter(html),
                       "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">rank {} "
                       "\xC2\xB7 thread {}</text>",
                       left - 6, top + (static_cast<double>(row) + 0.5) * row_height + 4,
                       rows[row].first, rows[row].second);
      }
    } else if (block >= 11) {
      fmt::format_to(std::back_inserter(html),
                     "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">rank {}</text>", left - 6,
                     y + block / 2 + 4, rows[i].first);
    }
    if (!host.empty()) {
      fmt::format_to(std::back_inserter(html),
                     "<rect class=\"hover\" x=\"0\" y=\"{:.1f}\" width=\"{:.0f}\" "
                     "height=\"{:.1f}\"><title>rank {} on {}</title></rect>",
                     y, left - 2, block, rows[i].first, escape(host));
    }
    i = end;
  }
  write_time_axis(html, report, axis, top, bottom);
  for (const Bar* bar : drawn) {
    const JournalAttempt& record = *bar->record;
    const double x = axis.x(bar->start);
    const double width = std::max(0.6, axis.x(bar->end) - x);
    const double y = top +
                     static_cast<double>(row_of.at({record.rank, record.thread})) * row_height +
                     (row_height - bar_height) / 2;
    fmt::format_to(std::back_inserter(html),
                   "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
                   "height=\"{:.1f}\"><title>{}</title></rect>\n",
                   record.state == SubtaskState::done ? "d" : "f", x, y, width, bar_height,
                   attempt_tooltip(report, *bar));
  }
  html.append(std::string_view("</svg>\n"));
}

// Busy threads over time, averaged over bins about 2 px wide, against the threads the
// sessions had.
void write_utilization(Buffer& html, const Report& report) {
  const double left = 56;
  const double top = 24;
  const double bottom = 214;
  const double height = bottom + 26;
  const TimeAxis axis(report, left, chart_width - left - 16);

  struct Bin {
    double start, end;
    double busy_seconds = 0;
  };
  std::vector<Bin> bins;
  for (const TimeAxis::Piece& piece : axis.pieces()) {
    const auto count =
        static_cast<std::size_t>(std::max(1.0, std::floor((piece.x1 - piece.x0) / 2)));
    const double width = (piece.end - piece.start) / static_cast<double>(count);
    for (std::size_t i = 0; i < count; ++i) {
      bins.push_back(
          Bin{piece.start + width * static_cast<double>(i),
              i + 1 == count ? piece.end : piece.start + width * static_cast<double>(i + 1)});
    }
  }
  std::vector<std::pair<double, int>> events;
  events.reserve(report.bars.size() * 2);
  for (const Bar& bar : report.bars) {
    events.emplace_back(bar.start, +1);
    events.emplace_back(bar.end, -1);
  }
  std::sort(events.begin(), events.end());
  std::int64_t busy = 0;
  std::int64_t peak = 0;
  std::size_t next = 0;
  for (Bin& bin : bins) {
    while (next < events.size() && events[next].first <= bin.start) busy += events[next++].second;
    double t = bin.start;
    while (next < events.size() && events[next].first < bin.end) {
      bin.busy_seconds += static_cast<double>(busy) * (events[next].first - t);
      t = events[next].first;
      busy += events[next++].second;
      peak = std::max(peak, busy);
    }
    peak = std::max(peak, busy);
    bin.busy_seconds += static_cast<double>(busy) * (bin.end - t);
  }
  std::uint64_t capacity = 0;
  for (const SessionInfo& session : report.sessions) {
    if (session.has_records()) capacity = std::max(capacity, session.threads);
  }
  // Headroom above the capacity line, for its label.
  const double y_max =
      1.1 * std::max({1.0, static_cast<double>(peak), static_cast<double>(capacity)});
  const double y_step = nice_count_step(y_max / 5);
  const double y_top = std::ceil(y_max / y_step) * y_step;
  const auto y = [&](double value) { return bottom - (bottom - top) * value / y_top; };

  fmt::format_to(std::back_inserter(html),
                 "<svg id=\"utilization\" class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" "
                 "role=\"img\" aria-label=\"Busy threads over time\">\n",
                 chart_width, height);
  for (double value = 0; value <= y_top + 1e-9; value += y_step) {
    fmt::format_to(std::back_inserter(html),
                   "<line class=\"grid\" x1=\"{0:.0f}\" y1=\"{1:.1f}\" x2=\"{2:.0f}\" "
                   "y2=\"{1:.1f}\"/><text x=\"{3:.0f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}"
                   "</text>",
                   left, y(value), chart_width - 16, left - 6, y(value) + 4, value);
  }
  fmt::format_to(std::back_inserter(html),
                 "<text x=\"12\" y=\"{:.0f}\" transform=\"rotate(-90 12 {:.0f})\" "
                 "text-anchor=\"middle\">busy threads</text>",
                 (top + bottom) / 2, (top + bottom) / 2);
  write_time_axis(html, report, axis, top, bottom);
  if (report.bars.empty()) {
    fmt::format_to(std::back_inserter(html),
                   "<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">no attempt recorded"
                   "</text>\n</svg>\n",
                   chart_width / 2, (top + bottom) / 2);
    return;
  }
  // The area, one path per piece of the axis.
  std::size_t bin = 0;
  for (const TimeAxis::Piece& piece : axis.pieces()) {
    std::string path = fmt::format("M{:.1f} {:.1f}", piece.x0, bottom);
    for (; bin < bins.size() && bins[bin].start < piece.end; ++bin) {
      const double average =
          bins[bin].busy_seconds / std::max(1e-12, bins[bin].end - bins[bin].start);
      path += fmt::format("L{:.1f} {:.1f}L{:.1f} {:.1f}", axis.x(bins[bin].start), y(average),
                          axis.x(bins[bin].end), y(average));
    }
    path += fmt::format("L{:.1f} {:.1f}Z", piece.x1, bottom);
    fmt::format_to(std::back_inserter(html), "<path class=\"area\" d=\"{}\"/>\n", path);
  }
  // What each session had; labelled where it changes.
  std::uint64_t labelled = 0;
  for (const SessionInfo& session : report.sessions) {
    if (!session.has_records() || session.threads == 0) continue;
    const double x0 = axis.x(session.first);
    const double at = y(static_cast<double>(session.threads));
    fmt::format_to(std::back_inserter(html),
                   "<line class=\"capacity\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" "
                   "y2=\"{:.1f}\"/>",
                   x0, at, axis.x(session.last), at);
    if (session.threads != labelled) {
      fmt::format_to(std::back_inserter(html),
                     "<text class=\"capacity\" x=\"{:.1f}\" y=\"{:.1f}\">{} worker threads"
                     "</text>",
                     x0 + 4, at - 4, session.threads);
      labelled = session.threads;
    }
  }
  // Hover targets: the average of every bin, in words.
  for (const Bin& b : bins) {
    const double average = b.busy_seconds / std::max(1e-12, b.end - b.start);
    fmt::format_to(std::back_inserter(html),
                   "<rect class=\"hover\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" "
                   "height=\"{:.0f}\"><title>{}\xE2\x80\x93{}: {:.2f} busy threads on average"
                   "</title></rect>",
                   axis.x(b.start), top, std::max(0.5, axis.x(b.end) - axis.x(b.start)),
                   bottom - top, elapsed_label(b.start - report.t0, 0.01, true),
                   elapsed_label(b.end - report.t0, 0.01, true), average);
  }
  html.append(std::string_view("\n</svg>\n"));
}

// How long attempts took: done and failed stacked, on log-spaced bins when durations span
// more than two orders of magnitude.
void write_histogram(Buffer& html, const Report& report) {
  const double left = 72;  // room for counts like "40,000" beside the axis title
  const double right = chart_width - 16;
  const double top = 16;
  const double bottom = 214;
  const double height = bottom + 40;
  fmt::format_to(std::back_inserter(html),
                 "<svg id=\"durations\" class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" "
                 "role=\"img\" aria-label=\"Histogram of attempt durations\">\n",
                 chart_width, height);
  if (report.bars.empty()) {
    fmt::format_to(std::back_inserter(html),
                   "<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">no attempt recorded"
                   "</text>\n</svg>\n",
                   chart_width / 2, (top + bottom) / 2);
    return;
  }
  double longest = 0;
  double shortest_positive = infinity;
  for (const Bar& bar : report.bars) {
    longest = std::max(longest, bar.seconds());
    if (bar.seconds() > 0) shortest_positive = std::min(shortest_positive, bar.seconds());
  }
  const bool logarithmic = std::isfinite(shortest_positive) && longest / shortest_positive > 100;
  constexpr std::size_t bin_count = 40;
  std::vector<double> edges(bin_count + 1);
  const double low = logarithmic ? std::log10(shortest_positive) : 0;
  const double high = logarithmic ? std::log10(longest) : (longest > 0 ? longest : 1);
  for (std::size_t i = 0; i <= bin_count; ++i) {
    const double at = low + (high - low) * static_cast<double>(i) / bin_count;
    edges[i] = logarithmic ? std::pow(10.0, at) : at;
  }
  const auto bin_of = [&](double seconds) -> std::size_t {
    double position = 0;
    if (logarithmic) {
      position = seconds > 0 ? (std::log10(seconds) - low) / (high - low) : 0;
    } else {
      position = seconds / high;
    }
    return static_cast<std::size_t>(std::clamp(position * bin_count, 0.0, bin_count - 1.0));
  };
  std::vector<std::uint64_t> done(bin_count, 0);
  std::vector<std::uint64_t> failed(bin_count, 0);
  for (const Bar& bar : report.bars) {
    (bar.record->state == SubtaskState::done ? done : failed)[bin_of(bar.seconds())] += 1;
  }
  std::uint64_t tallest = 1;
  for (std::size_t i = 0; i < bin_count; ++i) tallest = std::max(tallest, done[i] + failed[i]);
  const double y_step = nice_count_step(static_cast<double>(tallest) / 5);
  const double y_top = std::ceil(static_cast<double>(tallest) / y_step) * y_step;
  const auto y = [&](double value) { return bottom - (bottom - top) * value / y_top; };
  for (double value = 0; value <= y_top + 1e-9; value += y_step) {
    fmt::format_to(std::back_inserter(html),
                   "<line class=\"grid\" x1=\"{0:.0f}\" y1=\"{1:.1f}\" x2=\"{2:.0f}\" "
                   "y2=\"{1:.1f}\"/><text x=\"{3:.0f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}"
                   "</text>",
                   left, y(value), right, left - 6, y(value) + 4,
                   with_commas(static_cast<std::uint64_t>(value)));
  }
  fmt::format_to(std::back_inserter(html),
                 "<text x=\"12\" y=\"{0:.0f}\" transform=\"rotate(-90 12 {0:.0f})\" "
                 "text-anchor=\"middle\">attempts</text>",
                 (top + bottom) / 2);
  const double slot = (right - left) / bin_count;
  for (std::size_t i = 0; i < bin_count; ++i) {
    const double x = left + slot * static_cast<double>(i) + 1;
    const auto total = done[i] + failed[i];
    fmt::format_to(std::back_inserter(html),
                   "<g><title>{}\xE2\x80\x93{}: {} done, {} failed</title>",
                   escape(seconds_text(edges[i])), escape(seconds_text(edges[i + 1])),
                   with_commas(done[i]), with_commas(failed[i]));
    if (done[i] > 0) {
      fmt::format_to(
          std::back_inserter(html),
          "<rect class=\"d\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>", x,
          y(static_cast<double>(done[i])), slot - 2, bottom - y(static_cast<double>(done[i])));
    }
    if (failed[i] > 0) {
      fmt::format_to(
          std::back_inserter(html),
          "<rect class=\"f\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>", x,
          y(static_cast<double>(total)), slot - 2,
          y(static_cast<double>(done[i])) - y(static_cast<double>(total)));
    }
    // An invisible target the height of the plot, so that short bars have a tooltip too.
    fmt::format_to(std::back_inserter(html),
                   "<rect class=\"hover\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" "
                   "height=\"{:.0f}\"/></g>\n",
                   x, top, slot - 2, bottom - top);
  }
  fmt::format_to(
      std::back_inserter(html),
      "<line class=\"axis\" x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" y2=\"{1:.0f}\"/>", left,
      bottom, right);
  for (std::size_t i = 0; i <= bin_count; i += 5) {
    const double x = left + slot * static_cast<double>(i);
    fmt::format_to(std::back_inserter(html),
                   "<line class=\"axis\" x1=\"{0:.1f}\" y1=\"{1:.0f}\" x2=\"{0:.1f}\" "
                   "y2=\"{2:.0f}\"/><text x=\"{0:.1f}\" y=\"{3:.0f}\" text-anchor=\"{5}\">{4}"
                   "</text>",
                   x, bottom, bottom + 4, bottom + 16, escape(seconds_text(edges[i])),
                   i == bin_count ? "end" : "middle");
  }
  fmt::format_to(std::back_inserter(html),
                 "<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">attempt duration{}"
                 "</text>\n</svg>\n",
                 (left + right) / 2, bottom + 34, logarithmic ? " (log scale)" : "");
}

// ---- tables and headline -------------------------------------------------------------------

void write_card(Buffer& html, std::string_view key, const std::string& value,
                const std::string& note, std::string_view value_class = "") {
  fmt::format_to(std::back_inserter(html),
                 "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v{}{}\">{}</div>"
                 "<div class=\"n\">{}</div></div>\n",
                 key, value_class.empty() ? "" : " ", value_class, value, note);
}

// The result, where the journal alone gives it: its values are per subtask, its reduction
// is not recorded. For the kernels whose result is the sum of those values (or, for pi,
// 4 hits / samples) it is shown; otherwise the page says it is not recorded.
std::pair<std::string, std::string> result_text(const Report& report) {
  const bool complete = report.total && report.done_subtasks == *report.total;
  const std::string partial =
      report.total ? fmt::format("partial: from the {} of {} subtasks done",
                                 with_commas(report.done_subtasks), with_commas(*report.total))
                   : "from the subtasks done";
  if (!report.task_file.empty()) return {"\xE2\x80\x94", "a task list has no reduced result"};
  if (report.value_overflow) {
    return {"not recorded", "the kernel's reduction is not in the journal"};
  }
  if (report.kernel == "primes" || report.kernel == "noop") {
    const std::string unit = report.kernel == "primes" ? "primes" : "elements";
    return {with_commas(report.value_sum),
            complete ? unit + ": the sum of the per-subtask counts" : unit + ", " + partial};
  }
  if (report.kernel == "pi" && report.done_elements > 0) {
    const double estimate =
        4.0 * static_cast<double>(report.value_sum) / static_cast<double>(report.done_elements);
    return {fmt::format("\xCF\x80 \xE2\x89\x88 {:.6f}", estimate),
            fmt::format("{} hits in {} samples{}", with_commas(report.value_sum),
                        with_commas(report.done_elements), complete ? "" : "; " + partial)};
  }
  return {"not recorded", fmt::format("the journal holds per-subtask values (they sum to {}), not "
                                      "the {} kernel's reduction",
                                      with_commas(report.value_sum), escape(report.kernel))};
}

void write_headline(Buffer& html, const Report& report) {
  html.append(std::string_view("<section class=\"cards\">\n"));
  std::string job_note;
  if (!report.task_file.empty()) {
    job_note = "task list " + escape(report.task_file);
  } else {
    if (report.range) job_note = fmt::format("range {}:{}", report.range->lo, report.range->hi);
    for (const auto& [name, value] : report.params) {
      job_note += (job_note.empty() ? "" : " \xC2\xB7 ") + escape(name + "=" + value);
    }
  }
  write_card(html, "job", escape(report.kernel), job_note);

  const std::uint64_t finished = report.done_subtasks + report.failed_subtasks;
  const std::string total = report.total ? with_commas(*report.total) : "?";
  std::string subtasks_note =
      fmt::format("<span class=\"{}\">{} failed for good</span>",
                  report.failed_subtasks > 0 ? "bad" : "", with_commas(report.failed_subtasks));
  if (report.total) {
    subtasks_note += fmt::format(
        " \xC2\xB7 {} not finished",
        with_commas(*report.total > finished ? *report.total - finished : std::uint64_t{0}));
  }
  write_card(html, "subtasks done", with_commas(report.done_subtasks) + " / " + total,
             subtasks_note);

  std::uint64_t sessions_with_records = 0;
  for (const SessionInfo& session : report.sessions) sessions_with_records += session.has_records();
  write_card(
      html, "wall span", report.bars.empty() ? "\xE2\x80\x94" : seconds_text(report.t1 - report.t0),
      sessions_with_records > 1 ? fmt::format("{} of it running, in {} sessions",
                                              seconds_text(report.active), sessions_with_records)
                                : "first attempt's start to last attempt's end");

  std::uint64_t capacity = 0;
  for (const SessionInfo& session : report.sessions) {
    if (session.has_records()) capacity = std::max(capacity, session.threads);
  }
  const double mean_busy = report.active > 0 ? report.busy / report.active : 0;
  write_card(html, "busy time", seconds_text(report.busy),
             capacity > 0
                 ? fmt::format("{:.1f} of {} threads busy on average ({})", mean_busy, capacity,
                               percent_text(mean_busy / static_cast<double>(capacity)))
                 : fmt::format("{:.1f} threads busy on average", mean_busy));

  write_card(html, "attempts recorded",
             with_commas(static_cast<std::uint64_t>(report.records.size())),
             fmt::format("{} failed \xC2\xB7 {} after a retry", with_commas(report.failed_records),
                         with_commas(report.retried_records)));

  const SessionInfo* latest = nullptr;
  for (const SessionInfo& session : report.sessions) {
    if (session.ranks > 0 || session.workers > 0) latest = &session;
  }
  if (latest != nullptr) {
    write_card(html, "ranks", with_commas(latest->ranks),
               fmt::format("{} \xC2\xB7 {} in all (latest session)",
                           plural(latest->workers, "worker", "workers"),
                           plural(latest->threads, "thread", "threads")));
  } else {
    write_card(html, "ranks", with_commas(static_cast<std::uint64_t>(report.ranks.size())),
               "ranks with records (no session record)");
  }
  const auto [result, result_note] = result_text(report);
  write_card(html, "result", result, result_note);
  write_card(html, "sessions",
             with_commas(static_cast<std::uint64_t>(report.journal->sessions.size())),
             report.journal->sessions.size() > 1 ? "the job was resumed" : "one run, not resumed");
  html.append(std::string_view("</section>\n"));
}

void write_job_section(Buffer& html, const Report& report) {
  html.append(std::string_view("<h2>Job</h2>\n<table class=\"kv\">\n"));
  const auto row = [&](std::string_view key, const std::string& value) {
    fmt::format_to(std::back_inserter(html), "<tr><th>{}</th><td>{}</td></tr>\n", key, value);
  };
  if (!report.task_file.empty()) {
    row("task list", "<code>" + escape(report.task_file) + "</code>");
  } else {
    row("kernel", escape(report.kernel));
  }
  if (report.range) {
    row("range", fmt::format("[{}, {}) \xC2\xB7 {} elements", report.range->lo, report.range->hi,
                             with_commas(range_size(*report.range))));
  }
  if (report.total) row("subtasks", with_commas(*report.total));
  if (!report.params.empty()) {
    std::string text;
    for (const auto& [name, value] : report.params) {
      text += fmt::format("{}<code>{}</code>", text.empty() ? "" : " ", escape(name + "=" + value));
    }
    row("params", text);
  }
  row("fingerprint",
      fmt::format("{} <code>{}</code>", escape(fingerprint_digest(report.journal->fingerprint)),
                  escape(shorten(valid_utf8(report.journal->fingerprint), 600))));
  row("journal", "<code>" + escape(report.journal_path) + "</code>");
  if (!report.bars.empty()) {
    row("first start", escape(utc_text(report.t0)));
    row("last end", escape(utc_text(report.t1)));
  }
  html.append(std::string_view("</table>\n"));

  if (report.journal->sessions.empty()) return;
  html.append(std::string_view(
      "<h3>Sessions</h3>\n<p class=\"note\">Each run of the job with this journal is a session; a "
      "resumed session does not run again what an earlier one finished.</p>\n"
      "<table><tr><th class=\"num\">#</th><th>started</th><th class=\"num\">ranks</th>"
      "<th class=\"num\">workers</th><th class=\"num\">threads</th><th class=\"num\">resumed"
      "</th><th>Slurm job</th><th class=\"num\">records</th><th class=\"num\">span</th></tr>\n"));
  for (std::size_t i = 0; i < report.journal->sessions.size(); ++i) {
    const SessionInfo& session = report.sessions[i];
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                   "<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                   i + 1, escape(utc_text(session.started)), session.ranks, session.workers,
                   session.threads, with_commas(session.resumed),
                   session.slurm_job_id.empty() ? "\xE2\x80\x94" : escape(session.slurm_job_id),
                   with_commas(session.records),
                   session.has_records() ? escape(seconds_text(session.last - session.first))
                                         : "\xE2\x80\x94");
  }
  html.append(std::string_view("</table>\n"));
}

void write_rank_table(Buffer& html, const Report& report) {
  html.append(std::string_view(
      "<h2>Per rank</h2>\n<p class=\"note\">Hosts and threads from the latest session that "
      "names the rank. <b>done</b> and <b>failed</b> count the records of attempts that rank ran "
      "(failed: failed for good); <b>busy</b> is their summed duration and <b>utilization</b> "
      "busy / (threads \xC3\x97 the span of the sessions it ran in). First and last are the "
      "first attempt's start and the last attempt's end, from the first record of the job. A "
      "lost worker is not recorded as such: its rows end early, and what it had not finished "
      "shows up on the ranks it was reassigned to.</p>\n"
      "<table id=\"ranks\"><tr><th class=\"num\">rank</th><th>host</th><th class=\"num\">threads"
      "</th><th class=\"num\">done</th><th class=\"num\">failed</th><th class=\"num\">busy</th>"
      "<th class=\"num\">utilization</th><th class=\"num\">first</th><th class=\"num\">last</th>"
      "</tr>\n"));
  for (const auto& [rank, stats] : report.ranks) {
    double span = 0;
    for (const std::size_t session : stats.sessions) {
      span += report.sessions[session].last - report.sessions[session].first;
    }
    const std::uint64_t threads = rank_threads(stats);
    const bool ran = stats.done + stats.failed > 0;
    fmt::format_to(
        std::back_inserter(html),
        "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
        "</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        rank, stats.host.empty() ? "?" : escape(stats.host), threads, with_commas(stats.done),
        stats.failed > 0 ? " bad" : "", with_commas(stats.failed), escape(seconds_text(stats.busy)),
        ran && span > 0 && threads > 0
            ? percent_text(stats.busy / (span * static_cast<double>(threads)))
            : "\xE2\x80\x94",
        ran ? escape(elapsed_label(stats.first - report.t0, 0.01, true)) : "\xE2\x80\x94",
        ran ? escape(elapsed_label(stats.last - report.t0, 0.01, true)) : "no records");
  }
  html.append(std::string_view("</table>\n"));
}

constexpr std::size_t max_failure_rows = 2000;

void write_failures(Buffer& html, const Report& report) {
  html.append(std::string_view("<h2>Failures</h2>\n"));
  if (report.failures.empty()) {
    html.append(std::string_view(
        report.failed_records > 0
            ? "<p class=\"note\">No subtask is failed: every one that failed for good was done "
              "in a later session.</p>\n"
            : "<p class=\"note\">No subtask failed for good.</p>\n"));
    return;
  }
  std::map<std::string_view, std::uint64_t> by_reason;
  for (const JournalAttempt* failure : report.failures) ++by_reason[to_string(failure->reason)];
  std::string reasons;
  for (const auto& [reason, count] : by_reason) {
    reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", with_commas(count), reason);
  }
  fmt::format_to(std::back_inserter(html),
                 "<p class=\"note\">{} failed for good ({}). <b>attempts</b> is how many it was "
                 "given in its last session; <b>detail</b> is the first line of what the kernel "
                 "reported.{}</p>\n",
                 plural(report.failures.size(), "subtask", "subtasks"), escape(reasons),
                 report.failures.size() > max_failure_rows
                     ? fmt::format(" The first {} are listed.", with_commas(max_failure_rows))
                     : "");
  html.append(std::string_view(
      "<table id=\"failures\"><tr><th class=\"num\">subtask</th><th class=\"num\">attempts</th>"
      "<th>reason</th><th class=\"num\">rank</th><th class=\"num\">at</th><th>detail</th>"
      "</tr>\n"));
  for (std::size_t i = 0; i < std::min(report.failures.size(), max_failure_rows); ++i) {
    const JournalAttempt& failure = *report.failures[i];
    const bool timed = std::isfinite(failure.start_unix) && !report.bars.empty();
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"detail\">{}</td>"
                   "</tr>\n",
                   failure.subtask, static_cast<std::uint64_t>(failure.attempt) + 1,
                   escape(to_string(failure.reason)), failure.rank,
                   timed ? escape(elapsed_label(failure.start_unix - report.t0, 0.01, true)) : "?",
                   escape(first_line(failure.payload, 300)));
  }
  html.append(std::string_view("</table>\n"));
}

void write_slowest(Buffer& html, const Report& report) {
  if (report.bars.empty()) return;
  std::vector<const Bar*> slowest;
  for (const Bar& bar : report.bars) slowest.push_back(&bar);
  const std::size_t shown = std::min<std::size_t>(10, slowest.size());
  std::partial_sort(slowest.begin(), slowest.begin() + static_cast<std::ptrdiff_t>(shown),
                    slowest.end(),
                    [](const Bar* a, const Bar* b) { return a->seconds() > b->seconds(); });
  html.append(std::string_view(
      "<h2>Slowest attempts</h2>\n<table id=\"slowest\"><tr><th class=\"num\">subtask</th>"
      "<th class=\"num\">attempt</th><th>state</th><th class=\"num\">rank</th><th class=\"num\">"
      "thread</th><th class=\"num\">duration</th></tr>\n"));
  for (std::size_t i = 0; i < shown; ++i) {
    const JournalAttempt& record = *slowest[i]->record;
    fmt::format_to(std::back_inserter(html),
                   "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                   "</tr>\n",
                   record.subtask, static_cast<std::uint64_t>(record.attempt) + 1,
                   record.state == SubtaskState::done ? "" : "bad",
                   record.state == SubtaskState::done
                       ? std::string("done")
                       : "failed (" + std::string(to_string(record.reason)) + ")",
                   record.rank, record.thread, escape(seconds_text(slowest[i]->seconds())));
  }
  html.append(std::string_view("</table>\n"));
}

constexpr std::string_view style = R"(
:root{--done:#4e79a7;--failed:#e15759;--ink:#1f2933;--muted:#52606d;--line:#d9dee3;
--band:#f3f5f8;--area:#9cc3e4;--area-line:#2f6b9a}
*{box-sizing:border-box}
body{margin:0;background:#f7f8fa;color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:12px 24px 48px}
h1{font-size:22px;margin:10px 0 2px}
h2{font-size:17px;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
.sub,.note{color:var(--muted);font-size:13px;max-width:980px}
.warn{background:#fff4e5;border:1px solid #f0b264;border-radius:6px;padding:8px 12px;color:#6b4200}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .k{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:21px;font-weight:600;margin:2px 0;overflow-wrap:anywhere}
.card .n{font-size:12.5px;color:var(--muted);overflow-wrap:anywhere}
.bad{color:#b3261e;font-weight:600}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);font-size:13px;margin:6px 0}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.detail{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
overflow-wrap:anywhere;max-width:640px}
table.kv th{width:120px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;
overflow-wrap:anywhere}
.legend{font-size:13px;color:var(--muted);margin:4px 0 6px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;
margin:0 5px 0 14px}
.legend i.d{background:var(--done)}.legend i.f{background:var(--failed)}
.legend i.a{background:var(--area)}
svg.chart{display:block;width:100%;height:auto;background:#fff;border:1px solid var(--line);
border-radius:6px}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:var(--muted)}
svg .d{fill:var(--done)}svg .f{fill:var(--failed)}
svg .d:hover,svg .f:hover{stroke:#111;stroke-width:1}
svg .band{fill:var(--band)}
svg .hover{fill:transparent}
svg .grid{stroke:#e6e9ed;stroke-width:1}
svg .axis{stroke:#9aa5b1;stroke-width:1}
svg .session{stroke:#7b8794;stroke-dasharray:4 3;fill:#3e4c59}
svg .break rect{fill:#eef0f3}svg .break path{stroke:#7b8794;stroke-width:1.5;fill:none}
svg .area{fill:var(--area);stroke:var(--area-line);stroke-width:1}
svg .capacity{stroke:#b3261e;stroke-dasharray:6 4;fill:#b3261e}
svg g:hover rect.d,svg g:hover rect.f{opacity:.8}
footer{margin-top:36px;color:var(--muted);font-size:12.5px;max-width:980px}
)";

}  // namespace

void write_html_report(const JournalContents& journal, const std::string& journal_path,
                       std::ostream& out) {
  const Report report = build_report(journal, journal_path);
  Buffer html;
  const std::string title =
      report.task_file.empty()
          ? fmt::format("tasktrack report: {}{}", report.kernel,
                        report.total ? ", " + with_commas(*report.total) + " subtasks" : "")
          : "tasktrack report: task list " + report.task_file;
  // No script, and a policy that forbids fetching anything: the page is all there is.
  fmt::format_to(std::back_inserter(html),
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n<title>{}</title>\n<style>{}</style>\n</head>\n"
                 "<body>\n<main>\n<h1>{}</h1>\n<p class=\"sub\">From the journal <code>{}</code> "
                 "alone: {}, {}.</p>\n",
                 escape(title), style, escape(title), escape(journal_path),
                 plural(report.records.size(), "attempt", "attempts"),
                 plural(journal.sessions.size(), "session", "sessions"));
  if (journal.warning) {
    fmt::format_to(std::back_inserter(html), "<p class=\"warn\">Journal damaged: {}</p>\n",
                   escape(*journal.warning));
  }
  if (journal.fingerprint.empty()) {
    html.append(std::string_view(
        "<p class=\"warn\">This journal is empty: the job that created it has not written its "
        "header yet.</p>\n"));
  }
  if (report.unusable_records > 0) {
    fmt::format_to(std::back_inserter(html),
                   "<p class=\"warn\">{} had no usable start or end time: the charts leave them "
                   "out; the counts include them.</p>\n",
                   plural(report.unusable_records, "record", "records"));
  }
  if (report.run_subtasks > 0) {
    fmt::format_to(std::back_inserter(html),
                   "<p class=\"note\">{} were recorded in runs (consecutive fast subtasks of one "
                   "thread, recorded together with one time span): the charts spread each run's "
                   "span evenly over its subtasks.</p>\n",
                   plural(report.run_subtasks, "attempt", "attempts"));
  }
  write_headline(html, report);
  write_job_section(html, report);

  html.append(std::string_view(
      "<h2>Attempts per worker thread</h2>\n<p class=\"note\">One row per worker thread (rank "
      "\xC2\xB7 thread), one bar per recorded attempt from its start to its end; hover a bar for "
      "its subtask, attempt, duration and, for a failure, its reason. Time runs from the first "
      "attempt's start.</p>\n<div class=\"legend\"><i class=\"d\"></i>done<i class=\"f\"></i>"
      "failed for good</div>\n"));
  write_gantt(html, report, report_max_gantt_bars);

  html.append(std::string_view(
      "<h2>Busy threads over time</h2>\n<p class=\"note\">Threads running a recorded attempt, "
      "averaged over short intervals; the dashed line is the worker threads the session "
      "had.</p>\n<div class=\"legend\"><i class=\"a\"></i>busy threads</div>\n"));
  write_utilization(html, report);

  html.append(
      std::string_view("<h2>Attempt durations</h2>\n<div class=\"legend\"><i class=\"d\"></i>done"
                       "<i class=\"f\"></i>failed for good</div>\n"));
  write_histogram(html, report);

  write_rank_table(html, report);
  write_failures(html, report);
  write_slowest(html, report);

  html.append(std::string_view(
      "<footer>What a journal does not record: attempts that failed and were retried (a record "
      "is a done attempt or one that failed for good; its attempt number tells how many came "
      "before), lost workers and reassignments, duplicates, and the kernel's reduced result. "
      "<code>tasktrack run --summary-json</code> has those for the run that wrote it.</footer>\n"
      "</main>\n</body>\n</html>\n"));
  out.write(html.data(), static_cast<std::streamsize>(html.size()));
}

int run_report_command(const std::string& journal_path, const std::string& html_path) {
  const auto fail = [](const std::string& message) {
    std::cout.flush();
    fmt::print(stderr, "tasktrack: error: {}\n", message);
    std::fflush(stderr);
    return static_cast<int>(exit_failed_subtasks);
  };
  JournalContents journal;
  try {
    journal = read_journal(journal_path);
  } catch (const SystemError& error) {
    return fail(error.what());
  }
  if (journal.warning) {
    fmt::print(stderr, "tasktrack: warning: {}\n", *journal.warning);
    std::fflush(stderr);
  }

  // Written beside the target and renamed into place: a reader sees the old page or the new.
  const std::string partial = html_path + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw UsageError(
        fmt::format("report: cannot write --html file '{}': {}", html_path, std::strerror(errno)));
  }
  write_html_report(journal, journal_path, out);
  out.close();
  std::error_code error;
  if (!out) {
    std::filesystem::remove(partial, error);
    return fail("write " + partial + ": " + std::strerror(errno));
  }
  std::filesystem::rename(partial, html_path, error);
  if (error) {
    const std::string message = "rename " + partial + " to " + html_path + ": " + error.message();
    std::filesystem::remove(partial, error);
    return fail(message);
  }
  std::uint64_t attempts = journal.attempts.size();
  for (const JournalRun& run : journal.runs) attempts += run.values.size();
  const auto size = std::filesystem::file_size(html_path, error);
  std::cout << fmt::format("tasktrack: wrote the report of {} ({} KiB) to {}\n",
                           plural(attempts, "attempt", "attempts"),
                           error ? 0 : (size + 1023) / 1024, html_path);
  return exit_success;
}

}  // namespace tasktrack
