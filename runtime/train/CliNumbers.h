// CliNumbers.h — checks for the numeric command-line options of recipec and
// recipec-runtime: one line naming what was expected and what came, where CLI11's own
// range checks print a 300-digit bound or call a word "not in range".
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace recipec::clinum {

// A finite number in (lo, hi] (`open`) or [lo, hi]; `what` is how the help and the error
// describe it ("a number of MiB > 0").
inline CLI::Validator number(double lo, double hi, bool open, const std::string& what) {
  return CLI::Validator(
      [=](std::string& v) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !std::isfinite(x) || (open ? x <= lo : x < lo) || x > hi)
          return "expected " + what + ", got `" + v + "`";
        return "";
      },
      what);
}

// A whole number in [lo, hi].
inline CLI::Validator whole(int64_t lo, int64_t hi, const std::string& what) {
  return CLI::Validator(
      [=](std::string& v) -> std::string {
        char* end = nullptr;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || x < lo || x > hi) return "expected " + what + ", got `" + v + "`";
        return "";
      },
      what);
}

}  // namespace recipec::clinum
