// PlanInput.cpp — see PlanInput.h.
#include "compiler/plantools/PlanInput.h"

#include <cstdio>
#include <filesystem>

namespace recipec::plantools {

std::string planFileOf(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string file = path;
  if (fs::is_directory(path, ec)) file = (fs::path(path) / "plan.json").string();
  if (file.size() > 5 && file.compare(file.size() - 5, 5, ".json") == 0) return file;
  return "";
}

bool readPlanInput(const std::string& file, plan::Plan& out) {
  try {
    out = plan::readPlanFile(file);
    return true;
  } catch (const plan::PlanError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return false;
  }
}

}  // namespace recipec::plantools
