#include "kernels/png_image.hpp"

#include <png.h>

#include <cassert>

#include "tasktrack/error.hpp"

namespace tasktrack {

void write_gray_png(const std::string& path, std::uint32_t width, std::uint32_t height,
                    std::span<const std::uint8_t> pixels) {
  assert(pixels.size() == static_cast<std::size_t>(width) * height);
  // libpng's simplified API reports errors through image.message instead of longjmp, which
  // would skip C++ destructors; it writes rows in order and removes a partial file itself.
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = PNG_FORMAT_GRAY;
  const int ok = png_image_write_to_file(&image, path.c_str(), /*convert_to_8bit=*/0, pixels.data(),
                                         /*row_stride=*/0, /*colormap=*/nullptr);
  if (ok == 0) {
    const std::string reason = image.message;  // copy before png_image_free
    png_image_free(&image);
    throw SystemError("write PNG '" + path + "': " + reason);
  }
  png_image_free(&image);
}

}  // namespace tasktrack
