// The time axis of the Gantt and utilization charts: sessions far apart in time (a resume
// hours later) each get their own piece of the axis, with a narrow break between.
#pragma once

#include <string>
#include <vector>

#include "report/report_model.hpp"
#include "report/report_text.hpp"

namespace tasktrack::report_html {

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

// A round step near `raw` seconds: 1-2-5 steps, and minutes and hours past a minute.
double nice_step(double raw);
// A 1-2-5 step for counts (never below 1).
double nice_count_step(double raw);
// Elapsed time since the first record, as a tick label.
std::string elapsed_label(double elapsed, double step, bool short_job);
// The x axis under a time chart: ticks, labels, breaks between far-apart sessions, and a
// dashed line with a label where each session starts.
void write_time_axis(Buffer& svg, const Report& report, const TimeAxis& axis, double top,
                     double bottom);

}  // namespace tasktrack::report_html
