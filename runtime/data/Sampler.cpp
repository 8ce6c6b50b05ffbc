// Sampler.cpp — MixtureSampler. Integer-only randomness (SplitMix64, Lemire bounded ints) so
// the sequence is identical on every platform and standard library.
#include "runtime/data/Sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "runtime/data/DataError.h"

namespace recipec::data {
namespace {

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b * 0xD6E8FEB86659FD93ull);
  return splitmix(x);
}
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string bitsToBase64(const std::vector<uint64_t>& bits, int64_t n) {
  std::string bytes(size_t((n + 7) / 8), '\0');
  for (int64_t i = 0; i < n; ++i)
    if (bits[size_t(i >> 6)] >> (i & 63) & 1) bytes[size_t(i >> 3)] |= char(1 << (i & 7));
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= uint8_t(bytes[i + 2]);
    out += kB64[v >> 18 & 63];
    out += kB64[v >> 12 & 63];
    out += i + 1 < bytes.size() ? kB64[v >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kB64[v & 63] : '=';
  }
  return out;
}

std::vector<uint64_t> base64ToBits(const std::string& s, int64_t n, const std::string& what) {
  std::string bytes;
  uint32_t v = 0;
  int k = 0;
  for (char c : s) {
    if (c == '=') break;
    const char* p = std::strchr(kB64, c);
    if (!p || !c) throw DataError("sampler state: `" + what + "` is not base64");
    v = v << 6 | uint32_t(p - kB64);
    if (++k == 4) {
      bytes += char(v >> 16); bytes += char(v >> 8); bytes += char(v);
      v = 0; k = 0;
    }
  }
  if (k == 2) bytes += char(v >> 4);
  if (k == 3) { bytes += char(v >> 10); bytes += char(v >> 2); }
  if (int64_t(bytes.size()) != (n + 7) / 8) throw DataError("sampler state: `" + what + "` has the wrong length");
  std::vector<uint64_t> bits(size_t((n + 63) / 64), 0);
  for (int64_t i = 0; i < n; ++i)
    if (uint8_t(bytes[size_t(i >> 3)]) >> (i & 7) & 1) bits[size_t(i >> 6)] |= 1ull << (i & 63);
  return bits;
}

bool testBit(const std::vector<uint64_t>& b, int64_t i) { return b[size_t(i >> 6)] >> (i & 63) & 1; }

}  // namespace

MixtureSampler::MixtureSampler(std::vector<DatasetInfo> datasets, uint64_t seed) : seed_(seed) {
  if (datasets.empty()) throw std::invalid_argument("MixtureSampler needs at least one dataset");
  for (auto& info : datasets) {
    if (info.num_blocks < 0) throw std::invalid_argument("negative block count");
    Dataset s;
    s.name = info.name;
    s.n = info.num_blocks;
    s.name_hash = fnv1a(info.name);
    s.consumed.assign(size_t((s.n + 63) / 64), 0);
    s.unconsumed_in_basis = s.n;
    ds_.push_back(std::move(s));
  }
  // Until a mixture is set: proportional to size, i.e. uniform over the union of all blocks.
  std::vector<double> w;
  for (auto& s : ds_) w.push_back(double(s.n));
  setMixture(w);
}

int MixtureSampler::datasetIndex(const std::string& name) const {
  for (size_t i = 0; i < ds_.size(); ++i)
    if (ds_[i].name == name) return int(i);
  throw DataError("the sampler has no dataset `" + name + "`");
}

void MixtureSampler::setMixture(const std::vector<double>& weights) { setMixture(weights, weights, 0); }

void MixtureSampler::setMixture(const std::vector<double>& start, const std::vector<double>& end, int64_t ramp) {
  setWeights(start, end, samples_, ramp);
}

void MixtureSampler::setWeights(const std::vector<double>& start, const std::vector<double>& end, int64_t ramp_start,
                                int64_t ramp) {
  if (start.size() != ds_.size() || end.size() != ds_.size())
    throw std::invalid_argument("setMixture: one weight per dataset expected");
  double s0 = 0, s1 = 0;
  for (size_t i = 0; i < start.size(); ++i) {
    if (!(start[i] >= 0) || !(end[i] >= 0) || !std::isfinite(start[i]) || !std::isfinite(end[i]))
      throw DataError("mixture weight for `" + ds_[i].name + "` is negative or not finite");
    s0 += start[i];
    s1 += end[i];
  }
  if (s0 <= 0 || s1 <= 0) throw DataError("mixture weights sum to 0 (need > 0)");
  w_start_ = start;
  w_end_ = end;
  ramp_start_ = ramp_start;
  ramp_samples_ = std::max<int64_t>(0, ramp);
}

std::pair<std::vector<double>, std::vector<double>> MixtureSampler::entryWeights(
    const std::vector<plan::MixEntry>& entries) const {
  std::vector<double> a(ds_.size(), 0.0), b(ds_.size(), 0.0);
  for (const auto& e : entries) {
    size_t d = size_t(datasetIndex(e.dataset));
    a[d] += e.weight;
    b[d] += e.weight_end.value_or(e.weight);
  }
  return {a, b};
}

void MixtureSampler::setMixture(const std::vector<plan::MixEntry>& entries, int64_t ramp) {
  auto [a, b] = entryWeights(entries);
  setWeights(a, b, samples_, ramp);
}

void MixtureSampler::setMixtureAt(const std::vector<plan::MixEntry>& entries, int64_t ramp_start, int64_t ramp) {
  auto [a, b] = entryWeights(entries);
  setWeights(a, b, ramp_start, ramp);
}

double MixtureSampler::progress() const {
  if (ramp_samples_ <= 0) return 1.0;
  return std::clamp(double(samples_ - ramp_start_) / double(ramp_samples_), 0.0, 1.0);
}

std::vector<double> MixtureSampler::weightsAt(double p) const {
  std::vector<double> w(ds_.size());
  double sum = 0;
  for (size_t i = 0; i < ds_.size(); ++i) {
    w[i] = available(i) ? w_start_[i] + (w_end_[i] - w_start_[i]) * p : 0.0;
    sum += w[i];
  }
  if (sum > 0)
    for (double& x : w) x /= sum;
  return w;
}

std::vector<double> MixtureSampler::currentWeights() const { return weightsAt(progress()); }

int64_t MixtureSampler::passLength(int d) const {
  const Dataset& s = ds_.at(size_t(d));
  return s.ordered ? int64_t(s.order.size()) : s.restricted ? int64_t(s.allowed.size()) : s.n;
}

bool MixtureSampler::available(size_t d) const {
  const Dataset& s = ds_[d];
  int64_t len = s.ordered ? int64_t(s.order.size()) : s.restricted ? int64_t(s.allowed.size()) : s.n;
  return len > 0 && (!s.no_reuse || s.unconsumed_in_basis > 0);
}

bool MixtureSampler::isConsumed(int d, int64_t block) const {
  const Dataset& s = ds_.at(size_t(d));
  if (block < 0 || block >= s.n) throw std::out_of_range("isConsumed: block out of range");
  return testBit(s.consumed, block);
}

void MixtureSampler::recountBasis(Dataset& s) {
  auto count = [&](const std::vector<int64_t>& ids) {
    int64_t c = 0;
    for (int64_t id : ids) c += !testBit(s.consumed, id);
    return c;
  };
  s.unconsumed_in_basis = s.ordered ? count(s.order) : s.restricted ? count(s.allowed) : s.n - s.consumed_count;
}

void MixtureSampler::newPass(Dataset& s) {
  ++s.epoch;
  s.cursor = 0;
  s.perm_valid = false;
  recountBasis(s);
}

static void checkIds(const std::vector<int64_t>& ids, int64_t n, const std::string& name) {
  for (int64_t id : ids)
    if (id < 0 || id >= n)
      throw std::out_of_range("block id " + std::to_string(id) + " outside dataset `" + name + "` (" +
                              std::to_string(n) + " blocks)");
}

void MixtureSampler::setAllowed(int d, std::vector<int64_t> ids) {
  Dataset& s = ds_.at(size_t(d));
  checkIds(ids, s.n, s.name);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (s.restricted && ids == s.allowed) return;  // same subset: keep the pass
  s.restricted = true;
  s.allowed = std::move(ids);
  newPass(s);
}

void MixtureSampler::clearAllowed(int d) {
  Dataset& s = ds_.at(size_t(d));
  if (!s.restricted) return;
  s.restricted = false;
  s.allowed.clear();
  newPass(s);
}

void MixtureSampler::setOrder(int d, std::vector<int64_t> ids) {
  Dataset& s = ds_.at(size_t(d));
  checkIds(ids, s.n, s.name);
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw std::invalid_argument("setOrder: block ids repeat for dataset `" + s.name + "`");
  if (s.ordered && ids == s.order) return;  // same order: keep the pass
  s.ordered = true;
  s.order = std::move(ids);
  newPass(s);
}

void MixtureSampler::clearOrder(int d) {
  Dataset& s = ds_.at(size_t(d));
  if (!s.ordered) return;
  s.ordered = false;
  s.order.clear();
  newPass(s);
}

void MixtureSampler::setNoReuse(int d, bool on) { ds_.at(size_t(d)).no_reuse = on; }
void MixtureSampler::setNoReuse(bool on) {
  for (auto& s : ds_) s.no_reuse = on;
}

void MixtureSampler::buildPerm(Dataset& s) const {
  if (s.ordered) {
    s.perm = s.order;
  } else {
    if (s.restricted) {
      s.perm = s.allowed;
    } else {
      s.perm.resize(size_t(s.n));
      for (int64_t i = 0; i < s.n; ++i) s.perm[size_t(i)] = i;
    }
    uint64_t state = mix(mix(seed_, s.name_hash), uint64_t(s.epoch));
    for (size_t i = s.perm.size(); i > 1; --i) {
      size_t j = size_t((unsigned __int128)splitmix(state) * i >> 64);  // uniform in [0, i)
      std::swap(s.perm[i - 1], s.perm[j]);
    }
  }
  s.perm_valid = true;
}

int64_t MixtureSampler::drawBlock(Dataset& s) {
  for (;;) {
    if (!s.perm_valid) buildPerm(s);
    if (s.cursor >= int64_t(s.perm.size())) {
      newPass(s);
      continue;
    }
    int64_t id = s.perm[size_t(s.cursor++)];
    if (s.no_reuse && testBit(s.consumed, id)) continue;
    if (!testBit(s.consumed, id)) {
      s.consumed[size_t(id >> 6)] |= 1ull << (id & 63);
      ++s.consumed_count;
      --s.unconsumed_in_basis;
    }
    ++s.draws;
    return id;
  }
}

MixtureSampler::Draw MixtureSampler::next() {
  const std::vector<double> w = currentWeights();
  double total = 0;
  for (double x : w) total += x;
  if (total <= 0) {
    std::string names;
    for (size_t i = 0; i < ds_.size(); ++i)
      if (w_start_[i] > 0 || w_end_[i] > 0) names += (names.empty() ? "`" : ", `") + ds_[i].name + "`";
    throw DataError("every dataset in the mixture (" + names + ") is exhausted: no unused blocks are left");
  }
  // Weyl sequence in 64-bit fixed point: u = frac(offset + k * (sqrt(5)-1)/2).
  const uint64_t x = mix(seed_, 0x5EED) + uint64_t(samples_) * 0x9E3779B97F4A7C15ull;
  const double u = double(x >> 11) * 0x1.0p-53;
  size_t pick = ds_.size();
  double cum = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] <= 0) continue;
    cum += w[i];
    pick = i;  // the last positive one also absorbs rounding at u ~ 1
    if (u < cum) break;
  }
  ++samples_;
  return {int32_t(pick), drawBlock(ds_[pick])};
}

std::string MixtureSampler::saveState() const {
  nlohmann::json j;
  j["format"] = "recipec-sampler";
  j["version"] = 1;
  j["seed"] = seed_;
  j["samples"] = samples_;
  j["mixture"] = {{"start", w_start_}, {"end", w_end_}, {"ramp_start", ramp_start_}, {"ramp_samples", ramp_samples_}};
  auto& arr = j["datasets"] = nlohmann::json::array();
  for (const auto& s : ds_) {
    nlohmann::json d = {{"name", s.name}, {"num_blocks", s.n}, {"pass", s.epoch}, {"cursor", s.cursor},
                        {"draws", s.draws}, {"no_reuse", s.no_reuse}, {"consumed_count", s.consumed_count},
                        {"consumed", bitsToBase64(s.consumed, s.n)}};
    if (s.restricted) {
      std::vector<uint64_t> bits(size_t((s.n + 63) / 64), 0);
      for (int64_t id : s.allowed) bits[size_t(id >> 6)] |= 1ull << (id & 63);
      d["allowed"] = bitsToBase64(bits, s.n);
    } else {
      d["allowed"] = nullptr;
    }
    d["order"] = s.ordered ? nlohmann::json(s.order) : nlohmann::json(nullptr);
    arr.push_back(d);
  }
  return j.dump();
}

void MixtureSampler::loadState(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "recipec-sampler")
    throw DataError("sampler state is not recipec-sampler JSON");
  if (j.value("version", 0) != 1) throw DataError("sampler state has unsupported version");
  try {
    if (j["datasets"].size() != ds_.size())
      throw DataError("sampler state has " + std::to_string(j["datasets"].size()) + " datasets, this run has " +
                      std::to_string(ds_.size()));
    std::vector<Dataset> next = ds_;
    for (size_t i = 0; i < ds_.size(); ++i) {
      const auto& d = j["datasets"][i];
      Dataset& s = next[i];
      if (d["name"].get<std::string>() != s.name || d["num_blocks"].get<int64_t>() != s.n)
        throw DataError("sampler state dataset " + std::to_string(i) + " is `" + d["name"].get<std::string>() + "` with " +
                        std::to_string(d["num_blocks"].get<int64_t>()) + " blocks; this run has `" + s.name + "` with " +
                        std::to_string(s.n) + " (the data changed since the checkpoint)");
      s.epoch = d["pass"].get<int64_t>();
      s.cursor = d["cursor"].get<int64_t>();
      s.draws = d["draws"].get<int64_t>();
      s.no_reuse = d["no_reuse"].get<bool>();
      s.consumed = base64ToBits(d["consumed"].get<std::string>(), s.n, s.name + ".consumed");
      s.consumed_count = 0;
      for (uint64_t w : s.consumed) s.consumed_count += __builtin_popcountll(w);
      s.restricted = !d["allowed"].is_null();
      s.allowed.clear();
      if (s.restricted) {
        auto bits = base64ToBits(d["allowed"].get<std::string>(), s.n, s.name + ".allowed");
        for (int64_t id = 0; id < s.n; ++id)
          if (testBit(bits, id)) s.allowed.push_back(id);
      }
      s.ordered = !d["order"].is_null();
      s.order = s.ordered ? d["order"].get<std::vector<int64_t>>() : std::vector<int64_t>();
      checkIds(s.order, s.n, s.name);
      s.perm_valid = false;
      recountBasis(s);
    }
    const auto& m = j["mixture"];
    seed_ = j["seed"].get<uint64_t>();
    samples_ = j["samples"].get<int64_t>();
    w_start_ = m["start"].get<std::vector<double>>();
    w_end_ = m["end"].get<std::vector<double>>();
    ramp_start_ = m["ramp_start"].get<int64_t>();
    ramp_samples_ = m["ramp_samples"].get<int64_t>();
    if (w_start_.size() != ds_.size() || w_end_.size() != ds_.size())
      throw DataError("sampler state mixture has the wrong number of weights");
    ds_ = std::move(next);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("sampler state is malformed: ") + e.what());
  }
}

}  // namespace recipec::data
