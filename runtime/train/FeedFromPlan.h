// FeedFromPlan.h — the DataFeed over recipec_data: datasets opened from the plan (text is
// tokenized into the cache on first use), a MixtureSampler seeded with train.seed, and the
// prefetching Loader.
//
// Contract: datasets in plan order; `select` forwards only what changed since the last call
// (setMixture restarts a ramp and setAllowed/setOrder restart a pass, so re-sending an
// unchanged selection would change the sequence); `state()`/`loadState()` are the Loader's
// committed sampler state, i.e. the position after the last consumed batch.
#pragma once

#include <memory>

#include "runtime/plan/Plan.h"
#include "runtime/train/DataFeed.h"

namespace recipec::train {

// Throws data::DataError naming the dataset / file that is missing or corrupt.
std::unique_ptr<DataFeed> makeFeedFromPlan(const plan::Plan& plan, bool quiet);

}  // namespace recipec::train
