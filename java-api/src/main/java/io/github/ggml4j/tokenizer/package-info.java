/**
 * Tokenizers in pure Java that give the same token ids as llama.cpp for the same GGUF vocabulary.
 *
 * <p>{@link io.github.ggml4j.tokenizer.Tokenizer} is the entry point: built from a model file
 * ({@link io.github.ggml4j.tokenizer.Tokenizer#fromGguf}) or from a
 * {@link io.github.ggml4j.tokenizer.Vocabulary}, it encodes text (with llama.cpp's BOS/EOS and
 * special-token rules), decodes ids (with llama.cpp's space rules), and renders single tokens, also as a
 * stream that never splits a character ({@link io.github.ggml4j.tokenizer.StreamingDecoder}).
 *
 * <p>Supported: {@code tokenizer.ggml.model} {@code llama} (SentencePiece-style), {@code gpt2} (byte-level
 * BPE) with the pre-tokenizers of {@link io.github.ggml4j.tokenizer.Tokenizer#supportedPreTokenizers()},
 * {@code gemma4}, and {@code bert} (WordPiece). Every vocabulary of the pinned llama.cpp tree with test
 * vectors passes all of them; classification of characters uses llama.cpp's own Unicode tables, not the
 * JDK's.
 *
 * {@snippet :
 * try (GgufFile gguf = GgufFile.open(Path.of("Meta-Llama-3-8B-Instruct.Q4_K_M.gguf"))) {
 *     Tokenizer tok = Tokenizer.fromGguf(gguf);
 *     int[] prompt = tok.encode("<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>", true, true);
 *     StreamingDecoder out = tok.streamingDecoder(false);
 *     for (int id : generate(prompt)) {
 *         if (tok.isEndOfGeneration(id)) {
 *             break;
 *         }
 *         System.out.print(out.next(id));
 *     }
 *     System.out.print(out.finish());
 * }
 * }
 */
package io.github.ggml4j.tokenizer;
