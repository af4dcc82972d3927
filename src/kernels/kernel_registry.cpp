#include "tasktrack/kernel.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "kernels/builtin_kernels.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// Parses all of `text` as a decimal int64; nullopt on any leftover character or overflow.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// Parses all of `text` as a finite double. inf and nan are refused: no parameter means
// anything by them, and they would slip through the bounds checks.
std::optional<double> parse_real(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// `text` in single quotes with control characters escaped, so that a message built from
// user input stays one line.
std::string single_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

// A bound as users wrote it: integers without a fraction, reals in %g style.
std::string bound_text(double bound, ParamType type) {
  std::ostringstream out;
  if (type == ParamType::integer) {
    out << static_cast<std::int64_t>(bound);
  } else {
    out.precision(15);
    out << bound;
  }
  return out.str();
}

// What a valid value looks like, for error messages: "an integer in [1, 16384]".
std::string expectation(const ParamSpec& spec) {
  if (spec.type == ParamType::string) return "a string";
  if (spec.type == ParamType::choice) {
    std::string out = "one of ";
    for (std::size_t i = 0; i < spec.choices.size(); ++i) {
      if (i > 0) out += ", ";
      out += spec.choices[i];
    }
    return out;
  }
  std::string out = spec.type == ParamType::integer ? "an integer" : "a finite real number";
  // The spec's default bounds (+-1e300) mean "unbounded" and are not worth mentioning.
  const bool has_min = spec.min > -1e300;
  const bool has_max = spec.max < 1e300;
  if (has_min && has_max) {
    out += " in [" + bound_text(spec.min, spec.type) + ", " + bound_text(spec.max, spec.type) + "]";
  } else if (has_min) {
    out += " >= " + bound_text(spec.min, spec.type);
  } else if (has_max) {
    out += " <= " + bound_text(spec.max, spec.type);
  }
  return out;
}

// Whether `text` is a valid value for `spec`.
bool is_valid(const ParamSpec& spec, std::string_view text) {
  switch (spec.type) {
    case ParamType::integer: {
      const auto value = parse_integer(text);
      if (!value) return false;
      const auto as_double = static_cast<double>(*value);
      return as_double >= spec.min && as_double <= spec.max;
    }
    case ParamType::real: {
      const auto value = parse_real(text);
      return value && *value >= spec.min && *value <= spec.max;
    }
    case ParamType::string:
      return true;
    case ParamType::choice:
      return std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end();
  }
  return false;
}

// The stored text of `name`; throws std::out_of_range naming it when it was not declared.
const std::string& lookup(const std::map<std::string, std::string>& values, std::string_view name) {
  const auto found = values.find(std::string(name));
  if (found == values.end()) {
    throw std::out_of_range("no parameter " + single_quoted(name));
  }
  return found->second;
}

}  // namespace

std::int64_t ParamValues::integer(std::string_view name) const {
  const std::string& text = lookup(text_, name);
  const auto value = parse_integer(text);
  if (!value) {
    throw std::invalid_argument("parameter " + single_quoted(name) +
                                " is not an integer: " + single_quoted(text));
  }
  return *value;
}

double ParamValues::real(std::string_view name) const {
  const std::string& text = lookup(text_, name);
  const auto value = parse_real(text);
  if (!value) {
    throw std::invalid_argument("parameter " + single_quoted(name) +
                                " is not a real number: " + single_quoted(text));
  }
  return *value;
}

const std::string& ParamValues::text(std::string_view name) const {
  return lookup(text_, name);
}

void KernelRegistry::add(KernelInfo info) {
  if (kernels_.contains(info.name)) {
    throw std::logic_error("kernel " + single_quoted(info.name) + " is already registered");
  }
  std::string name = info.name;
  kernels_.emplace(std::move(name), std::move(info));
}

const KernelInfo* KernelRegistry::find(std::string_view name) const {
  const auto found = kernels_.find(name);
  return found == kernels_.end() ? nullptr : &found->second;
}

std::vector<const KernelInfo*> KernelRegistry::all() const {
  // std::map iterates in key order, which is the promised order (sorted by name).
  std::vector<const KernelInfo*> out;
  out.reserve(kernels_.size());
  for (const auto& [name, info] : kernels_) out.push_back(&info);
  return out;
}

ParamValues KernelRegistry::validate(const KernelInfo& kernel,
                                     const std::map<std::string, std::string>& given) {
  const std::string prefix = "kernel " + single_quoted(kernel.name);

  for (const auto& entry : given) {
    const std::string& name = entry.first;
    const bool declared = std::any_of(kernel.params.begin(), kernel.params.end(),
                                      [&](const ParamSpec& spec) { return spec.name == name; });
    if (!declared) {
      std::string names;
      for (const ParamSpec& spec : kernel.params) {
        if (!names.empty()) names += ", ";
        names += spec.name;
      }
      if (names.empty()) names = "none";
      throw UsageError(prefix + " has no parameter " + single_quoted(name) +
                       " (parameters: " + names + ")");
    }
  }

  std::map<std::string, std::string> values;
  for (const ParamSpec& spec : kernel.params) {
    const auto found = given.find(spec.name);
    const bool is_given = found != given.end();
    // An empty default marks a parameter the user must give (a string may be empty).
    if (!is_given && spec.default_value.empty() && spec.type != ParamType::string) {
      throw UsageError(prefix + " needs parameter " + single_quoted(spec.name) + ", " +
                       expectation(spec));
    }
    const std::string& text = is_given ? found->second : spec.default_value;
    // Defaults go through the same check: a bad default is reported, not run with.
    if (!is_valid(spec, text)) {
      throw UsageError(prefix + ": parameter " + single_quoted(spec.name) + " must be " +
                       expectation(spec) + ", got " + single_quoted(text));
    }
    values.emplace(spec.name, text);
  }
  return ParamValues(std::move(values));
}

KernelRegistry& kernel_registry() {
  // A function-local static: initialised once, thread-safely, on first use.
  static KernelRegistry registry = [] {
    KernelRegistry built_in;
    built_in.add(primes_kernel_info());
    built_in.add(pi_kernel_info());
    built_in.add(mandelbrot_kernel_info());
    built_in.add(sleep_kernel_info());
    built_in.add(noop_kernel_info());
    return built_in;
  }();
  return registry;
}

}  // namespace tasktrack
