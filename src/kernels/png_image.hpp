// Writing 8-bit grayscale PNG files (used by the mandelbrot kernel). Internal header.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tasktrack {

// Writes `pixels` (row-major, top row first, one byte per pixel, width * height bytes) to
// `path` as an 8-bit grayscale PNG, replacing any file there. On failure removes the
// partial file and throws SystemError "write PNG 'path': reason". Thread-safe for distinct
// paths. Precondition: pixels.size() == width * height, width and height >= 1.
void write_gray_png(const std::string& path, std::uint32_t width, std::uint32_t height,
                    std::span<const std::uint8_t> pixels);

}  // namespace tasktrack
