#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "report/report_charts.hpp"
#include "report/report_time_axis.hpp"

namespace tasktrack::report_html {
namespace {

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

}  // namespace

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
    write_no_attempt(html, top + 12);
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

}  // namespace tasktrack::report_html
