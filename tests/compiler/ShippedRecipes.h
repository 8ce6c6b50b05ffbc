// ShippedRecipes.h — the recipe files users copy (recipes/) and the library (stdlib/), as
// paths relative to the repository root; shared by the check, fmt and MLIR tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

inline std::vector<std::string> shippedRecipes() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const char* dir : {"recipes", "stdlib"}) {
    fs::path d = fs::path(RECIPEC_SOURCE_DIR) / dir;
    if (!fs::exists(d)) continue;
    for (const auto& e : fs::directory_iterator(d))
      if (e.path().extension() == ".recipe") out.push_back(std::string(dir) + "/" + e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}
