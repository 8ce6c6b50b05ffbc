module attributes {recipe.name = "subnet", recipe.path = "tests/compiler/mlir/inputs/subnet.recipe"} {
  recipe.let @heads_kept = 5.000000e-01 : f64
  recipe.let @lambda = 2.000000e+00 : f64
  recipe.let @lr = 1.000000e-03 : f64
  recipe.let @width = 2.560000e+02 : f64
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @corpus = "text" {field = "text", paths = ["data/corpus/*.jsonl"], tokenizer = @tok} split "val" 2.000000e-02
  recipe.model @net = "llama" {ctx = 512 : i64, d_ff = 768 : i64, d_model = 256 : i64, dropout = 0.000000e+00 : f64, heads = 8 : i64, init_std = 2.000000e-02 : f64, kv_heads = 2 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = false, vocab = 257 : i64} {preset = "tiny_llama", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 16 optimizer "adamw"(lr = 1.000000e-03, betas = (9.000000e-01, 0.97999999999999998), eps = 1.000000e-08, weight_decay = 0.000000e+00) grad_clip 5.000000e-01 schedule "cosine"(warmup = #recipe.qty<5 percent = 50 steps>, min_lr = 1.000000e-05) precision "fp32" seed 0 total_steps 1000
  recipe.phase @stage1 for #recipe.qty<600 steps> attributes {end_step = 600 : i64, start_step = 0 : i64} {
    recipe.rule subnet with {heads = 5.000000e-01 : f64, layers = 7.500000e-01 : f64, mlp = 5.000000e-01 : f64}
    recipe.rule reweight with {lambda = 2.000000e+00 : f64, method = "irdro", pool = 1.000000e+00 : f64}
  }
  recipe.phase @stage2 for #recipe.qty<20 percent = 200 steps> attributes {end_step = 800 : i64, start_step = 600 : i64} {
    recipe.rule subnet with {heads = 7.500000e-01 : f64, layers = 1.000000e+00 : f64, mlp = 7.500000e-01 : f64}
    recipe.rule reweight with {frac = 1.250000e-01 : f64, method = "rank", portion = 1.000000e+00 : f64}
  }
  recipe.phase @stage3 for #recipe.qty<200 steps> attributes {end_step = 1000 : i64, start_step = 800 : i64} {
    recipe.rule checkpoint every #recipe.qty<100 steps>
  }
  recipe.evaluate "ppl" on @corpus split "val" every #recipe.qty<100 steps>
  recipe.checkpoint keep 2
  recipe.event "grad_spike" when #recipe.cond<grad_norm gt 3 sigma over 50 steps> -> "stop"
}

