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

  // Lays the report's sessions out over [x0, x0 + width].
  TimeAxis(const Report& report, double x0, double width);

  // x of time `t` (unix seconds), clamped into the piece it falls in (or the first).
  double x(double t) const;
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
