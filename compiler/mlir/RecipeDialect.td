// RecipeDialect.td — the `recipe` dialect, its attributes and enums.
//
// Contract: the IR is declarative. There are no SSA values: every declaration of a recipe is
// an op, values are attributes, and references between declarations are `@name` attributes
// looked up by kind. Decls deliberately are not MLIR Symbols: the language keeps one map per
// kind across imports (an imported `dataset web` and a local `mixture web` may coexist), so
// a module-wide symbol table would reject recipes the front end accepts. Their name
// attribute is `name`, not `sym_name`, so the module's symbol-table verifier leaves it alone.
#ifndef RECIPE_DIALECT_TD
#define RECIPE_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Recipe_Dialect : Dialect {
  let name = "recipe";
  let cppNamespace = "::recipec::ir";
  let summary = "A declarative IR for LLM pretraining recipes";
  let description = [{
    The `recipe` dialect is the compiler's middle: `MLIRGen` emits one `recipe.file` per
    source file (the recipe, what it `use`s, what it `extends`), the passes merge, resolve and
    normalise them into one fully explicit recipe at module level, and the plan emitter turns
    that into the JSON execution plan the runtime runs (docs/plan.md).

    Values are attributes: numbers are `f64`/`i64` attributes, quantities with units are
    `#recipe.qty<...>`, conditions are `#recipe.cond<...>`, and a use of a `let` constant is
    `#recipe.const<@name>` until `inline-constants` replaces it.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Recipe_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Recipe_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Recipe_QuantityAttr : Recipe_Attr<"Quantity", "qty"> {
  let summary = "a number with a unit, and the optimizer steps it resolves to";
  let description = [{
    A duration, interval or threshold as the recipe wrote it. `unit` is one of `steps`,
    `tokens`, `epochs`, `percent`, `sigma`, `percentile`. `steps` is the absolute number of
    optimizer steps once `resolve-durations` knows it, `-1` while it is symbolic (epochs need
    the data's block count, which only the runtime has). For the unit `steps` it always
    equals the value.

    ```mlir
    #recipe.qty<200 steps>
    #recipe.qty<64000 tokens = 250 steps>   // resolved with batch x seq_len = 256 tokens
    #recipe.qty<1 epochs>                   // symbolic until run time
    #recipe.qty<10 percent>
    ```
  }];
  // An APFloat, not a double: storage uniquing hashes its parameters, and LLVM has no
  // hash_value(double).
  let parameters = (ins APFloatParameter<"value as written">:$value, StringRefParameter<"unit">:$unit,
                        "int64_t":$steps);
  let builders = [
    AttrBuilder<(ins "double":$value, "::llvm::StringRef":$unit), [{
      int64_t steps = unit == "steps" ? static_cast<int64_t>(std::llround(value)) : -1;
      return $_get($_ctxt, ::llvm::APFloat(value), unit, steps);
    }]>,
    AttrBuilder<(ins "double":$value, "::llvm::StringRef":$unit, "int64_t":$steps), [{
      return $_get($_ctxt, ::llvm::APFloat(value), unit, steps);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    double getNumber() const { return getValue().convertToDouble(); }
    bool isResolved() const { return getSteps() >= 0; }
    // The same quantity with its step count filled in.
    QuantityAttr withSteps(int64_t steps) const {
      return QuantityAttr::get(getContext(), getNumber(), getUnit(), steps);
    }
  }];
}

def Recipe_ConditionAttr : Recipe_Attr<"Condition", "cond"> {
  let summary = "a comparison of a metric with a threshold";
  let description = [{
    `when ppl > p90`, `val.ppl(web.val) < 20`, `loss > 4 sigma over 100 steps`. The
    comparison is spelled `gt ge lt le eq ne` (a bare `>` would end the attribute). The
    threshold is a number, a percentile `pN` over the per-block table, `N sigma` over a
    running window, a count (`10000 steps`), or a constant `#recipe.const<@x>`.

    ```mlir
    #recipe.cond<ppl gt p90>
    #recipe.cond<val.ppl(web.val) lt 20.5>
    #recipe.cond<loss gt 4 sigma over 100 steps>
    ```
  }];
  let parameters = (ins StringRefParameter<"metric">:$metric,
                        StringRefParameter<"dataset split for val.ppl">:$argument,
                        StringRefParameter<"comparison: > >= < <= == !=">:$op,
                        "::mlir::Attribute":$threshold,
                        OptionalParameter<"::mlir::Attribute", "sigma window">:$window);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Recipe_ConstRefAttr : Recipe_Attr<"ConstRef", "const"> {
  let summary = "a use of a `let` constant, before `inline-constants`";
  let description = [{
    ```mlir
    recipe.let @lr = 6.0e-4
    recipe.setting "optimizer" = #recipe.call<"adamw", {lr = #recipe.const<@lr>}>
    ```
  }];
  let parameters = (ins "::mlir::FlatSymbolRefAttr":$name);
  let assemblyFormat = "`<` $name `>`";
}

def Recipe_CallAttr : Recipe_Attr<"Call", "call"> {
  let summary = "a call as written: `adamw(lr = 6e-4)`, `cosine(warmup = 200 steps)`";
  let description = [{
    Positional arguments are named by the callee's signature when it has one
    (`cosine(200 steps)` -> `{warmup = ...}`), otherwise `_0`, `_1`, ...

    ```mlir
    #recipe.call<"cosine", {min_lr = #recipe.qty<10 percent>, warmup = #recipe.qty<200 steps>}>
    ```
  }];
  let parameters = (ins "::mlir::StringAttr":$callee, "::mlir::DictionaryAttr":$args);
  let assemblyFormat = "`<` $callee `,` $args `>`";
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Recipe_DurationKind : I32EnumAttr<"DurationKind", "how a phase's length is given", [
    I32EnumAttrCase<"For", 0, "for">,
    I32EnumAttrCase<"Until", 1, "until">,
    I32EnumAttrCase<"Rest", 2, "rest">]> {
  let cppNamespace = "::recipec::ir";
}

def Recipe_ActionKind : I32EnumAttr<"ActionKind", "what a rule does", [
    I32EnumAttrCase<"Mix", 0, "mix">,
    I32EnumAttrCase<"Order", 1, "order">,
    I32EnumAttrCase<"Record", 2, "record">,
    I32EnumAttrCase<"Focus", 3, "focus">,
    I32EnumAttrCase<"Drop", 4, "drop">,
    I32EnumAttrCase<"Review", 5, "review">,
    I32EnumAttrCase<"Subnet", 6, "subnet">,
    I32EnumAttrCase<"Reweight", 7, "reweight">,
    I32EnumAttrCase<"Set", 8, "set">,
    I32EnumAttrCase<"Stop", 9, "stop">,
    I32EnumAttrCase<"Checkpoint", 10, "checkpoint">,
    I32EnumAttrCase<"Fresh", 11, "fresh">,
    I32EnumAttrCase<"Remix", 12, "remix">]> {
  let cppNamespace = "::recipec::ir";
}

#endif  // RECIPE_DIALECT_TD
