module attributes {recipe.name = "irdro-cpt", recipe.path = "recipes/irdro-cpt.recipe"} {
  recipe.let @base = "runs/quickstart/model.safetensors"
  recipe.let @lambda = 1.000000e+00 : f64
  recipe.let @lr = 3.000000e-04 : f64
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @code = "text" {field = "text", paths = ["data/corpus/code/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/code/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @corpus = "text" {field = "text", paths = ["data/corpus/english/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/english/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @science = "text" {field = "text", paths = ["data/corpus/science/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/science/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.mixture @data {
    recipe.weight @science 4.500000e-01 : f64
    recipe.weight @code 4.500000e-01 : f64
    recipe.weight @corpus 1.000000e-01 : f64
  }
  recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 257 : i64} {preset = "gpt2_nano", resolved}
  recipe.train_config @net seq_len 128 batch 32 micro_batch 32 optimizer "adamw"(lr = 3.000000e-04, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "constant"(warmup = #recipe.qty<20 steps>, min_lr = 0.000000e+00) precision "fp32" seed 1337 init_from "runs/quickstart/model.safetensors" total_steps 600
  recipe.phase @continual for #recipe.qty<600 steps> attributes {end_step = 600 : i64, start_step = 0 : i64} {
    recipe.rule mix @data {
      recipe.weight @science 4.500000e-01 : f64
      recipe.weight @code 4.500000e-01 : f64
      recipe.weight @corpus 1.000000e-01 : f64
    }
    recipe.rule reweight with {lambda = 1.000000e+00 : f64, method = "irdro", pool = 1.000000e+00 : f64}
  }
  recipe.evaluate "ppl" on @corpus split "val" every #recipe.qty<100 steps>
  recipe.evaluate "ppl" on @science split "val" every #recipe.qty<100 steps>
  recipe.evaluate "ppl" on @code split "val" every #recipe.qty<100 steps>
  recipe.checkpoint every #recipe.qty<500 steps> keep 2
  recipe.event "nan" -> "rollback"
}

