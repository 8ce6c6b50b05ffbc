// SentencePiece.cpp — thin wrapper over sentencepiece::SentencePieceProcessor / Trainer.
#include "runtime/data/SentencePiece.h"

#include <filesystem>
#include <thread>

#include "runtime/data/DataError.h"
#include "runtime/data/Sha256.h"
#include "runtime/data/TextInput.h"

#ifdef RECIPEC_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
// Exported by libsentencepiece but not declared in Debian's headers; quiets the trainer's log.
namespace sentencepiece::logging { void SetMinLogLevel(int v); }
#endif

namespace recipec::data {

#ifdef RECIPEC_HAVE_SENTENCEPIECE

bool haveSentencePiece() { return true; }

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
};

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path) : impl_(std::make_unique<Impl>()) {
  if (!std::filesystem::is_regular_file(model_path))
    throw DataError("SentencePiece model `" + model_path + "` does not exist");
  auto status = impl_->sp.Load(model_path);
  if (!status.ok()) throw DataError("cannot load SentencePiece model `" + model_path + "`: " + status.ToString());
  vocab_size_ = impl_->sp.GetPieceSize();
  eot_id_ = impl_->sp.eos_id();
  fingerprint_ = "sentencepiece-" + sha256File(model_path).substr(0, 32);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::encodeInto(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<int> ids;
  auto status = impl_->sp.Encode(absl::string_view(text.data(), text.size()), &ids);
  if (!status.ok()) throw DataError("SentencePiece encode failed: " + status.ToString());
  out.insert(out.end(), ids.begin(), ids.end());
}

std::string SentencePieceTokenizer::decode(const int32_t* ids, size_t n) const {
  std::vector<int> v(ids, ids + n);
  for (int id : v)
    if (id < 0 || id >= vocab_size_)
      throw DataError("token id " + std::to_string(id) + " is outside the SentencePiece vocabulary (" +
                      std::to_string(vocab_size_) + ")");
  std::string text;
  auto status = impl_->sp.Decode(v, &text);
  if (!status.ok()) throw DataError("SentencePiece decode failed: " + status.ToString());
  return text;
}

namespace {
// Feeds documents to the trainer line by line without a temporary file.
class DocumentLines final : public sentencepiece::SentenceIterator {
 public:
  DocumentLines(std::vector<TextWork> work, int64_t max_lines) : work_(std::move(work)), max_(max_lines) { fill(); }
  bool done() const override { return pos_ >= lines_.size() && exhausted_; }
  void Next() override { ++pos_; ++served_; if (pos_ >= lines_.size()) fill(); }
  const std::string& value() const override { return lines_[pos_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }
  int64_t served() const { return served_; }

 private:
  void fill() {  // loads the next file range's non-empty lines
    lines_.clear();
    pos_ = 0;
    while (lines_.empty() && next_ < work_.size() && served_ < max_) {
      readDocuments(work_[next_++], [&](std::string_view doc) {
        size_t s = 0;
        while (s <= doc.size()) {
          size_t nl = doc.find('\n', s);
          if (nl == std::string_view::npos) nl = doc.size();
          if (nl > s && served_ + int64_t(lines_.size()) < max_) lines_.emplace_back(doc.substr(s, nl - s));
          s = nl + 1;
        }
      });
    }
    exhausted_ = lines_.empty();
  }
  std::vector<TextWork> work_;
  size_t next_ = 0, pos_ = 0;
  std::vector<std::string> lines_;
  int64_t max_, served_ = 0;
  bool exhausted_ = false;
};
}  // namespace

TrainTokenizerResult trainSentencePiece(const TrainTokenizerOptions& o) {
  if (o.out_model.size() < 7 || o.out_model.substr(o.out_model.size() - 6) != ".model")
    throw DataError("tokenizer output `" + o.out_model + "` must end in `.model`");
  auto files = expandGlobs(o.inputs, o.base_dir);
  DocumentLines lines(splitTextWork(files, o.json_field, 64 << 20), o.max_sentences);
  const std::string prefix = o.out_model.substr(0, o.out_model.size() - 6);
  std::filesystem::path parent = std::filesystem::path(prefix).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  std::unordered_map<std::string, std::string> args = {
      {"model_prefix", prefix},
      {"vocab_size", std::to_string(o.vocab_size)},
      {"model_type", o.model_type},
      {"character_coverage", std::to_string(o.character_coverage)},
      {"byte_fallback", o.byte_fallback ? "true" : "false"},
      {"input_sentence_size", std::to_string(o.max_sentences)},
      {"shuffle_input_sentence", "false"},   // file order: the same input gives the same model
      {"num_threads", std::to_string(threads)},
      {"unk_id", "0"}, {"bos_id", "1"}, {"eos_id", "2"}, {"pad_id", "-1"},  // Llama's layout
      {"hard_vocab_limit", "false"},         // small corpora may not support the full size
  };
  sentencepiece::SetRandomGeneratorSeed(o.seed);
  sentencepiece::logging::SetMinLogLevel(o.verbose ? 0 : 1);
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &lines);
  if (!status.ok()) throw DataError("SentencePiece training failed: " + status.ToString());
  SentencePieceTokenizer trained(o.out_model);
  return {o.out_model, trained.vocabSize(), lines.served(), trained.eotId()};
}

#else  // !RECIPEC_HAVE_SENTENCEPIECE

bool haveSentencePiece() { return false; }
struct SentencePieceTokenizer::Impl {};
static const char* kNoSp =
    "this build of recipec has no SentencePiece (libsentencepiece-dev was not found at configure time)";
SentencePieceTokenizer::SentencePieceTokenizer(const std::string&) { throw DataError(kNoSp); }
SentencePieceTokenizer::~SentencePieceTokenizer() = default;
void SentencePieceTokenizer::encodeInto(std::string_view, std::vector<int32_t>&) const { throw DataError(kNoSp); }
std::string SentencePieceTokenizer::decode(const int32_t*, size_t) const { throw DataError(kNoSp); }
TrainTokenizerResult trainSentencePiece(const TrainTokenizerOptions&) { throw DataError(kNoSp); }

#endif

}  // namespace recipec::data
