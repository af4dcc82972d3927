#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
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
  if (record.cores > 0) {
    text += fmt::format(" \xC2\xB7 {} core{}", record.cores, record.cores == 1 ? "" : "s");
  }
  if (!record.gpus.empty()) {
    text += fmt::format(" \xC2\xB7 GPU{} {}", record.gpus.size() == 1 ? "" : "s",
                        fmt::join(record.gpus, ","));
  }
  if (record.state == SubtaskState::failed) {
    const std::string detail = first_line(record.payload, 160);
    if (!detail.empty()) text += "\n" + detail;
  }
  return escape(text);
}

// Which bars a Gantt chart draws, of those `wanted` picks: all of them up to the cap; past
// it every failed one (an even sample of them if even those are too many) and an even
// sample of the done ones.
template <typename Wanted>
std::vector<const Bar*> gantt_sample(const Report& report, std::size_t cap, Wanted wanted) {
  std::vector<const Bar*> done;
  std::vector<const Bar*> failed;
  for (const Bar& bar : report.bars) {
    if (!wanted(bar)) continue;
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

// A row of a Gantt chart: a rank's thread, or one of its GPUs. Rows sort by rank, then by
// lane: thread numbers as numbers, GPU ids numerically when they are numbers ("2" before
// "10"), else as text.
struct Lane {
  std::int32_t rank = 0;
  std::string name;  // "3": the thread or the GPU id
  friend bool operator<(const Lane& a, const Lane& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
    return a.name < b.name;
  }
};

// What one chart draws: its rows, which rows a bar occupies, and its words.
struct GanttChart {
  std::string svg_id;
  std::string aria_label;
  std::string lane_word;  // "thread" or "GPU"
  std::vector<Lane> rows;
  std::function<bool(const Bar&)> wanted;
  std::function<void(const Bar&, std::vector<Lane>&)> lanes_of;
};

// Every (rank, thread) that ran something, plus the threads the sessions say a rank had.
GanttChart thread_chart(const Report& report) {
  std::set<Lane> rows;
  for (const Bar& bar : report.bars) {
    rows.insert(Lane{bar.record->rank, std::to_string(bar.record->thread)});
  }
  for (const auto& [rank, stats] : report.ranks) {
    if (stats.threads > 256) continue;  // not believed enough to draw that many empty rows
    for (std::uint64_t thread = 0; thread < stats.threads; ++thread) {
      rows.insert(Lane{rank, std::to_string(thread)});
    }
  }
  GanttChart chart;
  chart.svg_id = "gantt";
  chart.aria_label = "Attempts per worker thread over time";
  chart.lane_word = "thread";
  chart.rows.assign(rows.begin(), rows.end());
  chart.wanted = [](const Bar&) { return true; };
  chart.lanes_of = [](const Bar& bar, std::vector<Lane>& lanes) {
    lanes.push_back(Lane{bar.record->rank, std::to_string(bar.record->thread)});
  };
  return chart;
}

// Every (rank, GPU) an attempt had, plus the GPUs the sessions say a rank owned.
GanttChart gpu_chart(const Report& report) {
  std::set<Lane> rows;
  for (const Bar& bar : report.bars) {
    for (const std::string& gpu : bar.record->gpus) rows.insert(Lane{bar.record->rank, gpu});
  }
  for (const auto& [rank, stats] : report.ranks) {
    if (stats.gpus.size() > 256) continue;
    for (const std::string& gpu : stats.gpus) rows.insert(Lane{rank, gpu});
  }
  GanttChart chart;
  chart.svg_id = "gantt-gpus";
  chart.aria_label = "Attempts per GPU over time";
  chart.lane_word = "GPU";
  chart.rows.assign(rows.begin(), rows.end());
  chart.wanted = [](const Bar& bar) { return !bar.record->gpus.empty(); };
  chart.lanes_of = [](const Bar& bar, std::vector<Lane>& lanes) {
    for (const std::string& gpu : bar.record->gpus) lanes.push_back(Lane{bar.record->rank, gpu});
  };
  return chart;
}

void write_chart(Buffer& html, const Report& report, const GanttChart& chart,
                 std::size_t max_bars) {
  const std::vector<Lane>& rows = chart.rows;
  const std::vector<const Bar*> drawn = gantt_sample(report, max_bars, chart.wanted);
  const auto wanted_count = static_cast<std::uint64_t>(
      std::count_if(report.bars.begin(), report.bars.end(), chart.wanted));
  std::map<Lane, std::size_t> row_of;
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

  if (drawn.size() < wanted_count) {
    fmt::format_to(std::back_inserter(html),
                   "<p class=\"note warn\">This chart draws {} of the {} attempt records, to "
                   "keep the page small: every failed one{} and an even sample of the done ones. "
                   "The other charts and the tables count every record.</p>\n",
                   with_commas(static_cast<std::uint64_t>(drawn.size())), with_commas(wanted_count),
                   report.failed_records > max_bars ? " (itself sampled evenly)" : "");
  }
  fmt::format_to(std::back_inserter(html),
                 "<svg id=\"{}\" class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" "
                 "aria-label=\"{}\">\n",
                 chart.svg_id, chart_width, height, chart.aria_label);
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
    while (end < rows.size() && rows[end].rank == rows[i].rank) ++end;
    const double y = top + static_cast<double>(i) * row_height;
    const double block = static_cast<double>(end - i) * row_height;
    if (rank_index++ % 2 == 0) {
      fmt::format_to(
          std::back_inserter(html),
          "<rect class=\"band\" x=\"0\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{:.1f}\"/>", y,
          chart_width, block);
    }
    const auto found = report.ranks.find(rows[i].rank);
    const std::string host =
        found != report.ranks.end() && !found->second.host.empty() ? found->second.host : "";
    if (label_rows) {
      for (std::size_t row = i; row < end; ++row) {
        fmt::format_to(std::back_inserter(html),
                       "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">rank {} "
                       "\xC2\xB7 {} {}</text>",
                       left - 6, top + (static_cast<double>(row) + 0.5) * row_height + 4,
                       rows[row].rank, chart.lane_word, escape(rows[row].name));
      }
    } else if (block >= 11) {
      fmt::format_to(std::back_inserter(html),
                     "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">rank {}</text>", left - 6,
                     y + block / 2 + 4, rows[i].rank);
    }
    if (!host.empty()) {
      fmt::format_to(std::back_inserter(html),
                     "<rect class=\"hover\" x=\"0\" y=\"{:.1f}\" width=\"{:.0f}\" "
                     "height=\"{:.1f}\"><title>rank {} on {}</title></rect>",
                     y, left - 2, block, rows[i].rank, escape(host));
    }
    i = end;
  }
  write_time_axis(html, report, axis, top, bottom);
  std::vector<Lane> lanes;
  for (const Bar* bar : drawn) {
    const JournalAttempt& record = *bar->record;
    const double x = axis.x(bar->start);
    const double width = std::max(0.6, axis.x(bar->end) - x);
    const std::string tooltip = attempt_tooltip(report, *bar);
    lanes.clear();
    chart.lanes_of(*bar, lanes);
    for (const Lane& lane : lanes) {
      const double y =
          top + static_cast<double>(row_of.at(lane)) * row_height + (row_height - bar_height) / 2;
      fmt::format_to(std::back_inserter(html),
                     "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
                     "height=\"{:.1f}\"><title>{}</title></rect>\n",
                     record.state == SubtaskState::done ? "d" : "f", x, y, width, bar_height,
                     tooltip);
    }
  }
  html.append(std::string_view("</svg>\n"));
}

}  // namespace

void write_gantt(Buffer& html, const Report& report, std::size_t max_bars) {
  write_chart(html, report, thread_chart(report), max_bars);
}

void write_gpu_gantt(Buffer& html, const Report& report, std::size_t max_bars) {
  write_chart(html, report, gpu_chart(report), max_bars);
}

// Busy threads over time, averaged over bins about 2 px wide, against the threads the
// sessions had.

}  // namespace tasktrack::report_html
