// Recipe.g4 — the grammar of .recipe files.
//
// The grammar is deliberately permissive where a precise message is worth more than a parse
// error: train settings, call arguments and object fields accept any name here and the
// semantic checks (compiler/sema) reject unknown ones with a "did you mean". Keywords are
// soft: `focus` is an action but also a fine phase name, so `ident` accepts keywords.
// docs/language.md is the user-facing reference for every form below.
grammar Recipe;

file      : header? item* EOF ;

header    : RECIPE STRING (EXTENDS STRING)? (LBRACE item* RBRACE)? ;

item
  : USE STRING                                                        # useItem
  | LET ident ASSIGN expr                                             # letItem
  | TOKENIZER ident ASSIGN call                                       # tokenizerItem
  | DATASET ident ASSIGN call splitClause?                            # datasetItem
  | MIXTURE ident ASSIGN object                                       # mixtureItem
  | MODEL ident ASSIGN ident object?                                  # modelItem
  | TRAIN LBRACE (setting SEMI?)* RBRACE                              # trainItem
  | PHASE ident duration LBRACE (ruleStmt SEMI?)* RBRACE                  # phaseItem
  | EVALUATE ident ON dotted (EVERY interval)? (LIMIT NUMBER ident)?  # evaluateItem
  | CHECKPOINT (EVERY interval)? (KEEP NUMBER)?                       # checkpointItem
  | ON trigger COLON ident                                            # eventItem
  | SEMI                                                              # emptyItem
  ;

// `split val 2%` holds out 2% of the documents; `split val "data/x/val/*.jsonl"` reads the
// held-out split from its own files.
splitClause : SPLIT ident (quantity | STRING) ;

// `seq_len 256`, `batch 64k tokens`, `optimizer adamw(lr = 3e-4)`, `init from "w.safetensors"`
setting   : ident FROM? expr ;

// A length may be a constant: `let learn_len = 1 epoch` ... `phase learn for learn_len`.
duration
  : FOR REST                     # restDuration
  | FOR (quantity | dotted)      # forDuration
  | UNTIL (quantity | dotted)    # untilDuration
  ;

interval
  : EPOCH                        # everyEpoch
  | quantity                     # everyQuantity
  | dotted                       # everyName
  ;

ruleStmt  : action (WHEN condition)? (EVERY interval)? ;

action
  : MIX (object | ident)                             # mixAction
  | ORDER ident? BY ident (ASCENDING | DESCENDING)?   # orderAction      // order [sources] by ppl ascending
  | RECORD ident ident? PER ident                    # recordAction     // record [relative] ppl per block
  | SUBNET object                                    # subnetAction
  | REWEIGHT call                                    # reweightAction
  | SET ident ASSIGN expr                            # setAction
  | call                                             # callAction     // remix(rate = 1.0)
  | ident                                            # simpleAction   // focus, drop, review, fresh, stop, checkpoint
  ;

trigger
  : condition                    # conditionTrigger
  | ident                        # namedTrigger      // nan
  ;

condition : metric comparison expr (OVER quantity)? ;

metric    : ident (DOT ident)* (LPAREN dotted RPAREN)? ;

comparison : GT | GE | LT | LE | EQ | NE ;

expr
  : MINUS expr                   # negExpr
  | quantity                     # quantityExpr
  | PERCENTILE                   # percentileExpr
  | STRING                       # stringExpr
  | call                         # callExpr
  | object                       # objectExpr
  | LPAREN expr (COMMA expr)+ RPAREN   # tupleExpr
  | LPAREN expr RPAREN           # parenExpr
  | dotted                       # nameExpr
  ;

quantity  : NUMBER unit? ;
unit      : PERCENT | STEP | EPOCH | TOKEN | SIGMA ;

call      : ident LPAREN (arg (COMMA arg)*)? COMMA? RPAREN ;
arg       : (ident ASSIGN)? expr ;

object    : LBRACE (field (COMMA field)* COMMA?)? RBRACE ;
field     : ident COLON expr (ARROW expr)? ;

dotted    : ident (DOT ident)* ;

// Keywords are reserved only where the grammar needs them; everywhere a name is expected
// they are accepted as names.
ident
  : ID | RECIPE | EXTENDS | USE | LET | TOKENIZER | DATASET | MIXTURE | MODEL | TRAIN | PHASE
  | EVALUATE | CHECKPOINT | ON | FOR | UNTIL | REST | EVERY | WHEN | SPLIT | KEEP | LIMIT
  | MIX | ORDER | BY | RECORD | PER | SUBNET | REWEIGHT | SET | FROM | OVER
  | ASCENDING | DESCENDING | STEP | EPOCH | TOKEN | SIGMA
  ;

RECIPE     : 'recipe' ;
EXTENDS    : 'extends' ;
USE        : 'use' ;
LET        : 'let' ;
TOKENIZER  : 'tokenizer' ;
DATASET    : 'dataset' ;
MIXTURE    : 'mixture' ;
MODEL      : 'model' ;
TRAIN      : 'train' ;
PHASE      : 'phase' ;
EVALUATE   : 'evaluate' ;
CHECKPOINT : 'checkpoint' ;
ON         : 'on' ;
FOR        : 'for' ;
UNTIL      : 'until' ;
REST       : 'rest' ;
EVERY      : 'every' ;
WHEN       : 'when' ;
SPLIT      : 'split' ;
KEEP       : 'keep' ;
LIMIT      : 'limit' ;
MIX        : 'mix' ;
ORDER      : 'order' ;
BY         : 'by' ;
RECORD     : 'record' ;
PER        : 'per' ;
SUBNET     : 'subnet' ;
REWEIGHT   : 'reweight' ;
SET        : 'set' ;
FROM       : 'from' ;
OVER       : 'over' ;
// The directions are words of their own so that `order by ppl` followed by a rule on the
// next line never reads that rule as a direction.
ASCENDING  : 'ascending' ;
DESCENDING : 'descending' ;
STEP       : 'step' | 'steps' ;
EPOCH      : 'epoch' | 'epochs' ;
TOKEN      : 'token' | 'tokens' ;
SIGMA      : 'sigma' ;

ARROW   : '->' ;
GE      : '>=' ;
LE      : '<=' ;
EQ      : '==' ;
NE      : '!=' ;
GT      : '>' ;
LT      : '<' ;
ASSIGN  : '=' ;
COLON   : ':' ;
SEMI    : ';' ;
COMMA   : ',' ;
DOT     : '.' ;
LBRACE  : '{' ;
RBRACE  : '}' ;
LPAREN  : '(' ;
RPAREN  : ')' ;
PERCENT : '%' ;
MINUS   : '-' ;

// p50, p90, p99.9 — a percentile over the per-block table.
PERCENTILE : 'p' DIGITS ('.' DIGITS)? ;
// 256, 6e-4, 0.95, 2k, 92.5B (k, M, B, T: thousand .. trillion)
NUMBER     : DIGITS ('.' DIGITS)? ([eE] [+-]? DIGITS)? [kMBT]? ;
ID         : [a-zA-Z_] [a-zA-Z_0-9]* ;
STRING     : '"' (~["\\\r\n] | '\\' .)* '"' ;
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' .)* ;

fragment DIGITS : [0-9] ([0-9_]* [0-9])? ;

COMMENT : '#' ~[\r\n]* -> channel(HIDDEN) ;
NEWLINE : ('\r'? '\n') -> channel(HIDDEN) ;
WS      : [ \t]+ -> channel(HIDDEN) ;
BAD_CHAR : . ;
