// The report's charts, inline SVG: attempts per worker thread (Gantt), busy threads over
// time, and a histogram of attempt durations. Each appends one <svg> to the page.
#pragma once

#include <cstddef>

#include "report/report_model.hpp"
#include "report/report_text.hpp"

namespace tasktrack::report_html {

inline constexpr double chart_width = 1200;

// One bar per attempt on a row per (rank, thread); at most `max_bars` of them are drawn
// (every failed one first, then an even sample of the done ones), and the page says so.
void write_gantt(Buffer& html, const Report& report, std::size_t max_bars);
// The same per GPU: a row per (rank, GPU), one bar on each of the GPUs an attempt had.
// Only attempts that name their GPUs (journal format 2, task lists with gpus=) are drawn.
void write_gpu_gantt(Buffer& html, const Report& report, std::size_t max_bars);
// Busy threads over time, averaged over bins about 2 px wide, against the threads the
// sessions had.
void write_utilization(Buffer& html, const Report& report);
// How long attempts took: done and failed stacked, on log-spaced bins when durations span
// more than two orders of magnitude.
void write_histogram(Buffer& html, const Report& report);

// Peak resident memory of each measured attempt, one bar each in subtask order (an even
// sample of `max_bars` when there are more). Nothing when no attempt was measured.
void write_memory(Buffer& html, const Report& report, std::size_t max_bars);

// Ends a chart that has nothing to draw with one line saying so at height `y`, and its
// </svg>.
void write_no_attempt(Buffer& html, double y);

}  // namespace tasktrack::report_html
