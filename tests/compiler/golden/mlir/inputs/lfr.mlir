module attributes {recipe.name = "lfr-gpt2", recipe.path = "tests/compiler/mlir/inputs/lfr.recipe"} {
  recipe.let @lr = 6.000000e-04 : f64
  recipe.tokenizer @gpt2 = "gpt2_bpe" {path = "data/gpt2"}
  recipe.dataset @code = "shards" {paths = ["data/code/*.bin"]}
  recipe.dataset @web = "text" {paths = ["data/web/*.txt"], tokenizer = @gpt2} split "val" 2.000000e-02
  recipe.mixture @base {
    recipe.weight @web 8.000000e-01 : f64
    recipe.weight @code 2.000000e-01 : f64
  }
  recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 256 : i64, d_model = 64 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 2 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 50257 : i64} {preset = "gpt2_nano", resolved}
  recipe.train_config @net seq_len 128 batch 32 micro_batch 32 optimizer "adamw"(lr = 6.000000e-04, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "cosine"(warmup = #recipe.qty<200 steps>, min_lr = 6.000000e-05) precision "fp32" seed 1337 total_steps -1
  recipe.phase @learn for #recipe.qty<1 epochs> attributes {start_step = 0 : i64} {
    recipe.rule mix @base {
      recipe.weight @web 8.000000e-01 : f64
      recipe.weight @code 2.000000e-01 : f64
    }
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.phase @focus for #recipe.qty<2 epochs> {
    recipe.rule focus when #recipe.cond<ppl gt p50>
    recipe.rule focus when #recipe.cond<ppl gt p90> every #recipe.qty<2000 steps>
  }
  recipe.phase @review for #recipe.qty<1 epochs> {
    recipe.rule mix @base {
      recipe.weight @web 8.000000e-01 : f64
      recipe.weight @code 2.000000e-01 : f64
    }
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.evaluate "ppl" on @web split "val" every #recipe.qty<500 steps>
  recipe.checkpoint every #recipe.qty<1000 steps> keep 3
  recipe.event "nan" -> "rollback"
}

