/**
 * Constrained decoding: GBNF grammars (llama.cpp's syntax and semantics), choices and JSON Schemas, applied by
 * the sampler chain so that only tokens that continue a parse are drawn.
 *
 * {@snippet :
 * Grammar g = Grammar.gbnf("root ::= [0-9]+ \"\\n\"");
 * Generation out = session.generate("Pick a number: ", GenerateOptions.greedy(16).withGrammar(g));
 * }
 */
package io.github.ggml4j.grammar;
