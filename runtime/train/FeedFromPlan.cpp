// FeedFromPlan.cpp — see FeedFromPlan.h.
#include "runtime/train/FeedFromPlan.h"

#include "runtime/data/DataError.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Loader.h"
#include "runtime/data/Sampler.h"

namespace recipec::train {
namespace {

class PlanFeed : public DataFeed {
 public:
  PlanFeed(const plan::Plan& plan, bool quiet) : seq_len_(plan.train.seq_len), batch_seqs_(plan.train.batch_seqs) {
    if (plan.datasets.empty()) throw plan::PlanError("the plan declares no datasets");
    std::vector<data::MixtureSampler::DatasetInfo> infos;
    std::vector<std::shared_ptr<const data::BlockStore>> stores;
    for (const auto& d : plan.datasets) {
      auto opened = data::openDataset(plan, d.name, seq_len_, "", quiet ? data::Progress::kOff : data::Progress::kAuto);
      if (opened.train->numBlocks() == 0)
        throw data::DataError("dataset `" + d.name + "` has no training block of " + std::to_string(seq_len_ + 1) +
                              " tokens (" + std::to_string(opened.train->numTokens()) + " tokens in its train split)");
      names_.push_back(d.name);
      infos.push_back({d.name, opened.train->numBlocks()});
      stores.push_back(opened.train);
      val_.push_back(opened.val);
      train_.push_back(opened.train);
    }
    data::MixtureSampler sampler(infos, plan.train.seed);
    loader_ = std::make_unique<data::Loader>(stores, sampler, data::LoaderOptions{batch_seqs_, 4});
    allowed_.assign(names_.size(), std::nullopt);
    order_.assign(names_.size(), std::nullopt);
  }

  const std::vector<std::string>& datasets() const override { return names_; }
  int64_t trainBlocks(size_t d) const override { return train_.at(d)->numBlocks(); }
  int64_t valBlocks(size_t d) const override { return val_.at(d)->numBlocks(); }

  void select(const Selection& sel) override {
    const bool mix_changed = !mixture_set_ || !sameMixture(sel.mixture, mixture_) ||
                             sel.ramp_start != ramp_start_ || sel.ramp_end != ramp_end_;
    std::vector<size_t> allowed_changed, order_changed;
    for (size_t d = 0; d < names_.size(); ++d) {
      const auto& a = d < sel.allowed.size() ? sel.allowed[d] : std::nullopt;
      const auto& o = d < sel.order.size() ? sel.order[d] : std::nullopt;
      if (a != allowed_[d]) allowed_changed.push_back(d);
      if (o != order_[d]) order_changed.push_back(d);
    }
    const bool fresh_changed = sel.fresh != fresh_;
    if (!mix_changed && allowed_changed.empty() && order_changed.empty() && !fresh_changed) return;
    loader_->reconfigure([&](data::MixtureSampler& s) {
      if (fresh_changed) s.setNoReuse(sel.fresh);
      if (mix_changed) s.setMixture(sel.mixture, (sel.ramp_end - sel.ramp_start) * batch_seqs_);
      for (size_t d : allowed_changed) {
        if (sel.allowed[d]) s.setAllowed(int(d), *sel.allowed[d]);
        else s.clearAllowed(int(d));
      }
      for (size_t d : order_changed) {
        const auto& o = d < sel.order.size() ? sel.order[d] : std::nullopt;
        if (o) s.setOrder(int(d), *o);
        else s.clearOrder(int(d));
      }
    });
    fresh_ = sel.fresh;
    mixture_ = sel.mixture;
    mixture_set_ = true;
    ramp_start_ = sel.ramp_start;
    ramp_end_ = sel.ramp_end;
    for (size_t d : allowed_changed) allowed_[d] = sel.allowed[d];
    for (size_t d : order_changed) order_[d] = d < sel.order.size() ? sel.order[d] : std::nullopt;
  }

  TrainBatch next(int64_t) override {
    data::Batch b = loader_->next();
    TrainBatch out;
    // (B, T+1) int32 -> int64 (embedding indices); one copy of a few KB.
    out.tokens = at::from_blob(b.tokens.data(), {b.batch_seqs, b.seq_len + 1}, at::kInt).to(at::kLong);
    out.block_ids = at::from_blob(b.block_ids.data(), {b.batch_seqs}, at::kLong).clone();
    out.dataset_ids = at::from_blob(b.dataset_ids.data(), {b.batch_seqs}, at::kInt).to(at::kLong);
    return out;
  }

  at::Tensor valBatch(size_t d, int64_t first, int64_t count) override {
    auto buf = at::empty({count, seq_len_ + 1}, at::kInt);
    for (int64_t i = 0; i < count; ++i)
      val_.at(d)->copyBlock(first + i, buf.data_ptr<int32_t>() + i * (seq_len_ + 1));
    return buf.to(at::kLong);
  }

  at::Tensor trainBlocksById(size_t d, const std::vector<int64_t>& ids) override {
    auto buf = at::empty({int64_t(ids.size()), seq_len_ + 1}, at::kInt);
    for (size_t i = 0; i < ids.size(); ++i)
      train_.at(d)->copyBlock(ids[i], buf.data_ptr<int32_t>() + int64_t(i) * (seq_len_ + 1));
    return buf.to(at::kLong);
  }

  std::vector<std::pair<int64_t, int64_t>> usage() const override {
    const auto j = nlohmann::json::parse(loader_->state());
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& d : j.at("datasets")) out.emplace_back(d.at("draws").get<int64_t>(), d.at("consumed_count").get<int64_t>());
    return out;
  }

  nlohmann::json state() const override { return nlohmann::json::parse(loader_->state()); }

  void loadState(const nlohmann::json& state) override {
    const std::string text = state.dump();
    loader_->reconfigure([&](data::MixtureSampler& s) { s.loadState(text); });
  }

 private:
  static bool sameMixture(const std::vector<plan::MixEntry>& a, const std::vector<plan::MixEntry>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].dataset != b[i].dataset || a[i].weight != b[i].weight || a[i].weight_end != b[i].weight_end)
        return false;
    return true;
  }

  int64_t seq_len_, batch_seqs_;
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<const data::BlockStore>> train_, val_;
  std::unique_ptr<data::Loader> loader_;
  // What the sampler was last given, to forward only changes.
  bool mixture_set_ = false, fresh_ = false;
  std::vector<plan::MixEntry> mixture_;
  int64_t ramp_start_ = 0, ramp_end_ = 0;
  std::vector<std::optional<std::vector<int64_t>>> allowed_, order_;
};

}  // namespace

std::unique_ptr<DataFeed> makeFeedFromPlan(const plan::Plan& plan, bool quiet) {
  return std::make_unique<PlanFeed>(plan, quiet);
}

}  // namespace recipec::train
