#include "report/report_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/resources.hpp"
#include "report/report_time_axis.hpp"

namespace tasktrack::report_html {

void write_no_attempt(Buffer& html, double y) {
  fmt::format_to(std::back_inserter(html),
                 "<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">no attempt recorded"
                 "</text>\n</svg>\n",
                 chart_width / 2, y);
}

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
    write_no_attempt(html, (top + bottom) / 2);
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
    write_no_attempt(html, (top + bottom) / 2);
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

void write_memory(Buffer& html, const Report& report, std::size_t max_bars) {
  if (report.by_memory.empty()) return;
  const double left = 72;
  const double right = chart_width - 16;
  const double top = 16;
  const double bottom = 214;
  const double height = bottom + 40;
  // In subtask order (then attempt), an even sample when there are more than max_bars.
  std::vector<const JournalAttempt*> shown = report.by_memory;
  std::stable_sort(
      shown.begin(), shown.end(), [](const JournalAttempt* a, const JournalAttempt* b) {
        return a->subtask != b->subtask ? a->subtask < b->subtask : a->attempt < b->attempt;
      });
  if (shown.size() > max_bars && max_bars > 0) {
    std::vector<const JournalAttempt*> sample;
    for (std::size_t i = 0; i < max_bars; ++i) sample.push_back(shown[i * shown.size() / max_bars]);
    shown = std::move(sample);
  }
  const auto bytes_of = [](const JournalAttempt* record) {
    return static_cast<double>(record->usage->max_rss_bytes);
  };
  const double largest = bytes_of(report.by_memory.front());
  fmt::format_to(std::back_inserter(html),
                 "<svg id=\"memory\" class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" "
                 "role=\"img\" aria-label=\"Peak memory per attempt\">\n",
                 chart_width, height);
  for (int step = 0; step <= 4; ++step) {
    const double value = largest * step / 4;
    const double y = bottom - (bottom - top) * step / 4;
    fmt::format_to(std::back_inserter(html),
                   "<line class=\"grid\" x1=\"{0:.0f}\" y1=\"{1:.1f}\" x2=\"{2:.0f}\" "
                   "y2=\"{1:.1f}\"/><text x=\"{3:.0f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}"
                   "</text>",
                   left, y, right, left - 6, y + 4,
                   escape(describe_bytes(static_cast<std::uint64_t>(value))));
  }
  const double slot = (right - left) / static_cast<double>(shown.size());
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const JournalAttempt& record = *shown[i];
    const double bar = (bottom - top) * bytes_of(&record) / largest;
    fmt::format_to(std::back_inserter(html),
                   "<g><title>subtask {} attempt {} (rank {}): {}</title><rect class=\"{}\" "
                   "x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\"/></g>",
                   record.subtask, record.attempt, record.rank,
                   escape(describe_bytes(record.usage->max_rss_bytes)),
                   record.state == SubtaskState::done ? "d" : "f",
                   left + slot * static_cast<double>(i), bottom - bar, std::max(slot - 1, 0.5),
                   bar);
  }
  fmt::format_to(std::back_inserter(html),
                 "<line class=\"axis\" x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" "
                 "y2=\"{1:.0f}\"/><text x=\"{3:.0f}\" y=\"{4:.0f}\" text-anchor=\"middle\">"
                 "{5} by subtask</text></svg>\n",
                 left, bottom, right, (left + right) / 2, bottom + 28,
                 plural(shown.size(), "attempt", "attempts"));
}

}  // namespace tasktrack::report_html
