// KernelRegistry and ParamValues: registration, lookup, and parameter validation with the
// error messages users see (one line naming the kernel, the parameter and the value).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include "tasktrack/error.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {
namespace {

using Params = std::map<std::string, std::string>;

const KernelInfo& builtin(std::string_view name) {
  const KernelInfo* info = kernel_registry().find(name);
  if (info == nullptr) throw std::logic_error("no built-in kernel " + std::string(name));
  return *info;
}

// The UsageError message validate() throws for `given`; fails the test when none is thrown.
std::string usage_error(std::string_view kernel, const Params& given) {
  try {
    KernelRegistry::validate(builtin(kernel), given);
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "no UsageError for kernel " << kernel;
  return "";
}

TEST(KernelRegistry, HoldsTheBuiltInKernelsSortedByName) {
  std::vector<std::string> names;
  for (const KernelInfo* info : kernel_registry().all()) names.push_back(info->name);
  EXPECT_EQ(names, (std::vector<std::string>{"mandelbrot", "noop", "pi", "primes", "sleep"}));
  for (const KernelInfo* info : kernel_registry().all()) {
    EXPECT_FALSE(info->description.empty()) << info->name;
    EXPECT_TRUE(info->make) << info->name;
  }
}

TEST(KernelRegistry, FindReturnsNullForAnUnknownName) {
  EXPECT_EQ(kernel_registry().find("fibonacci"), nullptr);
  ASSERT_NE(kernel_registry().find("primes"), nullptr);
  EXPECT_EQ(kernel_registry().find("primes")->name, "primes");
}

TEST(KernelRegistry, AddRefusesATakenName) {
  KernelRegistry registry;
  registry.add(KernelInfo{.name = "mine", .description = "first", .params = {}, .make = {}});
  EXPECT_THROW(
      registry.add(KernelInfo{.name = "mine", .description = "second", .params = {}, .make = {}}),
      std::logic_error);
  ASSERT_NE(registry.find("mine"), nullptr);
  EXPECT_EQ(registry.find("mine")->description, "first");
  EXPECT_EQ(registry.all().size(), 1u);
}

TEST(KernelParams, UnknownParameterListsTheDeclaredOnes) {
  EXPECT_EQ(usage_error("mandelbrot", {{"colour", "red"}}),
            "kernel 'mandelbrot' has no parameter 'colour' (parameters: width, height, "
            "max_iter, output)");
  EXPECT_EQ(usage_error("primes", {{"foo", "1"}}),
            "kernel 'primes' has no parameter 'foo' (parameters: none)");
}

TEST(KernelParams, NonIntegerValueIsRefused) {
  const std::string message = usage_error("mandelbrot", {{"width", "12x"}});
  EXPECT_EQ(message,
            "kernel 'mandelbrot': parameter 'width' must be an integer in [1, 16384], "
            "got '12x'");
  // Partial parses and reals do not pass as integers either.
  EXPECT_NE(usage_error("mandelbrot", {{"width", "12.0"}}).find("'width'"), std::string::npos);
  EXPECT_NE(usage_error("mandelbrot", {{"width", ""}}).find("got ''"), std::string::npos);
  EXPECT_NE(usage_error("mandelbrot", {{"width", " 12"}}).find("'width'"), std::string::npos);
  EXPECT_NE(usage_error("pi", {{"seed", "99999999999999999999"}}).find("'seed'"),
            std::string::npos);
}

TEST(KernelParams, OutOfRangeValuesAreRefusedAndBoundsAreInclusive) {
  EXPECT_EQ(usage_error("mandelbrot", {{"height", "0"}}),
            "kernel 'mandelbrot': parameter 'height' must be an integer in [1, 16384], got '0'");
  EXPECT_NE(usage_error("mandelbrot", {{"max_iter", "1000001"}}).find("got '1000001'"),
            std::string::npos);
  EXPECT_EQ(usage_error("pi", {{"seed", "-1"}}),
            "kernel 'pi': parameter 'seed' must be an integer >= 0, got '-1'");
  EXPECT_EQ(usage_error("sleep", {{"mean", "3600.5"}}),
            "kernel 'sleep': parameter 'mean' must be a finite real number in [0, 3600], got "
            "'3600.5'");

  const ParamValues edges = KernelRegistry::validate(
      builtin("mandelbrot"), {{"width", "1"}, {"height", "16384"}, {"max_iter", "1000000"}});
  EXPECT_EQ(edges.integer("width"), 1);
  EXPECT_EQ(edges.integer("height"), 16384);
  EXPECT_EQ(edges.integer("max_iter"), 1000000);
}

TEST(KernelParams, RealValuesMustBeFiniteNumbers) {
  EXPECT_NE(usage_error("sleep", {{"mean", "abc"}}).find("parameter 'mean'"), std::string::npos);
  EXPECT_NE(usage_error("sleep", {{"mean", "inf"}}).find("got 'inf'"), std::string::npos);
  EXPECT_NE(usage_error("sleep", {{"mean", "nan"}}).find("got 'nan'"), std::string::npos);
  EXPECT_NE(usage_error("sleep", {{"mean", "0.5s"}}).find("got '0.5s'"), std::string::npos);
  const ParamValues values =
      KernelRegistry::validate(builtin("sleep"), {{"mean", "2.5e-3"}, {"seed", "0"}});
  EXPECT_DOUBLE_EQ(values.real("mean"), 2.5e-3);
  EXPECT_EQ(values.integer("seed"), 0);
}

TEST(KernelParams, ChoiceMustBeOneOfTheChoices) {
  EXPECT_EQ(usage_error("sleep", {{"distribution", "uniform"}}),
            "kernel 'sleep': parameter 'distribution' must be one of fixed, exponential, pareto, "
            "got 'uniform'");
  // Choices are exact: no case folding.
  EXPECT_NE(usage_error("sleep", {{"distribution", "Pareto"}}).find("'distribution'"),
            std::string::npos);
  EXPECT_EQ(
      KernelRegistry::validate(builtin("sleep"), {{"distribution", "pareto"}}).text("distribution"),
      "pareto");
}

TEST(KernelParams, MessagesStayOnOneLineWhateverTheInput) {
  const std::string message = usage_error("mandelbrot", {{"width", "12\nx"}});
  EXPECT_NE(message.find("got '12\\x0ax'"), std::string::npos) << message;
}

TEST(KernelParams, DefaultsAreFilledIn) {
  const ParamValues values = KernelRegistry::validate(builtin("mandelbrot"), {{"width", "64"}});
  EXPECT_EQ(
      values.all(),
      (Params{
          {"width", "64"}, {"height", "600"}, {"max_iter", "500"}, {"output", "mandelbrot.png"}}));
  EXPECT_EQ(KernelRegistry::validate(builtin("sleep"), {}).all(),
            (Params{{"distribution", "fixed"}, {"mean", "0.01"}, {"seed", "1"}}));
  EXPECT_TRUE(KernelRegistry::validate(builtin("primes"), {}).all().empty());
}

TEST(KernelParams, BadDefaultsAndMissingRequiredParametersAreReported) {
  const KernelInfo custom{.name = "custom",
                          .description = "test kernel",
                          .params = {{.name = "count",
                                      .type = ParamType::integer,
                                      .default_value = "",
                                      .description = "how many",
                                      .choices = {},
                                      .min = 1},
                                     {.name = "level",
                                      .type = ParamType::integer,
                                      .default_value = "0",
                                      .description = "a default outside its own bounds",
                                      .choices = {},
                                      .min = 1,
                                      .max = 9}},
                          .make = {}};
  try {
    KernelRegistry::validate(custom, {});
    FAIL() << "no UsageError for a missing required parameter";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "kernel 'custom' needs parameter 'count', an integer >= 1");
  }
  try {
    KernelRegistry::validate(custom, {{"count", "3"}});
    FAIL() << "no UsageError for a bad default";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(),
                 "kernel 'custom': parameter 'level' must be an integer in [1, 9], got '0'");
  }
  EXPECT_EQ(KernelRegistry::validate(custom, {{"count", "3"}, {"level", "9"}}).integer("level"), 9);
}

TEST(ParamValues, TypedAccessorsParseTheText) {
  const ParamValues values(Params{{"n", "-42"}, {"x", "0.25"}, {"name", "out.png"}});
  EXPECT_EQ(values.integer("n"), -42);
  EXPECT_DOUBLE_EQ(values.real("x"), 0.25);
  EXPECT_DOUBLE_EQ(values.real("n"), -42.0);  // an integer text is a valid real
  EXPECT_EQ(values.text("name"), "out.png");
}

TEST(ParamValues, UndeclaredNameThrowsOutOfRangeNamingIt) {
  const ParamValues values(Params{{"n", "1"}});
  for (const auto& access : {+[](const ParamValues& v) { v.integer("missing"); },
                             +[](const ParamValues& v) { v.real("missing"); },
                             +[](const ParamValues& v) { v.text("missing"); }}) {
    try {
      access(values);
      ADD_FAILURE() << "no std::out_of_range";
    } catch (const std::out_of_range& error) {
      EXPECT_NE(std::string(error.what()).find("'missing'"), std::string::npos) << error.what();
    }
  }
}

TEST(ParamValues, UnparsableTextThrowsNamingTheParameter) {
  const ParamValues values(Params{{"n", "0.5"}, {"x", "fast"}});
  try {
    values.integer("n");
    FAIL() << "no std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'n'"), std::string::npos) << error.what();
  }
  EXPECT_THROW(values.real("x"), std::invalid_argument);
}

}  // namespace
}  // namespace tasktrack
