module attributes {recipe.name = "adaptation-analysis", recipe.path = "recipes/adaptation-analysis.recipe"} {
  recipe.let @base = "runs/quickstart/model.safetensors"
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @chinese = "text" {field = "text", paths = ["data/corpus/chinese/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/chinese/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @code = "text" {field = "text", paths = ["data/corpus/code/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/code/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @english = "text" {field = "text", paths = ["data/corpus/english/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/english/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @news = "text" {field = "text", paths = ["data/corpus/news/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/news/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @qa = "text" {field = "text", paths = ["data/corpus/qa/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/qa/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @science = "text" {field = "text", paths = ["data/corpus/science/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/science/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.mixture @target {
    recipe.weight @science 1.000000e+00 : f64
  }
  recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 257 : i64} {preset = "gpt2_nano", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 16 optimizer "adamw"(lr = 5.000000e-04, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "constant"(warmup = #recipe.qty<20 steps>, min_lr = 0.000000e+00) precision "fp32" seed 1337 init_from "runs/quickstart/model.safetensors" total_steps 300
  recipe.phase @further for #recipe.qty<300 steps> attributes {end_step = 300 : i64, start_step = 0 : i64} {
    recipe.rule mix @target {
      recipe.weight @science 1.000000e+00 : f64
    }
  }
  recipe.evaluate "ppl" on @english split "val" every #recipe.qty<100 steps> limit 32
  recipe.evaluate "ppl" on @science split "val" every #recipe.qty<100 steps> limit 32
  recipe.evaluate "ppl" on @news split "val" every #recipe.qty<100 steps> limit 32
  recipe.evaluate "ppl" on @code split "val" every #recipe.qty<100 steps> limit 32
  recipe.evaluate "ppl" on @qa split "val" every #recipe.qty<100 steps> limit 32
  recipe.evaluate "ppl" on @chinese split "val" every #recipe.qty<100 steps> limit 32
  recipe.checkpoint every #recipe.qty<150 steps> keep 2
  recipe.event "nan" -> "rollback"
}

