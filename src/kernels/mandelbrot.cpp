// mandelbrot: renders the Mandelbrot set over x in [-2.5, 1], y in [-1.25, 1.25] as a
// grayscale image. The job's range is image rows; each subtask renders its rows and ships
// them as its payload; rank 0 assembles and writes the PNG. The load is uneven by nature:
// rows through the set run every pixel to max_iter.

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/fnv1a.hpp"
#include "kernels/builtin_kernels.hpp"
#include "kernels/png_image.hpp"

namespace tasktrack {

namespace {

struct MandelbrotConfig {
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::int64_t max_iter = 0;
  std::string output;
};

// Iterations z -> z^2 + c, from z = 0, until |z| > 2 or max_iter: in [1, max_iter] for
// max_iter >= 1. max_iter means "inside the set".
std::int64_t escape_iterations(double cx, double cy, std::int64_t max_iter) {
  double x = 0.0;
  double y = 0.0;
  std::int64_t iter = 0;
  while (iter < max_iter && x * x + y * y <= 4.0) {
    const double next_x = x * x - y * y + cx;
    y = 2.0 * x * y + cy;
    x = next_x;
    ++iter;
  }
  return iter;
}

// Inside the set is black; outside brightens with the escape time. The fourth root
// spreads the many fast-escaping pixels over visible gray levels (a linear map leaves
// them near black); sqrt, unlike log or pow, is correctly rounded, so every rank computes
// the same byte.
std::uint8_t shade(std::int64_t iter, std::int64_t max_iter) {
  if (iter >= max_iter) return 0;
  const double ratio = static_cast<double>(iter) / static_cast<double>(max_iter);
  return static_cast<std::uint8_t>(std::lround(255.0 * std::sqrt(std::sqrt(ratio))));
}

// FNV-1a, 64 bits, as 16 lowercase hex digits: a cheap fingerprint to compare images.
std::string fnv1a_hex(const std::vector<std::uint8_t>& bytes) {
  return hex16(fnv1a64({reinterpret_cast<const char*>(bytes.data()), bytes.size()}));
}

std::string rows_text(Range rows) {
  return "[" + std::to_string(rows.lo) + ", " + std::to_string(rows.hi) + ")";
}

class MandelbrotReduction final : public Reduction {
 public:
  // Allocates the whole image (width * height bytes) up front; rows that never arrive
  // stay black.
  explicit MandelbrotReduction(MandelbrotConfig config)
      : config_(std::move(config)),
        pixels_(static_cast<std::size_t>(config_.width * config_.height), 0),
        row_arrived_(static_cast<std::size_t>(config_.height), false) {}

  // Throws std::logic_error when the payload does not hold exactly the range's rows of
  // this image: a result from a kernel configured differently, i.e. an engine bug.
  void add(SubtaskId, Range range, std::int64_t value,
           std::span<const std::byte> payload) override {
    if (range.lo < 0 || range.hi > config_.height || range.lo > range.hi ||
        static_cast<std::int64_t>(payload.size()) != range.size() * config_.width) {
      throw std::logic_error("mandelbrot: result for rows " + rows_text(range) + " with " +
                             std::to_string(payload.size()) + " bytes does not fit a " +
                             std::to_string(config_.width) + "x" + std::to_string(config_.height) +
                             " image");
    }
    const auto offset = static_cast<std::size_t>(range.lo * config_.width);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      pixels_[offset + i] = static_cast<std::uint8_t>(payload[i]);
    }
    for (std::int64_t row = range.lo; row < range.hi; ++row) {
      row_arrived_[static_cast<std::size_t>(row)] = true;
    }
    iterations_ += value;
  }

  // Writes the PNG (throws SystemError when that fails) and reports it.
  nlohmann::json finish() override {
    write_gray_png(config_.output, static_cast<std::uint32_t>(config_.width),
                   static_cast<std::uint32_t>(config_.height), pixels_);
    rows_ = 0;
    for (const bool arrived : row_arrived_) rows_ += arrived ? 1 : 0;
    checksum_ = fnv1a_hex(pixels_);
    return {{"image", config_.output}, {"width", config_.width},    {"height", config_.height},
            {"rows", rows_},           {"iterations", iterations_}, {"checksum", checksum_}};
  }

  std::string describe() const override {
    std::string line = "mandelbrot: " + std::to_string(config_.width) + "x" +
                       std::to_string(config_.height) + " image written to " + config_.output;
    if (rows_ != config_.height) {
      line += ", " + std::to_string(rows_) + " of " + std::to_string(config_.height) + " rows";
    }
    return line + " (checksum " + checksum_ + ")";
  }

 private:
  MandelbrotConfig config_;
  std::vector<std::uint8_t> pixels_;
  std::vector<bool> row_arrived_;
  std::int64_t iterations_ = 0;
  std::int64_t rows_ = 0;  // set by finish()
  std::string checksum_;   // set by finish()
};

class MandelbrotKernel final : public Kernel {
 public:
  explicit MandelbrotKernel(MandelbrotConfig config) : config_(std::move(config)) {}

  // Renders the rows context.range: payload = width bytes per row, top row first;
  // value = the sum of their escape iterations. Throws std::runtime_error when the rows
  // lie outside [0, height), and "stopped" when the stop token is set (checked every row).
  SubtaskResult run(const SubtaskContext& context) const override {
    const Range rows = context.range;
    if (rows.lo < 0 || rows.hi > config_.height) {
      throw std::runtime_error(
          "mandelbrot: rows " + rows_text(rows) + " lie outside the image's rows [0, " +
          std::to_string(config_.height) + "); the job's range must lie within [0, height)");
    }
    // Pixel centres: x from -2.5 to 1 left to right, y from 1.25 to -1.25 top to bottom.
    const double dx = 3.5 / static_cast<double>(config_.width);
    const double dy = 2.5 / static_cast<double>(config_.height);
    SubtaskResult result;
    result.payload.resize(static_cast<std::size_t>(rows.size() * config_.width));
    std::size_t next = 0;
    for (std::int64_t row = rows.lo; row < rows.hi; ++row) {
      if (context.stop.stop_requested()) throw std::runtime_error("stopped");
      const double cy = 1.25 - (static_cast<double>(row) + 0.5) * dy;
      for (std::int64_t column = 0; column < config_.width; ++column) {
        const double cx = -2.5 + (static_cast<double>(column) + 0.5) * dx;
        const std::int64_t iter = escape_iterations(cx, cy, config_.max_iter);
        result.value += iter;
        result.payload[next++] = static_cast<std::byte>(shade(iter, config_.max_iter));
      }
    }
    return result;
  }

  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<MandelbrotReduction>(config_);
  }

 private:
  MandelbrotConfig config_;
};

}  // namespace

KernelInfo mandelbrot_kernel_info() {
  return {
      .name = "mandelbrot",
      .description = "render the Mandelbrot set, one band of image rows per subtask, to a PNG",
      .params =
          {
              {.name = "width",
               .type = ParamType::integer,
               .default_value = "800",
               .description = "image width in pixels",
               .choices = {},
               .min = 1,
               .max = 16384},
              {.name = "height",
               .type = ParamType::integer,
               .default_value = "600",
               .description = "image height in pixels; the job's range must lie in [0, height)",
               .choices = {},
               .min = 1,
               .max = 16384},
              {.name = "max_iter",
               .type = ParamType::integer,
               .default_value = "500",
               .description = "iterations before a point counts as inside the set",
               .choices = {},
               .min = 1,
               .max = 1000000},
              {.name = "output",
               .type = ParamType::string,
               .default_value = "mandelbrot.png",
               .description = "path of the PNG that rank 0 writes",
               .choices = {}},
          },
      .make =
          [](const ParamValues& values) {
            return std::make_unique<MandelbrotKernel>(MandelbrotConfig{
                .width = values.integer("width"),
                .height = values.integer("height"),
                .max_iter = values.integer("max_iter"),
                .output = values.text("output"),
            });
          },
  };
}

}  // namespace tasktrack
