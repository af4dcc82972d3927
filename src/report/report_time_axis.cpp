#include "report/report_time_axis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

namespace tasktrack::report_html {

TimeAxis::TimeAxis(const Report& report, double x0, double width) : t0_(report.t0) {
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

double TimeAxis::x(double t) const {
  auto after = std::upper_bound(pieces_.begin(), pieces_.end(), t,
                                [](double time, const Piece& piece) { return time < piece.start; });
  const Piece& piece = after == pieces_.begin() ? pieces_.front() : *std::prev(after);
  return piece.x0 + (std::clamp(t, piece.start, piece.end) - piece.start) * piece.scale;
}

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

}  // namespace tasktrack::report_html
