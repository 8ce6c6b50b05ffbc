module attributes {recipe.name = "lfr-gpt2-p80", recipe.path = "recipes/lfr-gpt2-p80.recipe"} {
  recipe.let @focus_above = #recipe.qty<80 percentile>
  recipe.let @lr = 1.500000e-03 : f64
  recipe.let @refocus_above = #recipe.qty<70 percentile>
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @corpus = "text" {field = "text", paths = ["data/corpus/news/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/news/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.mixture @data {
    recipe.weight @corpus 1.000000e+00 : f64
  }
  recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 257 : i64} {preset = "gpt2_nano", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 16 optimizer "adamw"(lr = 1.500000e-03, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "cosine"(warmup = #recipe.qty<50 steps>, min_lr = 1.500000e-04) precision "fp32" seed 1337 total_steps -1
  recipe.phase @learn for #recipe.qty<1 epochs> attributes {start_step = 0 : i64} {
    recipe.rule mix @data {
      recipe.weight @corpus 1.000000e+00 : f64
    }
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.phase @focus for #recipe.qty<1 epochs> {
    recipe.rule focus when #recipe.cond<ppl gt p80>
  }
  recipe.phase @review for #recipe.qty<1 epochs> {
    recipe.rule mix @data {
      recipe.weight @corpus 1.000000e+00 : f64
    }
    recipe.rule review
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.phase @refocus for #recipe.qty<5 epochs> {
    recipe.rule focus when #recipe.cond<ppl gt p70>
  }
  recipe.evaluate "ppl" on @corpus split "val" every #recipe.qty<100 steps>
  recipe.checkpoint every #recipe.qty<500 steps> keep 2
  recipe.event "nan" -> "rollback"
}

