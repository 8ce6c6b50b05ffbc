// Sources.h — what a run read: a fingerprint of every source file of every dataset, so that
// a resume can tell whether its data is the data the run started on.
//
// Contract: `sourceFingerprints(plan)` lists, per dataset (and its val files), every file its
// patterns match, with its size, modification time and sha256: of the whole content for text
// sources (the hash the token cache is keyed on, computed once per process), of the first
// and last MiB for `.bin` shards (which may be many GB). `sourcesChanged(then, now)` names
// the first file that differs, and how ("edited: same size, different content", "grew from
// A to B bytes", "is gone", "is new"), or "" when the data is the same. Only content counts
// for that verdict: a copy with a new mtime is the same data.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/plan/Plan.h"

namespace recipec::data {

nlohmann::json sourceFingerprints(const plan::Plan& plan);

std::string sourcesChanged(const nlohmann::json& then, const nlohmann::json& now);

}  // namespace recipec::data
